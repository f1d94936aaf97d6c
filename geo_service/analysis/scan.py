"""Kulldorff's spatial scan statistic on H3 cells: the primary pocket detector.

Model (Kulldorff 1997, as in SaTScan): every geotagged person is a unit; the *cases* are
the persons of extreme-poor families (desil 1), the *population* all persons. A zone is a
circle of H3 cells: around the centre of every populated cell, the cells are added in the
order of their centre's distance, as long as the circle's radius stays within
``radius_max_m`` and the zone holds at most ``share_max`` of all persons. For a zone with
``c`` cases among ``n`` persons, out of ``C`` cases among ``N`` persons in all, the
Bernoulli log-likelihood ratio for an elevated rate inside is

    LLR = c ln(c/n) + (n-c) ln((n-c)/n) + (C-c) ln((C-c)/(N-n))
          + (N-n-C+c) ln((N-n-C+c)/(N-n)) - C ln(C/N) - (N-C) ln((N-C)/N)

when ``c/n > (C-c)/(N-n)`` and 0 otherwise (``0 ln 0 = 0``). The Poisson model (option)
uses the expected count ``E = C n / N``: ``LLR = c ln(c/E) + (C-c) ln((C-c)/(C-E))`` when
``c > E``.

Inference is by random labelling of **families**: the extreme flag is shuffled across the
geotagged families (the number of extreme-poor families fixed), so a large family stays
one unit and family-size clustering does not inflate significance. The shuffle is drawn
exactly, per replicate, as a multivariate hypergeometric draw over groups of families of
the same cell and size. Each replicate gives the maximum LLR over all zones; the p-value of
a cluster is ``rank / (R + 1)`` against these maxima (so it controls the family-wise error
over all zones), and where the observed LLR beats every replicate it is taken from a Gumbel
distribution fitted to the maxima by moments, as SaTScan does, so significance is not
capped at ``1 / (R + 1)``.

Secondary clusters are reported SaTScan-style: zones in decreasing LLR, skipping every zone
that shares a cell with a cluster already reported, each with its p-value against the same
maxima (conservative), as long as ``p <= alpha``.

Stability (optional, cheap): families are resampled with replacement ``stability``
times; in each resample the same zones are scored, the same non-overlapping selection is
made with the critical LLR of the original run (the ``1 - alpha`` quantile of the null
maxima), and a cluster counts as found again when a selected zone overlaps it. The share of
resamples is ``stabilitas``.

Everything is vectorised: zone sums are one sparse product (zones x cells) for all
replicates at once;
replicates run in two fixed chunks (seeded from a ``SeedSequence`` spawn, so the result does
not depend on the number of threads) on a thread pool.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree
from scipy.special import xlogy

M_PER_DEG = 111_320.0
EULER_GAMMA = 0.5772156649015329
P_FLOOR = 1e-17  # smallest p-value reported
# Zone x replicate values held in memory at once (float64: 8 bytes each).
_BATCH_VALUES = 1_000_000
_CHUNKS = 2  # replicate chunks (fixed, so results do not depend on the thread count)

Model = Literal["bernoulli", "poisson"]


@dataclass(frozen=True)
class Zones:
    """All candidate zones. Each populated cell is a centre with its cells sorted by
    distance (``entry_cell``, one segment per centre, starting at ``entry_start``); zone
    ``z`` holds the entries of its centre's segment up to ``end[z]`` inclusive.

    Attributes
    ----------
    entry_cell
        Cells of every centre's segment, by distance (the centre first).
    entry_start
        Index of the first entry of each entry's segment.
    end
        Last entry of each zone (a circle holds every cell at its radius, so a zone ends
        where the next cell is farther).
    centre
        Centre cell of each zone.
    radius_m
        Distance from the centre to the farthest cell centre of each zone (metres).
    members
        Sparse ``n_zones x n_cells`` 0/1 matrix of the cells of each zone (zone sums are
        one sparse product, for all replicates at once).
    """

    entry_cell: np.ndarray
    entry_start: np.ndarray
    end: np.ndarray
    centre: np.ndarray
    radius_m: np.ndarray
    members: sp.csr_matrix

    def __len__(self) -> int:
        return len(self.end)

    def cells(self, z: int) -> np.ndarray:
        """Cells of zone ``z`` (centre first, by distance)."""
        e = int(self.end[z])
        return self.entry_cell[self.entry_start[e] : e + 1]

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of per-cell ``values`` over every zone. ``values`` of shape ``(n_cells,)``
        give ``(n_zones,)``; ``(n_cells, b)`` give ``(n_zones, b)`` (replicates last)."""
        v = np.asarray(values)
        out = self.members @ v.astype("float64")
        return np.rint(out).astype(np.int64) if np.issubdtype(v.dtype, np.integer) else out

    def overlapping(self, member: np.ndarray) -> np.ndarray:
        """Whether each zone holds at least one cell where ``member`` is True."""
        return self.sums(np.asarray(member, dtype=np.int64)) > 0


