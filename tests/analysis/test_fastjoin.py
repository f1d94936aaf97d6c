"""The H3 boundary index gives exactly the reference location rule's answer."""

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from geo_service.analysis import schema as S
from geo_service.analysis.fastjoin import (
    EDGE_MARGIN_DEG,
    BoundaryIndex,
    build_boundary_index,
    locate_arrays,
    locate_with_index,
)
from geo_service.analysis.locate import _locate_reference, locate_keluarga
from tests.fixtures import DATA, LOCATION_CASES, location_desa, location_families


@pytest.fixture(scope="module")
def kendal(kendal_desa):
    return kendal_desa


@pytest.fixture(scope="module")
def kendal_index(kendal):
    return build_boundary_index(kendal)


def _tricky_points(desa: gpd.GeoDataFrame, n_random: int, seed: int) -> pd.DataFrame:
    """Random points over the layer's box and points on, just inside and just outside
    every kind of border: vertices, edge midpoints, overlaps, gaps, beyond 250 m."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = desa.total_bounds
    pad = 0.01
    lon = [rng.uniform(minx - pad, maxx + pad, n_random)]
    lat = [rng.uniform(miny - pad, maxy + pad, n_random)]
    xy = shapely.get_coordinates(desa.geometry.boundary.to_numpy())
    pick = xy[rng.choice(len(xy), min(len(xy), 6000), replace=False)]
    mids = (pick + np.roll(pick, 1, axis=0)) / 2
    for base in (pick, mids):
        for scale in (0.0, 1e-7, 1e-6, 1e-5, 1e-4, 5e-4, 2.5e-3):
            jitter = rng.normal(0, scale, base.shape) if scale else np.zeros(base.shape)
            lon.append(base[:, 0] + jitter[:, 0])
            lat.append(base[:, 1] + jitter[:, 1])
    overlaps = _overlap_points(desa, rng)
    lon.append(overlaps[:, 0])
    lat.append(overlaps[:, 1])
    lon, lat = np.concatenate(lon), np.concatenate(lat)
    codes = desa["kode"].to_numpy()
    n = len(lon)
    registered = codes[rng.integers(0, len(codes), n)]
    lat = np.where(rng.random(n) < 0.1, np.nan, lat)
    return pd.DataFrame({"kode_desa": registered, "lat": lat, "lon": lon})


def _overlap_points(desa, rng) -> np.ndarray:
    """Points inside the overlaps of neighbouring outlines (the tie-break)."""
    geoms = desa.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="overlaps")
    keep = a < b
    inter = shapely.intersection(geoms[a[keep]], geoms[b[keep]])
    inter = inter[shapely.area(inter) > 0]
    pts = shapely.get_coordinates(shapely.point_on_surface(inter))
    return np.vstack([pts, pts + rng.normal(0, 2e-5, pts.shape)])


def test_fixture_cases_through_the_index():
    desa = location_desa()
    index = build_boundary_index(desa, cell_m=8)
    fam = location_families()
    got = locate_with_index(index, fam, desa)
    pd.testing.assert_frame_equal(got, _locate_reference(fam, desa))
    by_name = dict(zip(fam["id_keluarga"], got["kode_desa_lokasi"], strict=True))
    for name, *_rest in LOCATION_CASES:
        want = _rest[3]
        assert (None if pd.isna(by_name[name]) else by_name[name]) == want


def test_index_ranges_lie_inside_one_desa_only(kendal, kendal_index):
    # The cells of random ranges (one row each) lie, grown by the margin, in the interior
    # of their desa and touch no other one.
    rng = np.random.default_rng(3)
    pick = rng.choice(kendal_index.n_intervals, 300, replace=False)
    level = kendal_index.level
    step = kendal_index.size / (1 << level)
    m = EDGE_MARGIN_DEG
    for i in pick:
        row = kendal_index.start[i] >> level
        assert kendal_index.end[i] >> level == row  # a range never leaves its row
        c0 = kendal_index.start[i] & ((1 << level) - 1)
        c1 = kendal_index.end[i] & ((1 << level) - 1)
        x, y = kendal_index.x0 + c0 * step, kendal_index.y0 + row * step
        cells = shapely.box(x - m, y - m, kendal_index.x0 + (c1 + 1) * step + m, y + step + m)
        inside = [k for k, g in enumerate(kendal.geometry) if g.intersects(cells)]
        assert inside == [int(kendal_index.desa[i])]
        assert kendal.geometry.iloc[inside[0]].contains_properly(cells)
    assert kendal_index.n_intervals > 1000


def test_index_covers_most_of_the_area(kendal, kendal_index):
    """Not only correct but useful: the kept cells cover nearly all of every large desa."""
    step = kendal_index.size / (1 << kendal_index.level)
    cells = np.bincount(
        kendal_index.desa,
        weights=kendal_index.end - kendal_index.start + 1,
        minlength=len(kendal),
    )
    area = shapely.area(kendal.geometry.to_numpy())
    big = area > 200 * step * step
    assert np.all(cells[big] * step * step > 0.8 * area[big])


def test_random_and_border_points_equal_the_reference(kendal, kendal_index):
    fam = _tricky_points(kendal, 40_000, seed=11)
    got = locate_with_index(kendal_index, fam, kendal)
    want = _locate_reference(fam, kendal)
    pd.testing.assert_frame_equal(got, want)
    # Every branch of the rule occurs in this sample.
    assert set(want["status_lokasi"]) == set(S.LOCATION_STATUSES)


def test_generated_families_equal_the_reference(kendal, kendal_index):
    from geo_service.io.boundaries import read_bps
    from geo_service.synth import calibration_from_bps, generate_keluarga

    calib = calibration_from_bps(read_bps(DATA), "33.24")
    fam = generate_keluarga(kendal, calib, n_keluarga=60_000, periode="2025-03", seed=5).keluarga
    got = locate_keluarga(fam, kendal, index=kendal_index)
    pd.testing.assert_frame_equal(got, _locate_reference(fam, kendal))


def test_arrays_api_and_fine_cells(kendal, kendal_index):
    fam = _tricky_points(kendal, 5_000, seed=2)
    loc = locate_arrays(
        kendal_index,
        fam["lat"].to_numpy(),
        fam["lon"].to_numpy(),
        fam["kode_desa"],
        kendal,
        h3_resolution=8,
    )
    ref = _locate_reference(fam, kendal)
    codes = np.asarray(kendal_index.codes, dtype=object)
    geotag = fam["lat"].notna().to_numpy()
    got = np.where(loc.desa >= 0, codes[np.maximum(loc.desa, 0)], None)
    want = ref["kode_desa_lokasi"].to_numpy(dtype=object)
    assert list(got[geotag]) == [None if pd.isna(v) else v for v in want[geotag]]
    assert np.array_equal(loc.geotag, geotag)
    assert 0 < loc.n_exact < geotag.sum()
    assert np.all(loc.h3[~geotag] == 0)
    ok = np.flatnonzero(geotag)[:500]
    assert [h3.int_to_str(int(c)) for c in loc.h3[ok]] == [
        h3.latlng_to_cell(a, b, 8)
        for a, b in zip(fam["lat"].iloc[ok], fam["lon"].iloc[ok], strict=True)
    ]


def test_index_round_trips_through_bytes(kendal, kendal_index):
    data = kendal_index.to_bytes()
    back = BoundaryIndex.from_bytes(data)
    assert back.fingerprint == kendal_index.fingerprint
    assert (back.x0, back.y0, back.size, back.level) == (
        kendal_index.x0,
        kendal_index.y0,
        kendal_index.size,
        kendal_index.level,
    )
    assert np.array_equal(back.start, kendal_index.start)
    assert np.array_equal(back.end, kendal_index.end)
    assert np.array_equal(back.desa, kendal_index.desa)
    assert list(back.codes) == list(kendal_index.codes)
    fam = _tricky_points(kendal, 2_000, seed=4)
    pd.testing.assert_frame_equal(
        locate_with_index(back, fam, kendal), locate_with_index(kendal_index, fam, kendal)
    )


def test_index_of_other_boundaries_is_refused(kendal, kendal_index):
    moved = kendal.copy()
    moved.loc[0, "geometry"] = shapely.affinity.translate(moved.geometry.iloc[0], 0.001, 0)
    with pytest.raises(ValueError, match="other boundaries"):
        locate_with_index(kendal_index, _tricky_points(kendal, 10, seed=1), moved)


def test_no_import_cycle_between_locate_and_fastjoin():
    """fastjoin and point_rule never import locate (locate imports both at the top)."""
    import ast
    import importlib

    for name in ("fastjoin", "point_rule"):
        mod = importlib.import_module(f"geo_service.analysis.{name}")
        tree = ast.parse(open(mod.__file__, encoding="utf-8").read())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "geo_service.analysis.locate" not in imported, name


@pytest.mark.parametrize(
    "kode_kab", ["52.71", "11.72", "93.01"], ids=["mataram", "sabang", "merauke"]
)
def test_national_layer_kabupaten_equal_the_reference(kode_kab):
    """Real national desa: a repaired collapsed ring (Ampenan Selatan), small islands
    (Sabang), long straight borders and a huge desa (Merauke); the scan-converted index
    gives the reference answer for random points and points around every border."""
    import warnings

    from geo_service.io.boundaries import read_boundaries
    from tests.analysis.test_boundaries import BORDER_LAYER

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        desa = read_boundaries(BORDER_LAYER, kode_kab=kode_kab)
    index = build_boundary_index(desa)
    assert index.n_intervals > 0
    fam = _tricky_points(desa, 20_000, seed=int(kode_kab.replace(".", "")))
    pd.testing.assert_frame_equal(locate_with_index(index, fam, desa), _locate_reference(fam, desa))
