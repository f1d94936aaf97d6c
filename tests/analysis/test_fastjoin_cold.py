"""The one-shot path (index built while H3 runs), the build in row bands and the exact
point rule (prepared ``contains_xy``, integer tie-break keys) give the same answers as
before: one sweep, the stored index, and a point-by-point brute force."""

import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S
from geo_service.analysis.fastjoin import build_boundary_index, locate_arrays
from geo_service.analysis.locate import h3_cells
from geo_service.analysis.point_rule import locate_points
from tests.analysis.test_fastjoin import _tricky_points


def test_build_in_row_bands_equals_one_sweep(kendal_desa):
    one = build_boundary_index(kendal_desa, threads=1)
    for threads in (2, 3):
        banded = build_boundary_index(kendal_desa, threads=threads)
        assert banded.level == one.level and banded.n_intervals == one.n_intervals
        for name in ("start", "end", "desa"):
            assert np.array_equal(getattr(banded, name), getattr(one, name)), (threads, name)
    assert one.n_intervals > 10_000


def test_one_shot_path_equals_the_stored_index(kendal_desa):
    fam = _tricky_points(kendal_desa, 20_000, seed=5)
    lat, lon = fam["lat"].to_numpy(), fam["lon"].to_numpy()
    stored = locate_arrays(
        build_boundary_index(kendal_desa), lat, lon, fam["kode_desa"], kendal_desa, h3_resolution=8
    )
    cold = locate_arrays(None, lat, lon, fam["kode_desa"], kendal_desa, h3_resolution=8)
    for name in ("desa", "status", "h3", "geotag", "registered"):
        assert np.array_equal(getattr(cold, name), getattr(stored, name)), name
    np.testing.assert_array_equal(cold.jarak_m, stored.jarak_m)
    assert cold.n_exact == stored.n_exact > 1000
    geo = ~np.isnan(lat)
    assert np.array_equal(cold.h3[geo], h3_cells(lat[geo], lon[geo], 8))
    assert (cold.h3[~geo] == 0).all()


def test_exact_rule_equals_a_point_by_point_brute_force(kendal_desa):
    """Step 1 of the rule with plain shapely predicates, one point at a time: inside
    (strictly) the polygons containing it, the registered code among them, else the lowest
    code; a point inside none is never placed 'dalam_desa' or 'tumpang_tindih'."""
    fam = _tricky_points(kendal_desa, 300, seed=9).dropna(subset=["lat"])
    fam = fam.sample(2500, random_state=1) if len(fam) > 2500 else fam
    lon, lat = fam["lon"].to_numpy(), fam["lat"].to_numpy()
    registered = fam["kode_desa"].to_numpy(dtype=object)
    polys = kendal_desa.geometry.to_numpy()
    codes = kendal_desa["kode"].to_numpy(dtype=object)
    kode, status, jarak = locate_points(lon, lat, registered, polys, codes)
    tree = shapely.STRtree(polys)
    n_overlap = 0
    for i in range(len(lon)):
        pt = shapely.Point(lon[i], lat[i])
        inside = [j for j in tree.query(pt) if polys[j].contains(pt)]
        if inside:
            cands = sorted(str(codes[j]) for j in inside)
            want = registered[i] if registered[i] in cands else cands[0]
            assert kode[i] == want, i
            assert status[i] == (
                S.STATUS_TUMPANG_TINDIH if len(inside) > 1 else S.STATUS_DALAM_DESA
            )
            assert jarak[i] == 0.0
            n_overlap += len(inside) > 1
        else:
            assert status[i] in (S.STATUS_TERDEKAT, S.STATUS_DI_LUAR_BATAS), i
            assert (status[i] == S.STATUS_TERDEKAT) == pd.notna(kode[i])
            assert status[i] == S.STATUS_DI_LUAR_BATAS or 0 <= jarak[i] <= 250.0  # 0: on an edge
    assert n_overlap > 0, "the sample has overlap points"
    assert set(status) >= {S.STATUS_DALAM_DESA, S.STATUS_TERDEKAT}
