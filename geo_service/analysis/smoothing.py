"""Empirical-Bayes stabilisation of person-based extreme-poverty rates.

A rate observed on few families is noisy: three families of which all are extreme poor give
100 %, but say little. Empirical Bayes (Marshall 1991) shrinks every observed rate towards a
reference rate, the more the fewer people it rests on:

    eb_i = b + s_i * (r_i - b),    s_i = a / (a + v_i)

- ``b`` reference rate (the kabupaten rate for the global method, the neighbourhood rate for
  the local one);
- ``a`` variance of the true rates between areas, by the method of moments (never below 0);
- ``v_i = b (1 - b) / n_eff_i`` sampling variance of the observed rate.

Rates are person-based (BPS convention), but a family is extreme poor as a whole, so the
persons of a family are not independent draws. The sampling variance therefore uses the
effective number of independent units ``n_eff = (sum of family sizes)^2 / sum of squared
family sizes`` (Kish) when family sizes are known; with only person counts it falls back to
``n_eff = persons``, which shrinks too little.

All functions take counts and return rates as fractions (0..1); NaN where nobody lives.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def effective_n(jiwa: np.ndarray, jiwa_kuadrat: np.ndarray | None) -> np.ndarray:
    """Effective number of independent units behind a person-based rate.

    Parameters
    ----------
    jiwa
        Persons per area (sum of family sizes).
    jiwa_kuadrat
        Sum of squared family sizes per area; ``None`` treats persons as independent.
    """
    jiwa = np.asarray(jiwa, dtype="float64")
    if jiwa_kuadrat is None:
        return jiwa
    sq = np.asarray(jiwa_kuadrat, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sq > 0, jiwa**2 / sq, 0.0)


def _rates(events: np.ndarray, population: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(population > 0, events / population, np.nan)


def _eb_inputs(events, population, n_eff):
    """Areas with people, raw rates, effective sizes and the global prior ``(b, a)``."""
    events = np.asarray(events, dtype="float64")
    population = np.asarray(population, dtype="float64")
    n_eff = population if n_eff is None else np.asarray(n_eff, dtype="float64")
    has = population > 0
    if not has.any():
        return has, None, n_eff, 0.0, 0.0
    b, a = eb_global_prior(events, population, n_eff=n_eff)
    return has, _rates(events, population), n_eff, b, a


def eb_global(
    events: np.ndarray,
    population: np.ndarray,
    *,
    n_eff: np.ndarray | None = None,
) -> np.ndarray:
    """Global empirical-Bayes rates (Marshall), shrunk towards the overall rate.

    Parameters
    ----------
    events
        Extreme-poor persons per area.
    population
        Persons per area.
    n_eff
        Effective sample size per area (see :func:`effective_n`); defaults to ``population``.

    Returns
    -------
    numpy.ndarray
        Smoothed rate per area (fraction), NaN where ``population`` is 0.
    """
    has, r, n_eff, b, a = _eb_inputs(events, population, n_eff)
    out = np.full(len(has), np.nan)
    if not has.any():
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        v = b * (1 - b) / n_eff[has]
        shrink = np.where(a + v > 0, a / (a + v), 0.0)
    out[has] = b + shrink * (r[has] - b)
    return out


def eb_global_prior(
    events: np.ndarray,
    population: np.ndarray,
    *,
    n_eff: np.ndarray | None = None,
) -> tuple[float, float]:
    """Mean ``b`` and between-area variance ``a`` of the global EB prior (method of moments,
    as in :func:`eb_global`); ``(nan, nan)`` without population."""
    events = np.asarray(events, dtype="float64")
    population = np.asarray(population, dtype="float64")
    n_eff = population if n_eff is None else np.asarray(n_eff, dtype="float64")
    has = population > 0
    if not has.any():
        return np.nan, np.nan
    r = events[has] / population[has]
    b = events[has].sum() / population[has].sum()
    s2 = float(np.sum(n_eff[has] * (r - b) ** 2) / n_eff[has].sum())
    return float(b), max(s2 - b * (1 - b) / n_eff[has].mean(), 0.0)


def eb_posterior_draw(
    events: np.ndarray,
    population: np.ndarray,
    rng: np.random.Generator,
    *,
    n_eff: np.ndarray | None = None,
) -> np.ndarray:
    """One draw of each area's rate from its empirical-Bayes posterior.

    The global prior (mean ``b``, variance ``a``) is taken as a beta distribution with
    ``alpha + beta = b (1 - b) / a - 1``; an area with observed rate ``r`` on ``n_eff``
    effective units has posterior ``Beta(alpha + r n_eff, beta + (1 - r) n_eff)``, whose mean
    is (up to the ``-1``) the Marshall estimate of :func:`eb_global`. Used by the priority
    bootstrap: a desa of five families all extreme poor gets a wide spread of plausible
    rates, not five identical families resampled. Without between-area variance every area
    gets ``b``; NaN where ``population`` is 0.
    """
    events = np.asarray(events, dtype="float64")
    population = np.asarray(population, dtype="float64")
    n_eff = population if n_eff is None else np.asarray(n_eff, dtype="float64")
    b, a = eb_global_prior(events, population, n_eff=n_eff)
    out = np.full(len(events), np.nan)
    has = population > 0
    if not has.any():
        return out
    total = b * (1 - b) / a - 1 if a > 0 else np.inf
    if not np.isfinite(total) or total <= 0 or b <= 0 or b >= 1:
        out[has] = b
        return out
    r = np.clip(events[has] / population[has], 0.0, 1.0)
    alpha = total * b + r * n_eff[has]
    beta = total * (1 - b) + (1 - r) * n_eff[has]
    out[has] = rng.beta(alpha, beta)
    return out


def eb_posterior_draws(
    events: np.ndarray,
    population: np.ndarray,
    rng: np.random.Generator,
    *,
    n_eff: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`eb_posterior_draw` for many replicates at once: ``events``, ``population``
    and ``n_eff`` of shape ``(replicates, areas)``, each row with its own global prior (the
    same formulas row by row), one draw per area and row in a single call."""
    events = np.atleast_2d(np.asarray(events, dtype="float64"))
    population = np.atleast_2d(np.asarray(population, dtype="float64"))
    n_eff = population if n_eff is None else np.atleast_2d(np.asarray(n_eff, dtype="float64"))
    has = population > 0
    k = has.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(has, events, 0.0).sum(axis=1) / np.where(has, population, 0.0).sum(axis=1)
        r = np.where(has, events / np.where(has, population, 1.0), 0.0)
        ne = np.where(has, n_eff, 0.0)
        s2 = (ne * (r - b[:, None]) ** 2).sum(axis=1) / ne.sum(axis=1)
        a = np.maximum(s2 - b * (1 - b) / (ne.sum(axis=1) / k), 0.0)
        total = np.where(a > 0, b * (1 - b) / a - 1, np.inf)
    drawn = (k > 0) & np.isfinite(total) & (total > 0) & (b > 0) & (b < 1)
    out = np.where(has, b[:, None], np.nan)
    use = has & drawn[:, None]
    if use.any():
        rc = np.clip(r, 0.0, 1.0)
        tot = np.broadcast_to(total[:, None], r.shape)[use]
        bb = np.broadcast_to(b[:, None], r.shape)[use]
        out[use] = rng.beta(tot * bb + rc[use] * ne[use], tot * (1 - bb) + (1 - rc[use]) * ne[use])
    return out


