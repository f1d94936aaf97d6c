"""The block table (desa and H3 cell per ~25 m block) gives exactly the answers of the
index's ranges, the exact rule and h3ronpy, also next to every desa and H3 cell border."""

import numpy as np
import pandas as pd
import pytest
import shapely
from h3ronpy.vector import cells_to_wkb_polygons

from geo_service.analysis.fastjoin import (
    BoundaryIndex,
    build_boundary_index,
    build_join_table,
    h3_cells_threaded,
    locate_arrays,
    locate_with_index,
)
from geo_service.analysis.locate import _locate_reference, h3_cells
from geo_service.services.bench.common import BenchInput, counts_numpy, counts_pandas
from tests.analysis.test_fastjoin import _tricky_points
from tests.fixtures import location_desa, location_families


@pytest.fixture(scope="module")
def plain(kendal_desa):
    return build_boundary_index(kendal_desa)


@pytest.fixture(scope="module")
def tabled(kendal_desa, plain):
    return build_join_table(plain, kendal_desa, h3_resolution=8)


def _hex_border_points(desa, rng, resolution=8) -> pd.DataFrame:
    """Vertices and edge midpoints of the H3 cells over the layer, jittered 0..10 m."""
    minx, miny, maxx, maxy = desa.total_bounds
    lon = rng.uniform(minx, maxx, 4000)
    lat = rng.uniform(miny, maxy, 4000)
    cells = np.unique(h3_cells(lat, lon, resolution))
    polys = shapely.from_wkb(np.asarray(cells_to_wkb_polygons(cells), dtype=object))
    xy = shapely.get_coordinates(polys)
    mids = (xy[1:] + xy[:-1]) / 2
    base = np.vstack([xy, mids])
    out = [base]
    for scale in (1e-8, 1e-7, 1e-6, 5e-6, 1e-5, 1e-4):
        out.append(base + rng.normal(0, scale, base.shape))
    pts = np.vstack(out)
    codes = desa["kode"].to_numpy()
    return pd.DataFrame(
        {
            "kode_desa": codes[rng.integers(0, len(codes), len(pts))],
            "lat": pts[:, 1],
            "lon": pts[:, 0],
        }
    )


def test_table_equals_the_ranges_and_h3ronpy(kendal_desa, plain, tabled):
    rng = np.random.default_rng(3)
    fam = pd.concat(
        [_tricky_points(kendal_desa, 30_000, seed=4), _hex_border_points(kendal_desa, rng)],
        ignore_index=True,
    )
    lat, lon = fam["lat"].to_numpy(), fam["lon"].to_numpy()
    args = (lat, lon, fam["kode_desa"], kendal_desa)
    want = locate_arrays(plain, *args, h3_resolution=8)
    got = locate_arrays(tabled, *args, h3_resolution=8)
    for name in ("desa", "status", "h3", "geotag", "registered"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    np.testing.assert_array_equal(got.jarak_m, want.jarak_m)
    assert got.n_exact == want.n_exact > 1000
    geo = ~np.isnan(lat)
    assert np.array_equal(got.h3[geo], h3_cells(lat[geo], lon[geo], 8))
    threaded = h3_cells_threaded(lat, lon, 8, index=tabled)
    assert np.array_equal(threaded, h3_cells(lat, lon, 8))
    # The table answers many points on its own (most of these are on borders by design).
    d, h = tabled.table_lookup(lat, lon)
    assert ((d >= 0) & (h != 0)).mean() > 0.1
    assert (d[~geo] == -1).all() and (h[~geo] == 0).all()


def test_table_at_another_resolution_is_not_used_for_h3(kendal_desa, tabled):
    fam = _tricky_points(kendal_desa, 5000, seed=6)
    lat, lon = fam["lat"].to_numpy(), fam["lon"].to_numpy()
    got = locate_arrays(tabled, lat, lon, fam["kode_desa"], kendal_desa, h3_resolution=9)
    geo = ~np.isnan(lat)
    assert np.array_equal(got.h3[geo], h3_cells(lat[geo], lon[geo], 9))
    desa_only = build_join_table(tabled, kendal_desa, h3_resolution=None)
    assert desa_only.table is not None and desa_only.table.h3_resolution == -1
    again = locate_arrays(desa_only, lat, lon, fam["kode_desa"], kendal_desa, h3_resolution=8)
    assert np.array_equal(again.h3[geo], h3_cells(lat[geo], lon[geo], 8))


def test_fixture_cases_through_the_table():
    desa = location_desa()
    index = build_join_table(build_boundary_index(desa, cell_m=8), desa, h3_resolution=8)
    fam = location_families()
    pd.testing.assert_frame_equal(locate_with_index(index, fam, desa), _locate_reference(fam, desa))


def test_table_round_trips_through_bytes(plain, tabled):
    back = BoundaryIndex.from_bytes(tabled.to_bytes())
    assert back.table is not None and tabled.table is not None
    assert back.table.level == tabled.table.level and back.table.h3_resolution == 8
    for name in ("block", "combo_desa", "combo_h3"):
        assert np.array_equal(getattr(back.table, name), getattr(tabled.table, name)), name
    assert BoundaryIndex.from_bytes(plain.to_bytes()).table is None
    assert back.fingerprint == plain.fingerprint


def test_counts_numpy_equals_counts_pandas(kendal_desa):
    rng = np.random.default_rng(2)
    n = 20_000
    codes = kendal_desa["kode"].to_numpy()
    lat = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(-7.1, -6.9, n))
    lon = rng.uniform(110.0, 110.3, n)
    fam = pd.DataFrame(
        {
            "kode_desa": codes[rng.integers(0, len(codes), n)],
            "lat": lat,
            "lon": lon,
            "jumlah_art": rng.integers(1, 14, n).astype(np.int16),
            "desil": rng.integers(1, 11, n).astype(np.int8),
        }
    )
    inp = BenchInput("t", fam, kendal_desa[["kode", "geometry"]])
    geotag = ~np.isnan(lat)
    geo_pos = np.flatnonzero(geotag)
    desa_pos = rng.integers(-1, len(codes), n)
    cells = h3_cells(lat, lon, 8)
    reg = pd.Index(codes).get_indexer(fam["kode_desa"])
    desa_pos[~geotag] = reg[~geotag]  # as locate_arrays gives them
    a = counts_numpy(inp, desa_pos, geotag, cells, fam["jumlah_art"].to_numpy(), fam["desil"] == 1)
    b = counts_pandas(inp, desa_pos[geo_pos], geo_pos, cells[geo_pos])
    assert a.equals(b)