def local_xy(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres east and north on a local equirectangular plane (fine within a kabupaten)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    return np.c_[lon * M_PER_DEG * math.cos(math.radians(lat0)), lat * M_PER_DEG]


def build_zones(
    xy: np.ndarray,
    population: np.ndarray,
    *,
    radius_max_m: float,
    share_max: float,
    tie_m: float = 1.0,
    tie_rel: float = 0.01,
) -> Zones:
    """Circular zones around every populated cell (see the module docstring).

    A circle holds every cell whose centre lies within its radius, so cells at the same
    distance from the centre (a ring of the H3 grid) enter together: the next cell counts
    as tied when it is at most ``tie_m + tie_rel * distance`` farther (H3 cells are not
    exact hexagons). Zones whose population exceeds ``share_max`` of the total, and all
    larger zones of the same centre, are dropped.
    """
    xy = np.asarray(xy, dtype="float64")
    pop = np.asarray(population, dtype="float64")
    n = len(xy)
    if n == 0:
        e = np.empty(0, dtype=np.int64)
        return Zones(e, e, e, e, np.empty(0), sp.csr_matrix((0, 0)))
    pairs = cKDTree(xy).query_pairs(radius_max_m, output_type="ndarray")
    rows = np.r_[np.arange(n), pairs[:, 0], pairs[:, 1]].astype(np.int64)
    cols = np.r_[np.arange(n), pairs[:, 1], pairs[:, 0]].astype(np.int64)
    dist = np.hypot(*(xy[rows] - xy[cols]).T)
    dist[:n] = 0.0
    keep = pop[rows] > 0  # centres are populated cells
    rows, cols, dist = rows[keep], cols[keep], dist[keep]
    order = np.lexsort((cols, dist, rows))
    rows, cols, dist = rows[order], cols[order], dist[order]
    first = np.r_[True, rows[1:] != rows[:-1]]
    seg = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    # A zone ends where the next cell of the same centre is farther than a tie.
    nxt_same = np.r_[~first[1:], False]
    nxt_dist = np.r_[dist[1:], np.inf]
    ring_end = ~nxt_same | (nxt_dist > dist + tie_m + tie_rel * dist)
    # Entries up to the population share (a prefix of each segment).
    cs = np.cumsum(pop[cols])
    within = (cs - np.r_[0.0, cs][seg]) <= share_max * pop.sum() + 1e-9
    bad = np.cumsum(~within)
    ok = (bad - np.r_[0, bad][seg]) == 0
    is_end = (ring_end & ok)[ok]
    rows, cols, dist, first = rows[ok], cols[ok], dist[ok], first[ok]
    seg = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0)).astype(np.int64)
    end = np.flatnonzero(is_end).astype(np.int64)
    size = end - seg[end] + 1
    zone_of = np.repeat(np.arange(len(end)), size)
    entry = (
        np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size) + np.repeat(seg[end], size)
    )
    members = sp.csr_matrix((np.ones(len(zone_of)), (zone_of, cols[entry])), shape=(len(end), n))
    return Zones(
        entry_cell=cols,
        entry_start=seg,
        end=end,
        centre=rows[end],
        radius_m=dist[end],
        members=members,
    )


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


