"""Empirical-Bayes stabilisation: small populations do not dominate."""

from __future__ import annotations

import h3
import numpy as np
import scipy.sparse as sp

from geo_service.analysis import gistar as G
from geo_service.analysis.smoothing import eb_global, eb_local, eb_standardised, effective_n


def _cells_with_a_tiny_extreme_cell(seed=0):
    """91 H3 cells: persons 150-600 per cell at true rates around 8% (with real between-cell
    variation), plus a cell of 3 families (10 persons) all extreme poor, and a large cell
    with 400 extreme-poor persons out of 1,333 (30%)."""
    rng = np.random.default_rng(seed)
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(-6.95, 110.1, 8), 5))
    n = len(cells)
    families = rng.integers(50, 180, n)
    true_rate = np.clip(rng.normal(0.08, 0.025, n), 0.01, None)
    ekstrem_families = rng.binomial(families, true_rate)
    jiwa = families * 3
    events = ekstrem_families * 3
    tiny, big = 5, 70
    families[tiny], jiwa[tiny], events[tiny] = 3, 10, 10
    families[big], jiwa[big], events[big] = 400, 1333, 400
    sq = families * 9.0  # family size 3 (Kish: squares of sizes)
    sq[tiny] = 3**2 + 3**2 + 4**2
    sq[big] = 400 * 3.3325**2
    return cells, events.astype(float), jiwa.astype(float), sq, tiny, big


def test_effective_n_counts_families_not_persons():
    assert effective_n(np.array([4.0]), np.array([4.0]))[0] == 4.0  # four singles
    assert effective_n(np.array([4.0]), np.array([16.0]))[0] == 1.0  # one family of four
    assert effective_n(np.array([0.0]), np.array([0.0]))[0] == 0.0
    np.testing.assert_array_equal(effective_n(np.array([7.0, 3.0]), None), [7.0, 3.0])


def test_a_cell_of_three_families_at_100_percent_does_not_dominate():
    cells, events, jiwa, sq, tiny, big = _cells_with_a_tiny_extreme_cell()
    raw = events / jiwa
    eb = eb_global(events, jiwa, n_eff=effective_n(jiwa, sq))
    assert raw[tiny] == 1.0 and np.argmax(raw) == tiny
    # Shrunk hard towards the overall rate (less than 20% of its distance to it is kept),
    # below the well-supported 30% cell.
    b = events.sum() / jiwa.sum()
    kept = (eb[tiny] - b) / (raw[tiny] - b)
    assert kept < 0.2, f"EB keeps {kept:.2f} of the tiny cell's excess (EB {eb[tiny]:.3f})"
    assert np.argmax(eb) == big, f"EB tiny {eb[tiny]:.3f} vs big {eb[big]:.3f}"
    assert abs(eb[big] - raw[big]) < 0.02, "a large cell keeps (almost) its own rate"
    # ... and Gi* on EB rates does not make the tiny cell a hot spot, while on raw rates the
    # strongest hot spot sits on or next to it.
    w = G.h3_neighbours(cells)
    z_raw = G.gi_star_z(raw, w)
    z_eb = G.gi_star_z(eb, w)
    assert cells[np.nanargmax(z_raw)] in h3.grid_disk(cells[tiny], 1)
    assert cells[np.nanargmax(z_eb)] in h3.grid_disk(cells[big], 1)
    # Below even the unadjusted one-sided 5% point, which the big cell passes.
    assert z_eb[tiny] < 1.645 < z_eb[big], f"z tiny {z_eb[tiny]:.2f}, z big {z_eb[big]:.2f}"


def test_shrinkage_grows_as_population_shrinks():
    rng = np.random.default_rng(1)
    jiwa = rng.integers(100, 800, 300).astype(float)
    events = rng.binomial(jiwa.astype(int), np.clip(rng.normal(0.1, 0.03, 300), 0.01, 1))
    # Three probes at the same raw rate (40%) with growing size.
    jiwa = np.r_[jiwa, 10.0, 100.0, 1000.0]
    events = np.r_[events, 4.0, 40.0, 400.0]
    eb = eb_global(events, jiwa)
    b = events.sum() / jiwa.sum()
    probes = eb[-3:]
    assert b < probes[0] < probes[1] < probes[2] < 0.40
    # Every smoothed rate lies between the overall and its own rate.
    raw = events / jiwa
    lo, hi = np.minimum(raw, b), np.maximum(raw, b)
    assert np.all((eb >= lo - 1e-12) & (eb <= hi + 1e-12))


def test_no_variation_between_areas_gives_the_overall_rate():
    # Binomial noise only: the method-of-moments between-area variance is (near) zero, so
    # (almost) everything is shrunk to the overall rate.
    rng = np.random.default_rng(2)
    jiwa = rng.integers(50, 300, 500).astype(float)
    events = rng.binomial(jiwa.astype(int), 0.08).astype(float)
    eb = eb_global(events, jiwa)
    b = events.sum() / jiwa.sum()
    assert np.max(np.abs(eb - b)) < 0.01
    assert np.std(eb) < 0.25 * np.std(events / jiwa)


def test_empty_areas_are_nan():
    eb = eb_global(np.array([0.0, 5.0, 3.0]), np.array([0.0, 50.0, 40.0]))
    assert np.isnan(eb[0]) and np.isfinite(eb[1:]).all()
    assert np.isnan(eb_global(np.zeros(2), np.zeros(2))).all()


def test_local_eb_shrinks_towards_the_neighbourhood():
    # A chain of areas: a poor end and a rich end; a small area in the poor end is pulled
    # towards the poor neighbourhood, not towards the overall rate.
    jiwa = np.array([400, 400, 12, 400, 400, 400, 400, 400], dtype=float)
    events = np.array([120, 110, 2, 130, 8, 10, 12, 9], dtype=float)
    n = len(jiwa)
    w = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    local = eb_local(events, jiwa, w)
    glob = eb_global(events, jiwa)
    raw = events / jiwa
    assert local[2] > raw[2] > glob[2]  # local: pulled up to the poor end; global: down
    assert np.isfinite(local).all()


def test_eb_standardised_has_unit_spread_under_the_null():
    rng = np.random.default_rng(3)
    jiwa = rng.integers(20, 2000, 3000).astype(float)
    events = rng.binomial(jiwa.astype(int), 0.08).astype(float)
    z = eb_standardised(events, jiwa)
    assert abs(np.mean(z)) < 0.06
    assert 0.9 < np.std(z) < 1.1
    # Small and large areas equally spread (unlike raw rates).
    small, large = jiwa < 200, jiwa > 1500
    assert 0.8 < np.std(z[small]) / np.std(z[large]) < 1.25
