"""`geo-service analyse --db`: the same files as the file-based run, and a stored run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.settings import get_settings
from tests.fixtures import KENDAL_DESA


@pytest.fixture
def runner(db_url, monkeypatch):
    monkeypatch.setenv("GEO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _ok(runner, *args):
    r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_analyse_from_database_equals_file_run(runner, tmp_path):
    fam = tmp_path / "keluarga.parquet"
    _ok(runner, "generate", "--kabupaten", "33.24", "--keluarga", 6000, "--seed", 9, "--out", fam)
    _ok(runner, "db", "upgrade")
    _ok(runner, "import", "batas", KENDAL_DESA)
    _ok(runner, "import", "keluarga", fam, "--periode", "2025-03")

    from_db, from_file = tmp_path / "db", tmp_path / "file"
    _ok(
        runner,
        "analyse",
        "--db",
        "--kabupaten",
        "33.24",
        "--periode",
        "2025-03",
        "--out",
        from_db,
        "--permutasi",
        199,
    )
    _ok(
        runner,
        "analyse",
        "--kabupaten",
        "33.24",
        "--keluarga",
        fam,
        "--out",
        from_file,
        "--permutasi",
        199,
    )
    for name in (
        "desa.csv",
        "kecamatan.csv",
        "kabupaten.csv",
        "h3.csv",
        "priorities.csv",
        "coverage.csv",
        "opd_targets.csv",
        "pockets.geojson",
    ):
        assert (from_db / name).read_bytes() == (from_file / name).read_bytes(), name

    run = json.loads((from_db / "run.json").read_text())
    assert run["id_analisis"] == 1
    assert run["masukan"]["basis_data"]["n_keluarga"] == 6000
    listed = " ".join(_ok(runner, "runs", "list").split())
    assert "33.24" in listed and "selesai" in listed


def test_analyse_db_needs_kabupaten_and_periode(runner, tmp_path):
    r = runner.invoke(app, ["analyse", "--db", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--periode" in r.output
