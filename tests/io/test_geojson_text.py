"""The GeoJSON files are written as text (``feature_collection_text``, no Feature dicts): the
same bytes as ``dumps(feature_collection(...))``, the dict form the API answers with."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from geo_service.io.geojson import (
    _float_texts,
    dumps,
    feature_collection,
    feature_collection_text,
)

SQUARE = Polygon([(110.0, -7.0), (110.1, -7.0), (110.1, -6.9), (110.0, -6.9)])
# Vertices that the Arrow cast writes differently from repr: integral, tiny, huge, -0.0.
AWKWARD = Polygon([(0.0, -0.0), (3e-5, 0.0), (1e-4, 2.0), (-0.00005, 1.5)])
HOLED = Polygon(
    [(110.0, -7.0), (110.2, -7.0), (110.2, -6.8), (110.0, -6.8)],
    holes=[[(110.05, -6.95), (110.05, -6.9), (110.1, -6.9), (110.1, -6.95)]],
)


def _props(n: int) -> dict:
    return {
        "kode_desa": ["33.24.01.2001", None, 'a"b', "ü\n", "=1+1", "x"][:n],
        "n": np.arange(n, dtype=np.int64),
        "x": [1.5, np.nan, np.inf, -0.0, 1e16, 0.1 + 0.2][:n],
        "b": [True, False, True, False, True, False][:n],
        "ni": pd.array([1, None, 3, 4, 5, 6][:n], dtype="Int64"),
        "obj": [[1, 2], {"k": np.int64(3)}, None, np.nan, ("a",), 2.5][:n],
        "s": pd.array(["a", None, "c", "d", "e", "f"][:n], dtype="str"),
    }


@pytest.mark.parametrize("id_column", [None, "kode_desa", "n", "missing"])
@pytest.mark.parametrize("precision", [6, None, 2])
def test_areas_text_is_the_dict_text(id_column, precision):
    geoms = [SQUARE, MultiPolygon([HOLED, AWKWARD]), None, AWKWARD, Polygon(), HOLED]
    gdf = gpd.GeoDataFrame(_props(6), geometry=geoms, crs=4326)
    want = dumps(feature_collection(gdf, precision=precision, id_column=id_column))
    assert feature_collection_text(gdf, precision=precision, id_column=id_column) == want


@pytest.mark.parametrize(
    "geoms",
    [
        [Point(110.5, -7.0), Point(3e-5, 0.0), None],
        [LineString([(110, -7), (110.5, -7.2)]), None, LineString([(0, 0), (1e-5, 1)])],
    ],
)
def test_points_and_lines_text_is_the_dict_text(geoms):
    gdf = gpd.GeoDataFrame(_props(3), geometry=geoms, crs=4326)
    assert feature_collection_text(gdf, id_column="kode_desa") == dumps(
        feature_collection(gdf, id_column="kode_desa")
    )


def test_plain_frames_empty_layers_and_members():
    plain = pd.DataFrame(_props(4))
    assert feature_collection_text(plain) == dumps(feature_collection(plain))
    empty = gpd.GeoDataFrame({"a": []}, geometry=[], crs=4326)
    assert feature_collection_text(empty) == dumps(feature_collection(empty))
    no_cols = gpd.GeoDataFrame(geometry=[SQUARE, None], crs=4326)
    assert feature_collection_text(no_cols) == dumps(feature_collection(no_cols))
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[SQUARE], crs=4326)
    members = {"numberMatched": 1, "links": [{"href": "x"}]}
    assert feature_collection_text(gdf, **members) == dumps(feature_collection(gdf, **members))
    assert feature_collection_text(gdf, features=[]) == dumps(feature_collection(gdf, features=[]))


def test_non_finite_coordinates_are_refused_as_before():
    gdf = gpd.GeoDataFrame(geometry=[Polygon([(0, 0), (np.inf, 0), (1, 1)])], crs=4326)
    with pytest.raises(ValueError):
        dumps(feature_collection(gdf, precision=None))
    with pytest.raises(ValueError):
        feature_collection_text(gdf, precision=None)


def test_float_texts_are_repr():
    rng = np.random.default_rng(17)
    values = np.concatenate(
        [
            np.round(rng.uniform(-180, 180, 20_000), 6),
            rng.uniform(-1, 1, 2_000) * 10.0 ** rng.integers(-9, 18, 2_000),
            rng.integers(-(2**62), 2**62, 2_000).view(np.float64),
            [0.0, -0.0, 1e-4, 9.99e-5, 1e15, 1e16, 123456789012345.0, 3.0, -7.0, 0.1 + 0.2],
        ]
    )
    values = values[np.isfinite(values)]
    assert _float_texts(values).to_pylist() == [repr(v) for v in values.tolist()]


def test_polygon_coordinates_round_trip():
    shape = MultiPolygon([HOLED, shapely.affinity.translate(SQUARE, 1.0)])
    gdf = gpd.GeoDataFrame(geometry=[shape], crs=4326)
    back = gpd.read_file(feature_collection_text(gdf)).geometry.iloc[0]
    assert shapely.equals(back, shape)
