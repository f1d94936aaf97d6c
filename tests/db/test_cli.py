"""The database commands on both backends: db upgrade/status, import batas|keluarga|
laporan, runs list."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.db import head_revision
from geo_service.settings import get_settings
from tests.services.test_imports import KENDAL, every_reason_frame


@pytest.fixture
def cli_env(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("GEO_DATABASE_URL", db_url)
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _run(runner, *args):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def test_commands_end_to_end(cli_env, tmp_path):
    runner = cli_env
    code, output = _run(runner, "runs", "list")
    assert code == 2 and "geo-service db upgrade" in output  # not migrated: refused

    code, output = _run(runner, "db", "upgrade")
    head = head_revision()
    assert code == 0 and f"-> {head}" in output
    code, output = _run(runner, "db", "status")
    assert code == 0 and f"head {head}" in output

    code, output = _run(runner, "import", "batas", str(KENDAL))
    assert code == 0 and "286 desa" in output

    bad = tmp_path / "alasan.csv"
    every_reason_frame().to_csv(bad, index=False)
    code, output = _run(runner, "import", "keluarga", str(bad), "--periode", "2025-03")
    assert code == 2 and "tidak ada yang diimpor" in output
    assert "koordinat_tertukar" in output  # counts per reason code printed
    code, output = _run(runner, "import", "laporan", "2", "--out", str(tmp_path / "lap.csv"))
    assert code == 0 and "gagal" in output
    assert (tmp_path / "lap.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    code, output = _run(runner, "import", "keluarga", str(bad), "--periode", "2025-03", "--partial")
    assert code == 0 and "7 keluarga" in output and "dikarantina" in output
    code, output = _run(runner, "import", "keluarga", str(bad), "--periode", "2025-03", "--partial")
    assert code == 0 and "sudah pernah diimpor" in output

    code, output = _run(runner, "runs", "list")
    assert code == 0 and "Belum ada analisis" in output
