"""Gi* (own vectorised implementation) against esda and by hand; permutations; BH; neighbours."""

from __future__ import annotations

import warnings

import h3
import numpy as np
import scipy.sparse as sp
import shapely
from scipy import stats

from geo_service.analysis import gistar as G

# Kendal, near the town centre.
CENTRE = h3.latlng_to_cell(-6.92, 110.20, 8)
Z_TOLERANCE = 1e-9  # same formula, floating point only


def _fixture_cells():
    """91 cells around CENTRE minus a few (holes), plus two far cells (islands)."""
    cells = sorted(h3.grid_disk(CENTRE, 5))
    rng = np.random.default_rng(3)
    holes = set(rng.choice(cells, 6, replace=False).tolist()) - {CENTRE}
    cells = [c for c in cells if c not in holes]
    far = h3.latlng_to_cell(-7.20, 110.05, 8)
    far2 = h3.latlng_to_cell(-7.10, 109.95, 8)
    return cells + [far, far2]


def _fixture_values(cells):
    rng = np.random.default_rng(11)
    x = rng.gamma(2.0, 0.04, len(cells))
    hot = set(h3.grid_disk(CENTRE, 1))
    return np.array([v + (0.3 if c in hot else 0.0) for c, v in zip(cells, x, strict=True)])