def eb_local(
    events: np.ndarray,
    population: np.ndarray,
    neighbours: sp.spmatrix,
    *,
    n_eff: np.ndarray | None = None,
) -> np.ndarray:
    """Local empirical-Bayes rates (Marshall): the reference is each area's neighbourhood.

    Parameters
    ----------
    events, population, n_eff
        As in :func:`eb_global`.
    neighbours
        Binary ``n x n`` neighbour matrix; each area's own row is added (neighbourhood
        includes the area itself).

    Returns
    -------
    numpy.ndarray
        Smoothed rate per area (fraction); NaN where ``population`` is 0.
    """
    events = np.asarray(events, dtype="float64")
    population = np.asarray(population, dtype="float64")
    n_eff = population if n_eff is None else np.asarray(n_eff, dtype="float64")
    n = len(events)
    w = (sp.csr_matrix(neighbours, dtype="float64") != 0).astype("float64")
    w = (w + sp.identity(n, format="csr")).tocsr()
    w.data[:] = 1.0
    r = np.nan_to_num(_rates(events, population))
    with np.errstate(invalid="ignore", divide="ignore"):
        b = (w @ events) / (w @ population)
        s2 = (w @ (n_eff * r**2) - 2 * b * (w @ (n_eff * r)) + b**2 * (w @ n_eff)) / (w @ n_eff)
        units = w @ (n_eff > 0).astype("float64")
        nbar = (w @ n_eff) / units
        a = np.maximum(s2 - b * (1 - b) / nbar, 0.0)
        v = b * (1 - b) / n_eff
        shrink = np.where(a + v > 0, a / (a + v), 0.0)
    out = b + shrink * (r - b)
    out[~(population > 0)] = np.nan
    return out


def eb_standardised(
    events: np.ndarray,
    population: np.ndarray,
    *,
    n_eff: np.ndarray | None = None,
) -> np.ndarray:
    """Empirical-Bayes standardised rates (Assunção and Reis 1999).

    ``z_i = (r_i - b) / sqrt(a + v_i)``: the deviation of each observed rate from the overall
    rate in units of its own expected spread, so that small and large areas are comparable.
    NaN where ``population`` is 0.
    """
    has, r, n_eff, b, a = _eb_inputs(events, population, n_eff)
    out = np.full(len(has), np.nan)
    if not has.any():
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(a + b * (1 - b) / n_eff[has])
        out[has] = np.where(scale > 0, (r[has] - b) / scale, 0.0)
    return out
