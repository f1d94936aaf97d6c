"""The benchmark harness at a tiny size: methods agree, and a disagreement is caught."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.services.bench import join as jb
from tests.fixtures import DATA


@pytest.fixture(scope="module")
def tiny():
    return jb.kendal_input(5_000, seed=3, data_dir=DATA)


def test_methods_give_identical_counts(tiny):
    results = jb.run_comparison(tiny, ["naive", "geopandas", "geo_service"], say=lambda s: None)
    assert [r.method for r in results] == ["naive", "geopandas", "geo_service"]
    assert all(r.identical is True for r in results)
    assert all(r.seconds > 0 and r.peak_mb is not None for r in results)
    frame = jb.table(results)
    assert frame["x_naive"].notna().all()
    rec = results[-1].record()
    assert set(rec) >= {"dataset", "n_families", "method", "seconds", "peak_mb", "identical"}
    assert rec["index_build_s"] >= 0


def test_counts_cover_every_family(tiny):
    ref = jb.reference_counts(tiny)
    fam = tiny.keluarga
    geotag = fam["lat"].notna()
    assert int(ref.h3["n_keluarga"].sum()) == int(geotag.sum())  # every geotag has a cell
    # Desa totals: every family except those beyond 250 m of any desa.
    assert int(ref.desa["n_keluarga"].sum()) <= len(fam)
    assert int(ref.desa["n_keluarga"].sum()) >= len(fam) - 50


def test_a_method_that_breaks_the_rule_is_flagged(tiny, monkeypatch):
    def careless(inp, state=None):
        # Containment only: no tie-break, no 250 m fallback, overlaps counted twice.
        fam = inp.keluarga
        geo_pos = np.flatnonzero(fam["lat"].notna().to_numpy())
        import geopandas as gpd

        pts = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(
                fam["lon"].to_numpy()[geo_pos], fam["lat"].to_numpy()[geo_pos]
            ),
            crs=4326,
        )
        j = gpd.sjoin(pts, inp.desa[["geometry"]], predicate="within")
        desa_pos = np.full(len(geo_pos), -1)
        desa_pos[j.index.to_numpy()] = j["index_right"].to_numpy()
        cells = jb.h3_cells(fam["lat"].to_numpy()[geo_pos], fam["lon"].to_numpy()[geo_pos], 8)
        return jb.counts_pandas(inp, desa_pos, geo_pos, cells)

    monkeypatch.setattr(jb, "method_geopandas", careless)
    results = jb.run_comparison(tiny, ["naive", "geopandas"], say=lambda s: None)
    by = {r.method: r for r in results}
    assert by["naive"].identical is True
    assert by["geopandas"].identical is False
    assert jb.table(results)["x_naive"].isna().all()  # no ratio when results differ


def test_missing_postgis_url_is_a_printed_skip(tiny):
    said = []
    results = jb.run_comparison(tiny, ["postgis"], postgis_url=None, say=said.append)
    assert results[0].identical is None and results[0].seconds is None
    assert "no PostGIS URL" in results[0].note
    assert any("skipped" in s for s in said)


def test_cli_writes_the_records(tmp_path):
    target = tmp_path / "hasil.json"
    res = CliRunner().invoke(
        app,
        [
            "bench",
            "--n",
            "3000",
            "--methods",
            "geopandas,geo_service,geo_service_cold",
            "--no-cold-warm",
            "--full-n",
            "2000",
            "--work-dir",
            str(tmp_path / "kerja"),
            "--out",
            str(target),
        ],
    )
    assert res.exit_code == 0, res.output
    records = json.loads(target.read_text())
    join = [r for r in records if r["method"] != "analyse_full"]
    assert [r["method"] for r in join] == ["geopandas", "geo_service", "geo_service_cold"]
    assert all(r["identical"] is True and r["n_families"] == 3000 for r in join)
    assert "geo_service" in res.output
    full = [r for r in records if r["method"] == "analyse_full"]
    assert len(full) == 1 and full[0]["n_families"] == 2000
    steps = full[0]["steps_s"]
    assert {"validasi", "lokasi", "h3", "agregat", "kantong", "tulis", "peta"} <= set(steps)
    assert full[0]["seconds"] >= sum(steps.values()) * 0.99
