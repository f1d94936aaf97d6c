"""Log-likelihood ratios and p-values of the Kulldorff scan (:mod:`.scan`): Bernoulli and
Poisson LLR, the table look-up used for the replicates, Monte Carlo and Gumbel p-values and
the critical LLR."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import xlogy

EULER_GAMMA = 0.5772156649015329
P_FLOOR = 1e-17  # smallest p-value reported


def llr_bernoulli(c, n, C: float, N: float) -> np.ndarray:
    """Bernoulli log-likelihood ratio for an elevated rate in zones with ``c`` cases among
    ``n`` units (``C`` of ``N`` overall); 0 where the rate inside is not higher."""
    c = np.asarray(c, dtype="float64")
    n = np.asarray(n, dtype="float64")
    out_n = N - n
    out_c = C - c
    with np.errstate(invalid="ignore", divide="ignore"):
        llr = (
            xlogy(c, c / n)
            + xlogy(n - c, (n - c) / n)
            + xlogy(out_c, out_c / out_n)
            + xlogy(out_n - out_c, (out_n - out_c) / out_n)
        )
    llr -= xlogy(C, C / N) + xlogy(N - C, (N - C) / N)
    high = (c * out_n > out_c * n) & (n > 0) & (out_n > 0)
    return np.where(high, np.maximum(llr, 0.0), 0.0)


def llr_poisson(c, n, C: float, N: float) -> np.ndarray:
    """Poisson log-likelihood ratio (expected ``E = C n / N``) for an elevated rate."""
    c = np.asarray(c, dtype="float64")
    expected = C * np.asarray(n, dtype="float64") / N
    with np.errstate(invalid="ignore", divide="ignore"):
        llr = xlogy(c, c / expected) + xlogy(C - c, (C - c) / (C - expected))
    high = (c > expected) & (expected < C)
    return np.where(high, np.maximum(llr, 0.0), 0.0)


_LLR = {"bernoulli": llr_bernoulli, "poisson": llr_poisson}


def xlogx_table(n: int) -> np.ndarray:
    """``k ln k`` for ``k = 0..n`` (``0 ln 0 = 0``)."""
    k = np.arange(n + 1.0)
    return xlogy(k, k)


class FastLLR:
    """LLR of integer case counts in fixed zones, by table look-up of ``k ln k``.

    The person counts are integers, so every logarithm the replicates need is one of
    ``k ln k`` for ``k = 0..N`` (Bernoulli) or a per-zone constant (Poisson); this is the
    same formula as :func:`llr_bernoulli` / :func:`llr_poisson`, an order of magnitude
    faster than evaluating logarithms for every zone and replicate.
    """

    def __init__(
        self, model: str, zone_pop: np.ndarray, C: int, N: int, table: np.ndarray | None = None
    ):
        self.model = model
        self.C, self.N = int(C), int(N)
        self.n = np.asarray(zone_pop, dtype=np.int64)
        if table is None or len(table) <= self.N:
            table = xlogx_table(self.N)
        self.table = table
        t = self.table
        m = self.N - self.n
        if model == "bernoulli":
            self.const = -t[self.n] - t[m] - (t[self.C] + t[self.N - self.C] - t[self.N])
            self.m_minus_cc0 = m - self.C  # (N - n) - (C - c) = m - C + c
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                e = self.C * self.n / self.N
                self.log_e = np.log(e)
                self.log_rest = np.log(np.maximum(self.C - e, 1e-300))
            self.e = e

    def __call__(self, c: np.ndarray) -> np.ndarray:
        """LLR of case counts ``c`` of shape ``(n_zones,)`` or ``(n_zones, b)``."""
        t = self.table
        c = np.asarray(c, dtype=np.int64)

        def col(x):
            return x[:, None] if c.ndim == 2 else x

        if self.model == "bernoulli":
            llr = t[c]
            llr += t[col(self.n) - c]
            llr += t[self.C - c]
            llr += t[col(self.m_minus_cc0) + c]
            llr += col(self.const)
            high = c * self.N > col(self.n) * self.C
        else:
            llr = t[c] - c * col(self.log_e) + t[self.C - c] - (self.C - c) * col(self.log_rest)
            high = c > col(self.e)
        return np.where(high, np.maximum(llr, 0.0), 0.0)

    def row_max(self, c: np.ndarray) -> np.ndarray:
        """Maximum LLR of every row of ``c`` (replicates x zones): the same values as
        ``self(c.T).max(axis=0)``, evaluated only where the rate inside is elevated (the
        LLR is 0 elsewhere), usually a small share of the zones."""
        c = np.asarray(c, dtype=np.int64)
        if self.model == "bernoulli":
            high = c * self.N > self.n * self.C
        else:
            high = c > self.e
        rows, z = np.nonzero(high)
        out = np.zeros(c.shape[0])
        if not len(rows):
            return out
        k = c[rows, z]
        t = self.table
        if self.model == "bernoulli":
            llr = t[k]
            llr += t[self.n[z] - k]
            llr += t[self.C - k]
            llr += t[self.m_minus_cc0[z] + k]
            llr += self.const[z]
        else:
            llr = t[k] - k * self.log_e[z] + t[self.C - k] - (self.C - k) * self.log_rest[z]
        llr = np.maximum(llr, 0.0)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        out[rows[starts]] = np.maximum.reduceat(llr, starts)
        return out


def gumbel_fit(maxima: np.ndarray) -> tuple[float, float]:
    """Location and scale of a Gumbel distribution fitted to ``maxima`` by moments."""
    m = np.asarray(maxima, dtype="float64")
    scale = float(np.std(m, ddof=1) * math.sqrt(6.0) / math.pi) if len(m) > 1 else 0.0
    loc = float(np.mean(m) - EULER_GAMMA * scale) if len(m) else 0.0
    return loc, scale


def gumbel_sf(x, loc: float, scale: float) -> np.ndarray:
    """Upper tail of the Gumbel distribution (1 where the scale is 0 and ``x <= loc``)."""
    x = np.asarray(x, dtype="float64")
    if scale <= 0:
        return np.where(x > loc, 0.0, 1.0)
    return -np.expm1(-np.exp(-(x - loc) / scale))


def p_values(llr: np.ndarray, null_max: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo p-values ``(1 + #{null >= llr}) / (R + 1)``, and below ``1 / (R + 1)``
    (observed above every replicate) the Gumbel tail, never below ``P_FLOOR`` (1e-17, as
    SaTScan prints; the Gumbel tail is not meaningful further out). Returns
    (p, p_gumbel)."""
    llr = np.asarray(llr, dtype="float64")
    null = np.sort(np.asarray(null_max, dtype="float64"))
    r = len(null)
    ge = r - np.searchsorted(null, llr - 1e-9 * np.maximum(1.0, np.abs(llr)), side="left")
    p_mc = (1.0 + ge) / (r + 1.0)
    p_g = gumbel_sf(llr, *gumbel_fit(null)) if r > 1 else np.full(len(llr), np.nan)
    p = np.where(ge == 0, np.minimum(p_mc, np.nan_to_num(p_g, nan=1.0)), p_mc)
    return np.maximum(p, P_FLOOR), np.maximum(p_g, P_FLOOR)


def critical_llr(null_max: np.ndarray, alpha: float) -> float:
    """Smallest LLR with ``p <= alpha`` (Monte Carlo rank; Gumbel beyond the replicates)."""
    null = np.sort(np.asarray(null_max, dtype="float64"))
    r = len(null)
    k = int(math.floor(alpha * (r + 1) + 1e-9)) - 1  # replicates allowed at or above
    if 1 <= k < r:
        v = float(null[r - k - 1])
        return v + 1e-8 * max(1.0, abs(v))
    loc, scale = gumbel_fit(null)
    g = loc - scale * math.log(-math.log1p(-alpha)) if scale > 0 else math.inf
    if k == 0 and r:
        v = float(null[-1])
        return max(v + 1e-8 * max(1.0, abs(v)), g)
    return g


__all__ = [
    "EULER_GAMMA",
    "P_FLOOR",
    "FastLLR",
    "critical_llr",
    "gumbel_fit",
    "gumbel_sf",
    "llr_bernoulli",
    "llr_poisson",
    "p_values",
    "xlogx_table",
]
