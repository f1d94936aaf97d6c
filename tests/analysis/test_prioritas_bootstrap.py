"""The priority bootstrap drawn on classes of identical families: the same distribution as
resampling every family within its desa, whole replicates at once, reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from geo_service.analysis import prioritas as P
from geo_service.analysis import prioritas_bootstrap as PB
from geo_service.analysis.smoothing import eb_posterior_draw, eb_posterior_draws


def _families(seed: int = 0, n: int = 3000, n_desa: int = 7):
    """Desa of very different sizes; a few repeated value classes plus continuous values
    (every family its own class), so groups and singles are both used."""
    rng = np.random.default_rng(seed)
    fam_desa = rng.choice(n_desa, n, p=np.linspace(1, 3, n_desa) / np.linspace(1, 3, n_desa).sum())
    jiwa = rng.integers(1, 7, n).astype(float)
    ek = (rng.random(n) < 0.2).astype(float)
    gap = np.where(ek > 0, rng.random(n), 0.0)  # continuous for extreme-poor families
    values = np.column_stack([np.ones(n), jiwa, jiwa * ek, gap, jiwa**2])
    return values, fam_desa, n_desa


def _family_level_sums(values, fam_desa, n_desa, reps, rng):
    """The definition: every family replaced by one drawn uniformly from its desa."""
    out = np.zeros((reps, n_desa, values.shape[1]))
    members = [np.flatnonzero(fam_desa == d) for d in range(n_desa)]
    for r in range(reps):
        for d, m in enumerate(members):
            pick = m[rng.integers(0, len(m), len(m))]
            out[r, d] = values[pick].sum(axis=0)
    return out


def test_class_draws_keep_every_desa_size_and_match_the_family_bootstrap():
    values, fam_desa, n_desa = _families()
    draws = PB.ClassDraws(values, fam_desa, n_desa)
    assert draws.n_single > 0 and (draws.pvals > 0).any()  # both parts in use
    rng = np.random.default_rng(1)
    fast = np.concatenate([draws.sums(100, rng) for _ in range(40)])  # 4000 replicates
    n_d = np.bincount(fam_desa, minlength=n_desa)
    # Column 0 counts families: every replicate draws exactly n_d families per desa.
    assert np.array_equal(fast[:, :, 0], np.broadcast_to(n_d, (len(fast), n_desa)))
    # Mean and variance of every desa sum: n_d * mean and n_d * (population) variance.
    for d in range(n_desa):
        v = values[fam_desa == d]
        mean, var = len(v) * v.mean(axis=0), len(v) * v.var(axis=0)
        got = fast[:, d, 1:]
        se = np.sqrt(var[1:] / len(fast))
        assert np.all(np.abs(got.mean(axis=0) - mean[1:]) <= 4.5 * se + 1e-9)
        assert np.allclose(got.var(axis=0, ddof=1), var[1:], rtol=0.12)
    # Against the family-level definition directly (smaller run): same spread.
    slow = _family_level_sums(values, fam_desa, n_desa, 400, np.random.default_rng(2))
    ratio = fast[:, :, 3].std(axis=0) / slow[:, :, 3].std(axis=0)
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio


def test_bootstrap_ranks_same_seed_same_ranks():
    values, fam_desa, n_desa = _families(3)
    names = ["keluarga", "jiwa", "jiwa_ekstrem", "p1", "jiwa_kuadrat"]

    def rank(sums, eb):
        return P._ranks(sums["jiwa_ekstrem"] + eb, sums["jiwa"])

    def run(seed):
        return PB.bootstrap_ranks(
            values, names, fam_desa, n_desa, reps=50, rng=np.random.default_rng(seed), rank=rank
        )

    a, b, c = run(5), run(5), run(6)
    assert a.shape == (50, n_desa) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(np.sort(a, axis=1), np.broadcast_to(np.arange(1.0, n_desa + 1), a.shape))


def test_ranks_and_scores_of_a_matrix_equal_row_by_row():
    rng = np.random.default_rng(4)
    score = rng.random((6, 9))
    score[0, [1, 4]] = 0.5  # ties, broken by the tiebreak, then position
    score[2, 3] = np.nan
    tiebreak = rng.integers(0, 3, (6, 9)).astype(float)
    many = P._ranks(score, tiebreak)
    for r in range(6):
        np.testing.assert_array_equal(many[r], P._ranks(score[r], tiebreak[r]))
    values = rng.random((4, 9)) * 50
    values[1] = np.nan
    values[2, 2] = np.nan
    for name in ("jumlah", "kantong"):
        many = P.component_score(name, values)
        for r in range(4):
            np.testing.assert_array_equal(many[r], P.component_score(name, values[r]))


def test_posterior_draws_of_many_rows_follow_the_one_row_posterior():
    rng = np.random.default_rng(7)
    pop = rng.integers(20, 400, 12).astype(float)
    events = np.round(pop * rng.uniform(0.02, 0.4, 12))
    pop[3] = 0  # no population: NaN
    reps = 20_000
    many = eb_posterior_draws(np.tile(events, (reps, 1)), np.tile(pop, (reps, 1)), rng)
    one = np.array([eb_posterior_draw(events, pop, rng) for _ in range(2000)])
    assert np.isnan(many[:, 3]).all() and np.isnan(one[:, 3]).all()
    ok = pop > 0
    np.testing.assert_allclose(many[:, ok].mean(axis=0), one[:, ok].mean(axis=0), atol=0.01)
    np.testing.assert_allclose(many[:, ok].std(axis=0), one[:, ok].std(axis=0), rtol=0.1)
    # Without between-area variance every area gets the overall rate.
    flat = eb_posterior_draws(np.array([[10.0, 20.0]]), np.array([[100.0, 200.0]]), rng)
    assert flat == pytest.approx(np.array([[0.1, 0.1]]))