def _xlogx_table(n: int) -> np.ndarray:
    """``k ln k`` for ``k = 0..n`` (``0 ln 0 = 0``)."""
    k = np.arange(n + 1.0)
    return xlogy(k, k)


class _FastLLR:
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
            table = _xlogx_table(self.N)
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


@dataclass(frozen=True)
class ScanResult:
    """Clusters of the scan and what is needed to judge them.

    Attributes
    ----------
    clusters
        One row per reported cluster (most likely first, then secondary clusters by LLR):
        ``zona`` (zone index), ``pusat`` (centre cell), ``radius_m``, ``n_sel``, ``n_jiwa``,
        ``n_jiwa_ekstrem`` (observed cases), ``n_jiwa_ekstrem_harapan`` (expected under
        the null, ``C n / N``), ``risiko_relatif`` (rate inside / rate outside), ``llr``,
        ``p_value``, ``p_gumbel`` and ``stabilitas`` (NaN when not computed).
    cells
        The cells (indices) of each cluster, aligned with ``clusters``.
    null_max
        Maximum LLR of every replicate (sorted by replicate).
    llr_kritis
        LLR a cluster needs for ``p <= alpha``.
    """

    clusters: pd.DataFrame
    cells: list[np.ndarray]
    null_max: np.ndarray
    llr_kritis: float
    zones: Zones


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


