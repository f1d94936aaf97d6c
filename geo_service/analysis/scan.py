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
one unit and family-size clustering does not inflate significance. Each replicate draws a
uniform random subset of the families as the extreme-poor ones, exactly, as a
multivariate hypergeometric draw over groups of families of the same cell and size
(:mod:`.scan_null`). Each replicate gives the maximum LLR over all zones; the p-value of
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

Everything is vectorised: zone sums are one sparse product (zones x cells) for a batch of
replicates, the LLR is evaluated only where a zone's rate is elevated, and the replicates
run in two fixed chunks (seeded from a ``SeedSequence`` spawn, so the result does not
depend on the number of threads) on a thread pool. Zones: :mod:`.scan_zones`; LLR and
p-values: :mod:`.scan_llr`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geo_service.analysis.scan_llr import (
    EULER_GAMMA,
    P_FLOOR,
    FastLLR,
    critical_llr,
    gumbel_fit,
    gumbel_sf,
    llr_bernoulli,
    llr_poisson,
    p_values,
    xlogx_table,
)
from geo_service.analysis.scan_null import null_maxima
from geo_service.analysis.scan_zones import M_PER_DEG, Zones, build_zones, local_xy

_FastLLR = FastLLR  # old private name (tests, benchmarks)

Model = Literal["bernoulli", "poisson"]
_LLR = {"bernoulli": llr_bernoulli, "poisson": llr_poisson}


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
    # One k ln k table for the run and the bootstrap resamples (their totals vary a little).
    fast = FastLLR(model, zone_pop, C, N, xlogx_table(N + N // 50 + 1000))
    zone_cases = zones.sums(cases)
    llr = fast(zone_cases)

    null_max = null_maxima(
        zones, fast, fam_cell, jiwa, ekstrem, n_cells, replicates, s_null, workers=workers
    )
    kritis = critical_llr(null_max, alpha)

    chosen = _select(zones, llr, n_cells, kritis)
    cells = [zones.cells(e).copy() for e in chosen]
    picked = np.asarray(chosen, dtype=np.int64)
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
        _stability(zones, cells, fam_cell, jiwa, ekstrem, fast, kritis, stability, s_boot)
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
    free = np.ones(len(llr), dtype=bool)
    picked: list[int] = []
    pos = 0
    while True:
        e = int(candidates[pos])
        picked.append(e)
        free[zones.zones_with(zones.cells(e))] = False
        rest = np.flatnonzero(free[candidates[pos + 1 :]])
        if not len(rest):
            break
        pos += 1 + int(rest[0])
        if llr[candidates[pos]] < kritis:
            break
    if llr[picked[0]] < kritis:
        return picked[:1]
    return picked


def _stability(zones, cells, fam_cell, jiwa, ekstrem, fast, kritis, count, seed):
    """Share of family bootstrap resamples in which the cluster is found again: the same
    selection as the original run (zones in decreasing LLR, no shared cell with a stronger
    one, LLR >= ``kritis``) on the resampled counts picks a zone overlapping it. Without
    the selection a weak cluster next to a strong one would count as found whenever a big
    circle reaches into the strong one."""
    rng = np.random.default_rng(seed)
    n_cells, model, table = zones.members.shape[1], fast.model, fast.table
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
    for w in persons:
        pop = np.rint(np.bincount(k_cell, weights=w, minlength=n_cells)).astype(np.int64)
        cas = np.rint(np.bincount(k_cell, weights=w * k_case, minlength=n_cells)).astype(np.int64)
        N, C = int(pop.sum()), int(cas.sum())
        if C <= 0 or C >= N:
            continue
        llr = FastLLR(model, zones.sums(pop), C, N, table)(zones.sums(cas))
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
    "EULER_GAMMA",
    "M_PER_DEG",
    "P_FLOOR",
    "FastLLR",
    "ScanResult",
    "Zones",
    "build_zones",
    "critical_llr",
    "gumbel_fit",
    "gumbel_sf",
    "llr_bernoulli",
    "llr_poisson",
    "local_xy",
    "null_maxima",
    "p_values",
    "scan",
]
