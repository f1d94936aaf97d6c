"""`generate --nasional` makes one family file per kabupaten of a layer; `batch` analyses
them with a progress bar and reports per kabupaten (wall and CPU seconds, peak memory)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from typer.testing import CliRunner

from geo_service.cli import app
from tests.fixtures import DATA

runner = CliRunner()
KABUPATEN = {"33.24": "kendal", "33.20": "jepara"}


def test_generate_national_then_batch(tmp_path):
    layer = tmp_path / "desa.parquet"
    pd.concat(
        [
            gpd.read_file(DATA / "boundaries" / f"desa_{k}_{n}.geojson")
            for k, n in KABUPATEN.items()
        ],
        ignore_index=True,
    ).to_parquet(layer)
    fam = tmp_path / "keluarga"
    args = ["generate", "--nasional", "--boundaries", str(layer), "--keluarga", "1200"]
    r = runner.invoke(app, [*args, "--out", str(fam), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "2 kabupaten, 1,200 families" in r.output and "2 newly written" in r.output
    assert sorted(p.stem for p in fam.glob("*.parquet")) == sorted(KABUPATEN)
    r = runner.invoke(app, [*args, "--out", str(fam), "--lang", "en"])
    assert "0 newly written" in r.output  # made once

    out = tmp_path / "hasil"
    r = runner.invoke(
        app,
        ["batch", "--keluarga", str(fam), "--boundaries", str(layer), "--out", str(out)]
        + ["--tanpa-kantong", "--partial", "--workers", "1", "--lang", "en"],
    )
    assert r.exit_code == 0, r.output
    assert "Done: 2 kabupaten" in r.output
    summary = pd.read_csv(out / "ringkasan_nasional.csv", dtype={"kode_kab": str})
    assert list(summary["kode_kab"]) == ["33.20", "33.24", "TOTAL"]
    assert summary.iloc[-1]["n_baris"] == 1200  # every generated row read, none lost
    rows = summary.iloc[:2]
    assert (rows["detik_cpu"] > 0).all() and (rows["rss_puncak_mb"] > 50).all()


def test_generate_needs_a_kabupaten_or_national(tmp_path):
    r = runner.invoke(app, ["generate", "--out", str(tmp_path / "x.parquet")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["generate", "--nasional", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "--boundaries" in r.output
