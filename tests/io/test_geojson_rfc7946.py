"""RFC 7946 GeoJSON: the one writer (geo_service.io.geojson) on hand-made shapes with known
winding, and every GeoJSON the project writes: analysis output files, JSON API responses
and OGC API items (checked by tests.fixtures.rfc7946, an independent checker)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo_service.io.geojson import feature_collection, layer_type, write_geojson
from tests.fixtures.rfc7946 import file_problems, problems

# Clockwise exterior, counter-clockwise hole: the wrong way round for RFC 7946.
CW = Polygon(
    [(110.0, -7.0), (110.0, -6.9), (110.1, -6.9), (110.1, -7.0)],
    holes=[[(110.02, -6.98), (110.08, -6.98), (110.08, -6.92), (110.02, -6.92)]],
)


def test_checker_catches_what_the_issue_reported():
    bad = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
        "features": [
            {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(CW))},
            {
                "type": "Feature",
                "properties": {},
                "geometry": json.loads(shapely.to_geojson(MultiPolygon([CW]))),
            },
        ],
    }
    found = " | ".join(problems(bad))
    assert "crs" in found and "clockwise" in found and "mixed geometry types" in found


def test_writer_fixes_winding_crs_and_mixed_types(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"kode": ["a", "b", "c"], "nilai": [1.5, np.nan, 3.0]},
        geometry=[CW, MultiPolygon([CW, shapely.affinity.translate(CW, 0.2)]), None],
        crs=4326,
    )
    path = write_geojson(gdf, tmp_path / "x.geojson", id_column="kode")
    assert file_problems(path) == []
    fc = json.loads(path.read_text())
    assert [f["geometry"] and f["geometry"]["type"] for f in fc["features"]] == [
        "MultiPolygon",
        "MultiPolygon",
        None,
    ]
    assert [f["id"] for f in fc["features"]] == ["a", "b", "c"]
    assert fc["features"][1]["properties"]["nilai"] is None
    # The hole survives and is clockwise; the area is unchanged.
    ring_hole = fc["features"][0]["geometry"]["coordinates"][0][1]
    assert len(ring_hole) == 5
    back = gpd.read_file(path)
    assert back.geometry.iloc[0].area == pytest.approx(CW.area, rel=1e-6)


def test_projected_input_is_written_in_wgs84(tmp_path):
    gdf = gpd.GeoDataFrame({"k": [1]}, geometry=[CW], crs=4326).to_crs(32749)
    fc = json.loads(write_geojson(gdf, tmp_path / "p.geojson").read_text())
    x, y = fc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 109.9 < x < 110.2 and -7.1 < y < -6.8
    assert problems(fc) == []


def test_points_stay_points_and_mixed_families_are_refused():
    pts = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[Point(110, -7), None], crs=4326)
    fc = feature_collection(pts)
    assert fc["features"][0]["geometry"]["type"] == "Point" and problems(fc) == []
    assert layer_type([Point(0, 0), shapely.MultiPoint([(0, 0), (1, 1)])]) == "MultiPoint"
    with pytest.raises(ValueError, match="campuran"):
        layer_type([Point(0, 0), CW])


def test_plain_frame_gives_null_geometries():
    fc = feature_collection(pd.DataFrame({"a": [1, 2]}))
    assert [f["geometry"] for f in fc["features"]] == [None, None]
    assert problems(fc) == []


def test_every_geojson_of_an_analysis_folder(tmp_path, kendal_desa, kendal_calib):
    """The files `geo-service analyse` writes (desa, h3, pockets, cold spots)."""
    from geo_service.services.analysis_outputs import write_outputs
    from geo_service.services.analysis_run import RunParams, inputs_from_frames, run_analysis
    from geo_service.synth import generate_keluarga
    from tests.conftest import kendal_kecamatan
    from tests.fixtures import DATA

    desa = kendal_kecamatan(kendal_desa, 4)
    fam = generate_keluarga(
        desa, kendal_calib, n_keluarga=4_000, periode="2025-03", seed=3, kantong=2
    ).keluarga
    result = run_analysis(
        inputs_from_frames(fam, desa, data_dir=DATA),
        RunParams(seed=3, permutations=99, min_jiwa_kantong=20),
    )
    folder = write_outputs(result, tmp_path / "hasil")
    files = sorted(folder.glob("*.geojson"))
    assert {"desa.geojson", "h3.geojson", "pockets.geojson"} <= {f.name for f in files}
    for path in files:
        assert file_problems(path) == []
    fc = json.loads((folder / "desa.geojson").read_text())
    assert {f["geometry"]["type"] for f in fc["features"]} == {"MultiPolygon"}
    assert len(fc["features"]) == len(desa)
    # The same layers in one GeoPackage beside them (names and lists whole).
    import pyogrio

    layers = dict(pyogrio.list_layers(folder / "hasil.gpkg"))
    assert layers["desa"] == "MultiPolygon" and layers["kantong"] == "MultiPolygon"
    assert layers["prioritas"] is None
    assert len(pyogrio.read_dataframe(folder / "hasil.gpkg", layer="desa")) == len(desa)