def scan(
    cell_lon: np.ndarray,
    cell_lat: np.ndarray,
    family_cell: np.ndarray,
    family_jiwa: np.ndarray,
    family_ekstrem: np.ndarray,
    *,
    model: Model = "bernoulli",
    radius_max_m: float = 3000.0,
    share_max: float = 0.15,
    replicates: int = 999,
    alpha: float = 0.05,
    stability: int = 20,
    seed: int | np.random.SeedSequence = 0,
    workers: int = 2,
) -> ScanResult:
    """Kulldorff scan over circles of cells with family-level random labelling.

    Parameters
    ----------
    cell_lon, cell_lat
        Centres of the cells (degrees).
    family_cell
        Cell index of each family (-1: not geotagged, left out).
    family_jiwa
        Persons per family.
    family_ekstrem
        Whether the family is extreme-poor (its persons are cases).
    model
        ``bernoulli`` (default) or ``poisson``.
    radius_max_m
        Largest circle radius (centre to farthest cell centre), metres.
    share_max
        Largest share of all geotagged persons inside one zone.
    replicates
        Random-labelling replicates (999 as SaTScan).
    alpha
        Clusters are reported while ``p <= alpha``.
    stability
        Bootstrap resamples of families for ``stabilitas`` (0: not computed).
    seed
        Seed of the replicates and the bootstrap.
    workers
        Threads for the replicates (results do not depend on it).
    """
    if model not in _LLR:
        raise ValueError(f"model must be one of {tuple(_LLR)}")
    if replicates < 1 or not 0 < share_max < 1 or radius_max_m < 0 or not 0 < alpha < 1:
        raise ValueError("replicates >= 1, 0 < share_max < 1, radius_max_m >= 0, 0 < alpha < 1")
    n_cells = len(cell_lon)
    fam_cell = np.asarray(family_cell, dtype=np.int64)
    jiwa = np.asarray(family_jiwa, dtype=np.int64)
    ekstrem = np.asarray(family_ekstrem, dtype=bool)
    located = (fam_cell >= 0) & (jiwa > 0)
    fam_cell, jiwa, ekstrem = fam_cell[located], jiwa[located], ekstrem[located]
    pop = np.rint(np.bincount(fam_cell, weights=jiwa, minlength=n_cells)).astype(np.int64)
    cases = np.rint(np.bincount(fam_cell, weights=jiwa * ekstrem, minlength=n_cells)).astype(
        np.int64
    )
    N, C = int(pop.sum()), int(cases.sum())
    zones = build_zones(
        local_xy(cell_lon, cell_lat), pop, radius_max_m=radius_max_m, share_max=share_max
    )
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    s_null, s_boot = ss.spawn(2)
    if len(zones) == 0 or C <= 0 or C >= N:
        return _empty(zones)

    zone_pop = zones.sums(pop)
    fast = _FastLLR(model, zone_pop, C, N)
    zone_cases = zones.sums(cases)
    llr = fast(zone_cases)

    # Groups of families with the same cell and size: the unit of the exact shuffle.
    group_key, group_of = np.unique(fam_cell * 1024 + np.minimum(jiwa, 1023), return_inverse=True)
    group_count = np.bincount(group_of).astype(np.int64)
    g_cell = group_key // 1024
    g_jiwa = (group_key % 1024).astype("float64")
    to_cells = sp.csr_matrix(
        (g_jiwa, (np.arange(len(group_key)), g_cell)), shape=(len(group_key), n_cells)
    )
    k_ekstrem = int(ekstrem.sum())

    def null_chunk(child: np.random.SeedSequence, count: int) -> np.ndarray:
        rng = np.random.default_rng(child)
        out = np.empty(count)
        batch = max(1, min(count, _BATCH_VALUES // max(1, len(zones))))
        for b0 in range(0, count, batch):
            b = min(batch, count - b0)
            draws = rng.multivariate_hypergeometric(group_count, k_ekstrem, size=b, method="count")
            cell_cases = to_cells.T @ draws.T.astype("float64")
            zone_cases = np.rint(zones.members @ cell_cases).astype(np.int64)
            out[b0 : b0 + b] = fast(zone_cases).max(axis=0)
        return out

    sizes = [replicates // _CHUNKS + (i < replicates % _CHUNKS) for i in range(_CHUNKS)]
    children = s_null.spawn(_CHUNKS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=min(workers, _CHUNKS)) as pool:
            parts = list(pool.map(null_chunk, children, sizes))
    else:
        parts = [null_chunk(c, s) for c, s in zip(children, sizes, strict=True)]
    null_max = np.concatenate(parts)
    kritis = critical_llr(null_max, alpha)

    picked = _select(zones, llr, n_cells, kritis)
    cells = [zones.cells(e).copy() for e in picked]
    picked = np.asarray(picked, dtype=np.int64)
    c_in = zone_cases[picked].astype("float64")
    n_in = zone_pop[picked].astype("float64")
    p, p_g = p_values(llr[picked], null_max)
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = (c_in / n_in) / ((C - c_in) / (N - n_in))
    clusters = pd.DataFrame(
        {
            "zona": picked,
            "pusat": zones.centre[picked],
            "radius_m": zones.radius_m[picked],
            "n_sel": np.array([len(c) for c in cells], dtype=np.int64),
            "n_jiwa": n_in.astype(np.int64),
            "n_jiwa_ekstrem": c_in.astype(np.int64),
            "n_jiwa_ekstrem_harapan": C * n_in / N,
            "risiko_relatif": rr,
            "llr": llr[picked],
            "p_value": p,
            "p_gumbel": p_g,
        }
    )
    clusters["stabilitas"] = (
        _stability(zones, cells, n_cells, fam_cell, jiwa, ekstrem, model, kritis, stability, s_boot)
        if stability > 0 and len(cells)
        else np.nan
    )
    return ScanResult(
        clusters=clusters, cells=cells, null_max=null_max, llr_kritis=kritis, zones=zones
    )


def _select(zones: Zones, llr: np.ndarray, n_cells: int, kritis: float) -> list[int]:
    """Zones in decreasing LLR without a shared cell, while ``llr >= kritis``.

    The most likely cluster is always the first (even when not significant, so that its
    p-value can be reported); ties in LLR are broken by the smaller zone index.
    """
    order = np.lexsort((np.arange(len(llr)), -llr))
    candidates = order[llr[order] > 0]
    if not len(candidates):
        return []
    picked = [int(candidates[0])]
    used = np.zeros(n_cells, dtype=bool)
    used[zones.cells(picked[0])] = True
    free = ~zones.overlapping(used)
    while True:
        ok = free & (llr >= kritis) & (llr > 0)
        if not ok.any():
            break
        best = np.flatnonzero(ok)
        e = int(best[np.lexsort((best, -llr[best]))[0]])
        picked.append(e)
        used[zones.cells(e)] = True
        free &= ~zones.overlapping(used)
    if llr[picked[0]] < kritis:
        return picked[:1]
    return picked


def _stability(zones, cells, n_cells, fam_cell, jiwa, ekstrem, model, kritis, count, seed):
    """Share of family bootstrap resamples in which the cluster is found again: the same
    selection as the original run (zones in decreasing LLR, no shared cell with a stronger
    one, LLR >= ``kritis``) on the resampled counts picks a zone overlapping it. Without
    the selection a weak cluster next to a strong one would count as found whenever a big
    circle reaches into the strong one."""
    rng = np.random.default_rng(seed)
    # Classes of families with the same cell, size and flag: resampling families with
    # replacement is a multinomial over the classes (exact, persons = families x size).
    key, inv = np.unique(
        (fam_cell * 1024 + np.minimum(jiwa, 1023)) * 2 + ekstrem, return_inverse=True
    )
    weight = np.bincount(inv).astype("float64")
    k_cell = key // 2048
    k_jiwa = ((key // 2) % 1024).astype("float64")
    k_case = (key % 2).astype(bool)
    member = np.zeros((n_cells, len(cells)), dtype=np.int64)
    for j, c in enumerate(cells):
        member[c, j] = 1
    overlap = zones.sums(member) > 0  # zones x clusters
    found = np.zeros(len(cells))
    n_fam = int(weight.sum())
    draws = rng.multinomial(n_fam, weight / weight.sum(), size=count).astype("float64")
    persons = draws * k_jiwa
    table = _xlogx_table(int(np.rint(persons.sum(axis=1).max())))
    for w in persons:
        pop = np.rint(np.bincount(k_cell, weights=w, minlength=n_cells)).astype(np.int64)
        cas = np.rint(np.bincount(k_cell, weights=w * k_case, minlength=n_cells)).astype(np.int64)
        N, C = int(pop.sum()), int(cas.sum())
        if C <= 0 or C >= N:
            continue
        llr = _FastLLR(model, zones.sums(pop), C, N, table)(zones.sums(cas))
        picked = [z for z in _select(zones, llr, n_cells, kritis) if llr[z] >= kritis]
        if picked:
            found += overlap[picked].any(axis=0)
    return found / count


def _empty(zones: Zones) -> ScanResult:
    cols = {
        "zona": np.int64,
        "pusat": np.int64,
        "radius_m": "float64",
        "n_sel": np.int64,
        "n_jiwa": np.int64,
        "n_jiwa_ekstrem": np.int64,
        "n_jiwa_ekstrem_harapan": "float64",
        "risiko_relatif": "float64",
        "llr": "float64",
        "p_value": "float64",
        "p_gumbel": "float64",
        "stabilitas": "float64",
    }
    frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    return ScanResult(
        clusters=frame, cells=[], null_max=np.empty(0), llr_kritis=math.inf, zones=zones
    )


__all__ = [
    "ScanResult",
    "Zones",
    "build_zones",
    "critical_llr",
    "gumbel_fit",
    "gumbel_sf",
    "llr_bernoulli",
    "llr_poisson",
    "local_xy",
    "p_values",
    "scan",
]
