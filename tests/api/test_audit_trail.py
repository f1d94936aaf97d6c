"""Audit gaps (issue 12, finding 9): every run start (API and CLI), every import attempt
(done, refused, failed; API and CLI) leaves an audit row with the actor and no personal
data."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from geo_service.db.engine import make_engine
from tests.api.support import KAB_A, PERIODE


def _rows(api_db, aksi: str) -> list[dict]:
    engine = make_engine(settings=api_db.settings)
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT aksi, objek, aktor, pengguna_id, kode_kab, rincian FROM audit_log "
                "WHERE aksi = :a ORDER BY id"
            ),
            {"a": aksi},
        ).mappings()
        out = [dict(r) for r in rows]
    engine.dispose()
    return out


def test_api_run_start_is_audited(client, tokens, api_db):
    before = len(_rows(api_db, "analisis_mulai"))
    r = client.post(
        "/analisis", json={"kode_kab": KAB_A, "periode": PERIODE}, headers=tokens["analis_a"]
    )
    assert r.status_code == 202, r.text
    rows = _rows(api_db, "analisis_mulai")
    assert len(rows) == before + 1
    assert rows[-1]["objek"] == f"analisis:{r.json()['id']}" and rows[-1]["pengguna_id"]
    assert rows[-1]["kode_kab"] == KAB_A


def test_cli_imports_audited_done_and_refused(api_db, tmp_path, monkeypatch, request):
    from geo_service.cli import app

    monkeypatch.setenv("GEO_DATABASE_URL", str(api_db.settings.database.url))
    monkeypatch.setenv("GEO_DATA_DIR", str(api_db.path.parent))
    from geo_service.settings import get_settings

    get_settings.cache_clear()  # read once per process: this module's database
    request.addfinalizer(get_settings.cache_clear)
    bad = tmp_path / "rusak.csv"
    bad.write_text("bukan,kolom,kontrak\n1,2,3\n", encoding="utf-8")
    before = len(_rows(api_db, "impor_ditolak"))
    r = CliRunner().invoke(app, ["import", "keluarga", str(bad), "--periode", "2025-05"])
    assert r.exit_code != 0
    rows = _rows(api_db, "impor_ditolak")
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["aktor"] == "cli" and row["objek"] == "keluarga"
    detail = row["rincian"] if isinstance(row["rincian"], dict) else json.loads(row["rincian"])
    assert detail["berkas"] == "rusak.csv" and detail["status"].startswith("ditolak")
    assert "bukan" not in json.dumps(detail)  # no file content


def test_api_refused_import_is_audited(client, tokens, api_db):
    before = len(_rows(api_db, "impor_ditolak"))
    r = client.post(
        "/impor/keluarga",
        headers=tokens["analis_a"],
        files={"berkas": ("x.csv", b"a,b\n1,2\n", "text/csv")},
        data={"periode": "2025-05"},
    )
    assert r.status_code == 422
    rows = _rows(api_db, "impor_ditolak")
    assert len(rows) == before + 1 and rows[-1]["pengguna_id"]