def _pysal_w(w: sp.csr_matrix):
    from libpysal.weights import W

    nb = {i: w.indices[w.indptr[i] : w.indptr[i + 1]].tolist() for i in range(w.shape[0])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return W(nb, silence_warnings=True)


def test_h3_neighbours_are_the_adjacent_cells_present():
    cells = _fixture_cells()
    w = G.h3_neighbours(cells)
    assert (w != w.T).nnz == 0 and w.diagonal().sum() == 0
    present = set(cells)
    for i, c in enumerate(cells):
        expected = {x for x in h3.grid_ring(c, 1) if x in present}
        got = {cells[j] for j in w.indices[w.indptr[i] : w.indptr[i + 1]]}
        assert got == expected, c
    # The two far cells are islands.
    assert np.diff(w.indptr)[-2:].tolist() == [0, 0]


def test_gi_star_z_matches_esda_g_local_star():
    import esda  # dev extra: the golden reference must run, never skip

    cells = _fixture_cells()
    x = _fixture_values(cells)
    w = G.h3_neighbours(cells)
    ours = G.gi_star_z(x, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(x, _pysal_w(w), transform="B", star=True, permutations=0)
    tested = np.diff(w.indptr) > 0
    assert np.isnan(ours[~tested]).all(), "islands must have NaN z"
    diff = np.abs(ours[tested] - ref.Zs[tested])
    assert diff.max() < Z_TOLERANCE, f"max |z - esda Zs| = {diff.max():.2e}"


def test_gi_star_z_by_hand_on_a_chain():
    # Five areas in a row: 0-1-2-3-4.
    x = np.array([1.0, 2.0, 6.0, 3.0, 0.0])
    rows, cols = [0, 1, 1, 2, 2, 3, 3, 4], [1, 0, 2, 1, 3, 2, 4, 3]
    w = sp.csr_matrix((np.ones(8), (rows, cols)), shape=(5, 5))
    n, mean, s = 5, x.mean(), x.std()
    expected = []
    for nb in [[0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4]]:
        k = len(nb)
        expected.append((x[nb].sum() - k * mean) / (s * np.sqrt((n * k - k * k) / (n - 1))))
    np.testing.assert_allclose(G.gi_star_z(x, w), expected, rtol=0, atol=1e-12)


def test_permutation_p_values_match_esda_within_monte_carlo_error():
    import esda  # dev extra: the golden reference must run, never skip

    cells = _fixture_cells()
    x = _fixture_values(cells)
    w = G.h3_neighbours(cells)
    perms = 9999
    ours = G.gi_star(x, w, permutations=perms, permutations_max=None, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(
            x, _pysal_w(w), transform="B", star=True, permutations=perms, seed=5, n_jobs=1
        )
    tested = np.diff(w.indptr) > 0
    folded = np.minimum(ours.p_panas, ours.p_dingin)[tested]
    theirs = ref.p_sim[tested]
    # Two independent Monte Carlo estimates of the same p: difference sd sqrt(2p(1-p)/P).
    p = (folded + theirs) / 2
    bound = 5 * np.sqrt(2 * p * (1 - p) / perms) + 2 / (perms + 1)
    worst = np.max(np.abs(folded - theirs) - bound)
    assert worst <= 0, f"p-values differ from esda beyond 5 MC sd (excess {worst:.4f})"


def test_same_seed_same_p_values_other_seed_within_monte_carlo_error():
    cells = _fixture_cells()
    x = _fixture_values(cells)
    w = G.h3_neighbours(cells)
    a = G.gi_star(x, w, permutations=999, permutations_max=9999, seed=1)
    b = G.gi_star(x, w, permutations=999, permutations_max=9999, seed=1)
    c = G.gi_star(x, w, permutations=999, permutations_max=9999, seed=2)
    for field in ("z", "z_sim", "p_panas", "p_dingin", "p", "n_permutasi"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.z, c.z)
    tested = np.isfinite(a.p)
    assert not np.array_equal(a.p_panas[tested], c.p_panas[tested])
    p = (a.p_panas + c.p_panas)[tested] / 2
    perms = np.minimum(a.n_permutasi, c.n_permutasi)[tested]
    bound = 5 * np.sqrt(2 * p * (1 - p) / perms) + 2 / (perms + 1)
    assert np.all(np.abs(a.p_panas - c.p_panas)[tested] <= bound)
    # Small p-values were refined to 9,999 permutations, the others kept 999.
    assert set(np.unique(a.n_permutasi[tested])) == {999, 9999}
    assert np.all(a.p[tested & (a.n_permutasi == 999)] > 0.1)


def test_draws_are_without_replacement_exclude_self_and_uniform():
    rng = np.random.default_rng(0)
    n, d, m = 40, 6, 20000
    owner = np.repeat(np.array([0, 17, 39]), m // 3 + 1)[:m]
    draws = G._draw_without_replacement(owner, m, n, d, rng)
    assert draws.shape == (d, m)
    assert not (draws == owner).any()
    srt = np.sort(draws, axis=0)
    assert not (srt[1:] == srt[:-1]).any(), "an index drawn twice in one permutation"
    # Each other index equally likely: chi-square over the 39 allowed values of owner 17.
    sel = draws[:, owner == 17].ravel()
    counts = np.bincount(sel, minlength=n)
    assert counts[17] == 0
    allowed = np.delete(counts, 17)
    assert stats.chisquare(allowed).pvalue > 1e-3


def test_p_values_are_calibrated_under_no_spatial_structure():
    # 1,141 cells with iid values: about 5% of two-sided p-values below 0.05.
    cells = sorted(h3.grid_disk(CENTRE, 19))
    rng = np.random.default_rng(8)
    x = rng.gamma(2.0, 1.0, len(cells))
    # First pass 999 permutations, refined to 9,999 where p <= 0.1: still calibrated.
    g = G.gi_star(x, G.h3_neighbours(cells), permutations=999, permutations_max=9999, seed=4)
    rate = np.mean(g.p[np.isfinite(g.p)] <= 0.05)
    assert 0.025 <= rate <= 0.075, f"share of p <= 0.05 under the null: {rate:.3f}"
    reject, _ = G.fdr_bh(g.p, 0.05)
    assert reject.sum() == 0


def test_total_permutation_uses_the_own_value():
    # One very high cell with ordinary neighbours: conditional permutation ignores its own
    # value (Gi* then tests the neighbours only), total permutation does not.
    cells = sorted(h3.grid_disk(CENTRE, 6))
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 0.1, len(cells))
    x[cells.index(CENTRE)] = 5.0
    w = G.h3_neighbours(cells)
    i = cells.index(CENTRE)
    cond = G.gi_star(x, w, permutations=1999, seed=1, conditional=True)
    total = G.gi_star(x, w, permutations=1999, seed=1, conditional=False)
    assert total.n_permutasi[i] == 9999  # refined: its first-pass p was small
    assert total.p_panas[i] < 0.05 < cond.p_panas[i], (total.p_panas[i], cond.p_panas[i])


def test_fdr_bh_matches_scipy_and_handles_nan():
    rng = np.random.default_rng(1)
    p = np.r_[rng.uniform(0, 1, 200), rng.uniform(0, 0.001, 20), np.nan]
    reject, q = G.fdr_bh(p, 0.05)
    ref = stats.false_discovery_control(p[:-1], method="bh")
    np.testing.assert_allclose(q[:-1], ref, rtol=1e-12)
    assert np.isnan(q[-1]) and not reject[-1]
    assert reject[:-1].sum() == (ref <= 0.05).sum()
    assert G.fdr_bh(np.array([np.nan, np.nan]))[0].sum() == 0


def test_classify():
    z = np.array([3.0, -3.0, 3.0, np.nan])
    reject = np.array([True, True, False, False])
    assert G.classify(z, reject).tolist() == [
        "panas",
        "dingin",
        "tidak_signifikan",
        "tanpa_tetangga",
    ]


def _square(x0, y0, size=0.01):
    return shapely.box(x0, y0, x0 + size, y0 + size)


def test_queen_contiguity_matches_libpysal_and_handles_islands_and_gaps():
    import geopandas as gpd
    import libpysal  # dev extra: the golden reference must run, never skip

    xs = np.round(110.0 + 0.01 * np.arange(4), 6)  # a shared grid: exact common vertices
    ys = np.round(-7.0 + 0.01 * np.arange(4), 6)
    polys = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(3) for i in range(3)]
    polys.append(_square(110.5, -7.3))  # island
    gap = 2.0 / 111_320  # 2 m gap: still a neighbour with the 5 m tolerance
    polys.append(_square(110.03 + gap, -7.0))
    polys.append(_square(110.0, -7.0 - 0.01 - 50 / 111_320))  # 50 m away: not a neighbour
    w = G.queen_neighbours(polys, tolerance_m=5.0)
    deg = np.diff(w.indptr)
    assert deg[9] == 0, "island"
    assert {int(j) for j in w.indices[w.indptr[10] : w.indptr[11]]} == {2, 5}
    assert deg[11] == 0
    # The 3x3 block: the same neighbours as libpysal's Queen.
    gdf = gpd.GeoDataFrame(geometry=polys[:9], crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = libpysal.weights.Queen.from_dataframe(gdf, use_index=False)
    strict = G.queen_neighbours(polys[:9], tolerance_m=0)
    for i in range(9):
        assert set(strict.indices[strict.indptr[i] : strict.indptr[i + 1]].tolist()) == set(
            ref.neighbors[i]
        ), i
    # Gi* on these areas: islands and areas without value get NaN, nothing crashes.
    x = np.r_[np.arange(9.0), 4.0, 2.0, np.nan]
    g = G.gi_star(x, w, permutations=99, seed=0)
    assert np.isnan(g.z[9]) and np.isnan(g.p[9]) and np.isnan(g.z[11])
    assert np.isfinite(g.z[:9]).all() and np.isfinite(g.p[:9]).all()


def test_distance_band_neighbours():
    cells = sorted(h3.grid_disk(CENTRE, 3))
    lon, lat = G.cell_centres(cells)
    w1 = G.distance_band_neighbours(lon, lat, 1200.0)  # adjacent centres 880-940 m apart here
    ring = G.h3_neighbours(cells)
    assert (w1 != ring).nnz == 0
    w2 = G.distance_band_neighbours(lon, lat, 1700.0)
    assert (w2 != w2.T).nnz == 0 and w2.nnz > ring.nnz


def test_min_permutations():
    # 1,500 tests, BH at 0.05, 6 cells at the smallest p: 9,999 permutations suffice.
    assert G.min_permutations(1500, 0.05, 6) <= 9999
    assert G.min_permutations(1500, 0.05, 6) > 999
    # One-sided: half the permutations for the same reach (issue 11).
    assert G.min_permutations(1500, 0.05, 3, sides=1) <= 9999
    assert G.min_permutations(3000, 0.05, 6, sides=1) == G.min_permutations(3000, 0.05, 12)


def test_one_sided_classes_use_bh_per_tail():
    """Hot and cold are tested on their own tails, each with BH over all tested cells: a
    cell with one-sided p 0.004 among 10 tests is hot (BH cut-off 0.005 for the smallest),
    where the two-sided p 0.008 would not be."""
    z = np.array([2.9, 0.1, -0.2, 0.3, -3.0, 0.5, -0.4, 0.2, 0.1, np.nan])
    p_hot = np.array([0.004, 0.45, 0.6, 0.4, 0.999, 0.3, 0.7, 0.42, 0.46, np.nan])
    p_cold = 1.0 - p_hot + 0.001
    p_cold[4] = 0.003
    kelas, p, q = G.classify_one_sided(z, p_hot, p_cold, 0.05)
    assert kelas.tolist()[:5] == [
        "panas",
        "tidak_signifikan",
        "tidak_signifikan",
        "tidak_signifikan",
        "dingin",
    ]
    assert kelas[-1] == "tanpa_tetangga"
    assert p[0] == 0.004 and p[4] == 0.003 and p[2] == p_cold[2]
    assert q[0] == np.float64(0.004 * 9) and q[4] == np.float64(0.003 * 9)
    # Two-sided BH would not find the hot cell alone: 2 * 0.004 * 9 = 0.072 > 0.05.
    p_cold[4] = 0.5
    two = np.minimum(1, 2 * np.minimum(p_hot, p_cold))
    assert not G.fdr_bh(two, 0.05)[0].any()
    assert G.classify_one_sided(z, p_hot, p_cold, 0.05)[0][0] == "panas"
