"""CLI of issue 16: ``profil check`` (alias ``periksa``) shows the mapping of a by-name file
without writing anything and without printing a NIK/KK number; ``import keluarga --profil``
imports it (SpatiaLite here; both backends in tests/services/test_identitas.py);
``identitas new-keys``, ``erase``; ``analyse --profil`` from a by-name file."""

from __future__ import annotations

import stat

import pandas as pd
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.settings import get_settings
from tests.fixtures import KENDAL_DESA
from tests.fixtures.by_name import make_by_name

PKEY = "kunci-pseudonim-cli-".ljust(40, "q")


@pytest.fixture(scope="module")
def by_name(kendal_keluarga, kendal_desa, tmp_path_factory):
    fam = kendal_keluarga["frame"].sample(120, random_state=8)
    desa = pd.DataFrame(kendal_desa[["kode", "nama", "nama_kec"]])
    return make_by_name(fam, desa, tmp_path_factory.mktemp("cli_nama"), PKEY.encode())


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DATABASE_URL", f"sqlite:///{tmp_path / 'geo.sqlite'}")
    monkeypatch.setenv("GEO_PSEUDONYM_KEY", PKEY)
    monkeypatch.setenv("GEO_VAULT_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(runner, *args, code=0):
    r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == code, r.output
    return r.output


def test_profil_check_shows_the_mapping_and_hides_numbers(runner, by_name, tmp_path):
    report = tmp_path / "masalah.csv"
    out = _run(
        runner, "profil", "periksa", by_name.xlsx, "--profil", "dtsen_nama",
        "--kabupaten", "33.24", "--out", report,
    )  # fmt: skip
    assert "NIK Kepala Keluarga" in out and "no_kk" in out
    for code in ("nama_desa_tidak_dikenal", "nama_desa_ambigu", "nomor_kk_nik_tidak_valid"):
        assert code in out
    assert f"{by_name.n_good:,} sah" in out
    text = out + report.read_text(encoding="utf-8-sig")
    assert not [n for n in by_name.nik + by_name.kk if n in text]
    assert not (tmp_path / "geo.sqlite").exists()  # nothing written


def test_import_with_profile_then_erase(runner, by_name, tmp_path):
    _run(runner, "db", "upgrade")
    _run(runner, "import", "batas", KENDAL_DESA)
    out = _run(
        runner, "import", "keluarga", by_name.xlsx, "--periode", "2025-03",
        "--profil", "dtsen_nama", "--partial",
    )  # fmt: skip
    assert f"{by_name.n_good:,} keluarga" in out
    assert "nama_desa_ambigu" in out
    out = _run(runner, "identitas", "erase", "--no-kk", by_name.kk[0], "--alasan", "permintaan")
    assert out.strip().startswith("1 identitas dihapus")
    raw = (tmp_path / "geo.sqlite").read_bytes().decode("latin-1")
    assert not [n for n in by_name.nik + by_name.kk if n in raw]


def test_new_keys_are_private_files(runner, tmp_path):
    out = _run(runner, "identitas", "new-keys", "--out", tmp_path / "kunci")
    assert "GEO_PSEUDONYM_KEY_FILE=" in out and "GEO_VAULT_KEY_FILE=" in out
    key = tmp_path / "kunci" / "brankas.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    Fernet(key.read_bytes().strip())  # a valid Fernet key
    _run(runner, "identitas", "new-keys", "--out", tmp_path / "kunci", code=2)  # never overwrites


def test_analyse_reads_a_by_name_file_through_its_profile(runner, by_name, tmp_path):
    out_dir = tmp_path / "hasil"
    out = _run(
        runner, "analyse", "--kabupaten", "33.24", "--keluarga", by_name.xlsx,
        "--profil", "dtsen_nama", "--partial", "--out", out_dir, "--tanpa-kantong",
    )  # fmt: skip
    assert "nama_desa_ambigu" in out
    same = tmp_path / "kontrak"
    _run(
        runner, "analyse", "--kabupaten", "33.24", "--keluarga", by_name.csv,
        "--out", same, "--tanpa-kantong",
    )  # fmt: skip
    for table in ("desa.csv", "h3.csv", "kabupaten.csv"):
        a = pd.read_csv(out_dir / table, encoding="utf-8-sig")
        b = pd.read_csv(same / table, encoding="utf-8-sig")
        pd.testing.assert_frame_equal(a, b)
    blob = b"".join(p.read_bytes() for p in out_dir.rglob("*") if p.is_file()).decode("latin-1")
    assert not [n for n in by_name.nik + by_name.kk if n in blob]
