"""The scan's replicate machinery: the maximum LLR over elevated zones only equals the
maximum over all zones, the null maxima do not depend on threads and follow the family
shuffle, and the greedy selection equals the plain definition."""

from __future__ import annotations

import numpy as np
import pytest

from geo_service.analysis import scan as S
from geo_service.analysis.scan_llr import FastLLR
from geo_service.analysis.scan_null import null_maxima


def _grid(n_side: int, spacing: float = 800.0) -> np.ndarray:
    g = np.arange(n_side)
    x, y = np.meshgrid(g, g)
    return np.c_[x.ravel(), y.ravel()] * spacing


@pytest.mark.parametrize("model", ["bernoulli", "poisson"])
def test_row_max_equals_the_maximum_over_all_zones(model):
    rng = np.random.default_rng(0)
    zone_pop = rng.integers(1, 400, 300)
    N, C = 5000, 600
    cases = np.minimum(rng.binomial(zone_pop[:, None], 0.14, (300, 25)), C)
    fast = FastLLR(model, zone_pop, C, N)
    expect = fast(cases).max(axis=0)
    np.testing.assert_array_equal(fast.row_max(cases.T), expect)
    # A replicate in which no zone is elevated gives 0.
    assert fast.row_max(np.zeros((1, 300), dtype=np.int64))[0] == 0.0


def _family_shuffle_maxima(zones, fast, fam_cell, jiwa, ekstrem, n_cells, reps, rng):
    """The definition: permute the extreme flags over the families."""
    out = np.empty(reps)
    for r in range(reps):
        flags = rng.permutation(ekstrem)
        cases = np.bincount(fam_cell, weights=jiwa * flags, minlength=n_cells).astype(np.int64)
        out[r] = fast(zones.sums(cases)).max()
    return out


def test_null_maxima_follow_the_family_shuffle_and_ignore_threads():
    xy = _grid(7)
    rng = np.random.default_rng(3)
    f = 900
    fam_cell = rng.integers(0, len(xy), f)
    jiwa = rng.choice([1, 2, 3, 5, 9], f)
    ekstrem = rng.random(f) < 0.12
    pop = np.bincount(fam_cell, weights=jiwa, minlength=len(xy)).astype(np.int64)
    zones = S.build_zones(xy, pop, radius_max_m=1700, share_max=0.3)
    C = int((jiwa * ekstrem).sum())
    fast = FastLLR("bernoulli", zones.sums(pop), C, int(pop.sum()))
    args = (zones, fast, fam_cell, jiwa, ekstrem, len(xy), 600)
    a = null_maxima(*args, np.random.SeedSequence(8), workers=2)
    b = null_maxima(*args, np.random.SeedSequence(8), workers=1)
    assert np.array_equal(a, b) and len(a) == 600 and (a > 0).all()
    ref = _family_shuffle_maxima(zones, fast, fam_cell, jiwa, ekstrem, len(xy), 600, rng)
    # Same distribution: quantiles agree within Monte Carlo error.
    for q in (0.25, 0.5, 0.75, 0.95):
        lo, hi = np.quantile(ref, [max(q - 0.06, 0), min(q + 0.06, 1)])
        assert lo <= np.quantile(a, q) <= hi, q


def _select_by_definition(zones, llr, kritis):
    picked, used = [], set()
    for z in sorted(range(len(llr)), key=lambda z: (-llr[z], z)):
        if llr[z] <= 0:
            break
        cells = set(zones.cells(z).tolist())
        if picked and (llr[z] < kritis or cells & used):
            if llr[z] < kritis:
                break
            continue
        picked.append(z)
        used |= cells
    return picked[:1] if picked and llr[picked[0]] < kritis else picked


def test_selection_equals_the_definition():
    xy = _grid(9)
    rng = np.random.default_rng(5)
    pop = rng.integers(5, 50, len(xy))
    zones = S.build_zones(xy, pop, radius_max_m=2500, share_max=0.2)
    for seed in range(5):
        llr = np.round(np.random.default_rng(seed).gamma(1.0, 3.0, len(zones)), 1)
        for kritis in (0.0, 4.0, 9.0, 1e9):
            assert S._select(zones, llr, len(xy), kritis) == _select_by_definition(
                zones, llr, kritis
            )
