"""Issue 17: a desa that never went through the boundary repair cannot raise where its
geometry is snapped to a grid (``set_precision``: GeoJSON files, vector tiles) or unioned
(kecamatan outlines of the web and print maps, a map's centre).

Fixture: kecamatan 21.04.09 (Kabupaten Lingga) of the national layer
``indonesia_desa.parquet``, geometry as supplied (Batas wilayah:
cahyadsn/wilayah_boundaries (MIT), see the fixture's ``sumber``): Pulau Lalang (near lon
104.932, lat -0.773) and Berlian have a hole outside their shell, and GEOS refuses both.
"""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from geo_service.analysis import boundaries as B
from geo_service.io import mvt
from geo_service.io.geojson import rfc7946_geometries, write_geojson
from geo_service.mapping import folium_map, static_map
from tests.fixtures import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "desa_21.04.09_belum_diperbaiki.geojson"
LALANG, BERLIAN = "21.04.09.2002", "21.04.09.1004"


@pytest.fixture(scope="module")
def raw() -> gpd.GeoDataFrame:
    """The four desa as read, not checked or repaired."""
    return gpd.read_file(FIXTURE)


@pytest.fixture(scope="module")
def indicators(raw) -> gpd.GeoDataFrame:
    """The desa as a map draws them (indicator columns made up)."""
    return raw.rename(columns={"kode": "kode_desa", "nama": "nama_desa"}).assign(
        n_keluarga=[40, 10, 25, 60],
        n_jiwa_ekstrem=[3, 0, 5, 9],
        pct_jiwa_ekstrem=[2.0, 0.0, 5.5, 4.1],
    )


def test_the_fixture_has_the_defect(raw):
    geoms = raw.set_index("kode").geometry
    assert "cahyadsn/wilayah_boundaries" in FIXTURE.read_text(encoding="utf-8")
    for kode in (LALANG, BERLIAN):
        assert "Hole lies outside shell" in shapely.is_valid_reason(geoms[kode])
    assert geoms[LALANG].distance(shapely.Point(104.932, -0.773)) < 0.01
    with pytest.raises(shapely.errors.GEOSException, match="free hole"):
        shapely.set_precision(geoms[LALANG], 1e-6)
    with pytest.raises(shapely.errors.GEOSException):
        shapely.union_all(raw.geometry.to_numpy())


def test_geojson_geometries_repair_what_geos_refuses(raw, tmp_path):
    arr = raw.geometry.to_numpy()
    valid = shapely.is_valid(arr)
    assert valid.sum() == 2
    for precision in (6, 5):
        out, kind = rfc7946_geometries(arr, precision=precision)
        assert kind == "MultiPolygon" and shapely.is_valid(out).all()
        # The valid desa: exactly what they give on their own (nothing changed for them).
        alone, _ = rfc7946_geometries(arr[valid], precision=precision)
        assert shapely.equals_exact(out[valid], alone, tolerance=0).all()
        # The invalid ones: the project's repair, then the grid.
        fixed, _ = rfc7946_geometries(B.repaired_where_invalid(arr[~valid]), precision=precision)
        assert shapely.equals_exact(out[~valid], fixed, tolerance=0).all()
    path = write_geojson(raw, tmp_path / "desa.geojson")
    back = gpd.read_file(path)
    assert list(back["kode"]) == list(raw["kode"]) and back.geometry.is_valid.all()
    lalang = back.set_index("kode").geometry[LALANG]
    repaired = B.repair_polygon(raw.set_index("kode").geometry[LALANG])
    assert lalang.area == pytest.approx(repaired.area, rel=1e-4)


def test_set_precision_rounds_what_even_the_repair_cannot_save(raw, monkeypatch):
    """Last resort: a geometry GEOS refuses after the repair is only rounded to the grid."""
    arr = raw.geometry.to_numpy()
    monkeypatch.setattr(B, "repaired_where_invalid", lambda geoms: np.asarray(geoms))
    out = B.set_precision_repaired(arr, 1e-5)
    for i, g in enumerate(arr):
        if g.is_valid:
            assert shapely.equals_exact(out[i], shapely.set_precision(g, 1e-5), tolerance=0)
        else:
            pointwise = shapely.set_precision(g, 1e-5, mode="pointwise")
            assert shapely.equals_exact(out[i], pointwise, tolerance=0)


def test_union_of_valid_geometry_is_unchanged(raw):
    arr = raw.geometry.to_numpy()
    good = arr[shapely.is_valid(arr)]
    assert shapely.equals_exact(B.union_repaired(good), shapely.union_all(good), tolerance=0)
    whole = B.union_repaired(arr)
    assert whole.is_valid and whole.area == pytest.approx(
        shapely.union_all(B.repaired_where_invalid(arr)).area, rel=1e-12
    )


def test_web_map_outlines_unrepaired_desa(indicators):
    page = folium_map.choropleth_map(indicators).get_root().render()
    assert "Pulau Lalang" in page
    ids, exact, coarse = folium_map._kecamatan(indicators, None, folium_map.COARSE_M)
    assert ids == ["21.04.09"] and exact[0].is_valid and len(coarse) == 1
    repaired = B.repaired_where_invalid(indicators.geometry.to_numpy())
    assert shapely.equals_exact(
        exact[0], folium_map._without_slivers(shapely.union_all(repaired)), tolerance=0
    )
    # every desa lies inside its kecamatan's outline
    inside = shapely.covers(exact[0].buffer(1e-9), shapely.point_on_surface(repaired))
    assert inside.all()


def test_print_map_outlines_unrepaired_desa(raw, indicators):
    outlines = static_map._kecamatan_outlines(raw, None)
    assert list(outlines["kode_kec"]) == ["21.04.09"] and outlines.geometry.is_valid.all()
    png = static_map.choropleth_png(indicators)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_vector_tile_over_pulau_lalang(raw):
    arr = raw.geometry.to_numpy()
    lon, lat = arr[list(raw["kode"]).index(LALANG)].representative_point().coords[0]
    z = 12
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    props = [{"kode": k} for k in raw["kode"]]
    tile = mvt.encode("desa", arr, props, list(range(len(arr))), z, x, y)
    feats = mapbox_vector_tile.decode(tile)["desa"]["features"]
    assert LALANG in {f["properties"]["kode"] for f in feats}
