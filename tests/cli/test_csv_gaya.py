"""``geo-service --csv-gaya id|standar``: the Indonesian spreadsheet convention on the CLI."""

from __future__ import annotations

import os

from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.io.export import CSV_ENV


def _target_csv(tmp_path, *opts: str) -> str:
    out = tmp_path / "_".join(opts or ("bawaan",))
    r = CliRunner().invoke(app, [*opts, "target", "--kabupaten", "33.24", "--out", str(out)])
    assert r.exit_code == 0, r.output
    return (out / "target_progres.csv").read_text(encoding="utf-8-sig")


def test_csv_gaya_id_writes_semicolons_and_decimal_commas(tmp_path, monkeypatch):
    monkeypatch.delenv(CSV_ENV, raising=False)
    standar = _target_csv(tmp_path).splitlines()
    id_ = _target_csv(tmp_path, "--csv-gaya", "id").splitlines()
    assert CSV_ENV not in os.environ  # the option lasts for its command only
    assert standar[0].startswith('"kode_kab","kabupaten",')
    assert id_[0].startswith('"kode_kab";"kabupaten";')
    # Codes quoted (stay text); the 4.5 % target as a number with the convention's decimal.
    assert any(line.startswith('"33.24",') and ",4.5," in line for line in standar[1:])
    assert any(line.startswith('"33.24";') and ";4,5;" in line for line in id_[1:])
    assert _target_csv(tmp_path, "--csv-gaya", "intl").splitlines() == standar


def test_csv_gaya_from_the_environment_and_refused_when_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv(CSV_ENV, "id")
    assert _target_csv(tmp_path).splitlines()[0].startswith('"kode_kab";')
    r = CliRunner().invoke(app, ["--csv-gaya", "eropa", "target"])
    assert r.exit_code != 0 and "--csv-gaya" in r.output
