"""Getis-Ord Gi* hot-spot statistic with conditional permutation inference and BH FDR.

Implemented here in vectorised numpy/scipy (no esda/numba at run time); the tests check the
z-values against ``esda.G_Local(star=True)``.

For area ``i`` with binary neighbour set ``N(i)`` (not containing ``i``), values ``x`` over
``n`` areas with mean ``xbar`` and standard deviation ``s`` (divisor ``n``), and
``k_i = |N(i)| + 1`` (the area itself is included: the "star"):

    Gi*_i = (x_i + sum_{j in N(i)} x_j - k_i * xbar) / (s * sqrt((n k_i - k_i^2) / (n - 1)))

This is the standardised Gi* of Getis and Ord (1992, 1995) and the ``Zs`` of esda. It is
large and positive where high values cluster (hot spot), negative where low values cluster
(cold spot).

Inference is by conditional permutation (Anselin 1995): ``x_i`` stays where it is and its
``|N(i)|`` neighbours are replaced by values drawn without replacement from the other
``n - 1`` areas, ``permutations`` times, each area with its own draws from one seeded
generator. The pseudo p-values count permuted neighbour sums at least as extreme as the
observed one, ``(count + 1) / (permutations + 1)``, per tail; the two-sided p-value is twice
the smaller tail (at most 1).

Classes (:func:`classify_one_sided`, used by the planning stage): hot and cold are tested
one-sided and separately, Benjamini-Hochberg at ``alpha`` over the hot-tail p-values for
``panas`` and over the cold-tail p-values for ``dingin``. One-sided Gi* statistics of
overlapping neighbourhoods are positively dependent, the condition under which BH controls
the false discovery rate (Benjamini and Yekutieli 2001); a two-sided test would double the
smallest p-value for nothing, since the sign says which tail is meant.

The smallest attainable one-sided p-value is ``1 / (permutations + 1)``, so with ``m``
tested areas BH can only reject when at least ``m / ((permutations + 1) * alpha)`` areas
reach it (999 permutations and 1,500 cells: 30 cells). Areas whose first-pass p-value is
small are therefore refined with more permutations (``permutations_max``, default 9,999:
3 cells of 1,500, 6 of 3,000 suffice); see :func:`gi_star` for why this keeps the p-values
valid and :func:`min_permutations`. Gi* is the descriptive layer (map colours); pockets come
from the scan statistic (:mod:`.scan`), whose p-values are not capped this way.

Areas without neighbours (islands) get NaN statistics and are not tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

# Class labels of an area after the test.
PANAS = "panas"  # significant hot spot
DINGIN = "dingin"  # significant cold spot
TIDAK_SIGNIFIKAN = "tidak_signifikan"
TANPA_TETANGGA = "tanpa_tetangga"  # island or no value: not tested

M_PER_DEG = 111_320.0
# Largest number of permuted values held in memory at once (float64: 8 bytes each).
_CHUNK_VALUES = 4_000_000


# --- neighbours -------------------------------------------------------------------------


def h3_neighbours(cells: Sequence[str], *, k: int = 1) -> sp.csr_matrix:
    """Binary neighbour matrix of H3 cells: the cells within ``k`` grid steps, present in
    ``cells`` (the cell itself excluded).

    Parameters
    ----------
    cells
        H3 cell ids (strings), one per area.
    k
        Grid distance; 1 is the ring of (up to) 6 adjacent cells.
    """
    index = {c: i for i, c in enumerate(cells)}
    rows: list[int] = []
    cols: list[int] = []
    for i, c in enumerate(cells):
        for other in h3.grid_disk(c, k):
            j = index.get(other)
            if j is not None and j != i:
                rows.append(i)
                cols.append(j)
    n = len(index)
    return _binary(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), n)


def distance_band_neighbours(lon: np.ndarray, lat: np.ndarray, radius_m: float) -> sp.csr_matrix:
    """Binary neighbour matrix: areas whose points (e.g. cell centres) lie within
    ``radius_m`` metres of each other (local equirectangular metres, fine within a kabupaten).
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    lat0 = float(np.mean(lat)) if len(lat) else 0.0
    xy = np.c_[lon * M_PER_DEG * np.cos(np.radians(lat0)), lat * M_PER_DEG]
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
    rows = np.r_[pairs[:, 0], pairs[:, 1]]
    cols = np.r_[pairs[:, 1], pairs[:, 0]]
    return _binary(rows, cols, len(lon))


def queen_neighbours(
    geometries, *, tolerance_m: float = 5.0, crs_is_geographic: bool = True
) -> sp.csr_matrix:
    """Queen contiguity: polygons sharing at least one boundary point (or overlapping).

    Digitised boundaries have slivers and tiny gaps, so polygons closer than
    ``tolerance_m`` also count as touching. A polygon touching nobody (an island) gets an
    empty row.

    Parameters
    ----------
    geometries
        Polygons (array or GeoSeries), one per area.
    tolerance_m
        Gap still counted as contiguity, metres (0: strict touching).
    crs_is_geographic
        Whether coordinates are degrees (tolerance converted at 111.32 km per degree).
    """
    geoms = np.asarray(geometries, dtype=object)
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        tol = tolerance_m / M_PER_DEG if crs_is_geographic else tolerance_m
        left, right = tree.query(geoms, predicate="dwithin", distance=tol)
    else:
        left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    return _binary(left[keep], right[keep], len(geoms))


def _binary(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    w = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    w = ((w + w.T) > 0).astype("float64").tocsr()
    w.setdiag(0)
    w.eliminate_zeros()
    w.sort_indices()
    return w


# --- statistic and inference ------------------------------------------------------------


@dataclass(frozen=True)
class GiStar:
    """Gi* per area (aligned with the input values).

    Attributes
    ----------
    z
        Standardised Gi* (analytic moments, as esda ``Zs``); NaN for islands and areas
        without value.
    z_sim
        Gi* standardised by the permutation distribution (mean and sd of the permuted
        neighbour sums).
    p_panas, p_dingin
        One-sided pseudo p-values for a hot (high) and a cold (low) cluster.
    p
        Two-sided pseudo p-value, ``min(1, 2 * min(p_panas, p_dingin))``.
    n_tetangga
        Number of neighbours (the area itself not counted).
    n_permutasi
        Number of permutations behind each area's p-values (0 where not tested).
    """

    z: np.ndarray
    z_sim: np.ndarray
    p_panas: np.ndarray
    p_dingin: np.ndarray
    p: np.ndarray
    n_tetangga: np.ndarray
    n_permutasi: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The statistics as columns (``gi_z``, ``gi_z_sim``, ``gi_p_panas``, ...)."""
        return pd.DataFrame(
            {
                "gi_z": self.z,
                "gi_z_sim": self.z_sim,
                "gi_p_panas": self.p_panas,
                "gi_p_dingin": self.p_dingin,
                "gi_p": self.p,
                "n_tetangga": self.n_tetangga,
                "gi_n_permutasi": self.n_permutasi,
            }
        )


def gi_star_z(values: np.ndarray, neighbours: sp.spmatrix) -> np.ndarray:
    """Standardised Gi* (analytic), binary weights with the area itself included.

    NaN for areas without neighbours or without a value; areas without a value are left
    out of the mean and variance (and of their neighbours' sums).
    """
    x, w, valid = _prepare(values, neighbours)
    out = np.full(len(x), np.nan)
    n = int(valid.sum())
    if n < 3:
        return out
    xv = x[valid]
    wv = w[valid][:, valid]
    deg = np.diff(wv.indptr).astype("float64")
    k = deg + 1.0
    mean = xv.mean()
    s = xv.std()
    local = wv @ xv + xv
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (local - k * mean) / (s * np.sqrt((n * k - k**2) / (n - 1)))
    z = np.where(s > 0, z, 0.0)
    z[deg == 0] = np.nan
    out[valid] = z
    return out


def gi_star(
    values: np.ndarray,
    neighbours: sp.spmatrix,
    *,
    permutations: int = 999,
    permutations_max: int | None = 9999,
    refine_below: float = 0.1,
    seed: int | np.random.SeedSequence | np.random.Generator = 0,
    conditional: bool = True,
) -> GiStar:
    """Gi* with conditional-permutation pseudo p-values, refined where they are small.

    Every area gets ``permutations`` permutations. Areas whose two-sided p-value is at most
    ``refine_below`` then get more, up to ``permutations_max`` in all, and their p-values
    pool all of them. Areas above ``refine_below`` keep the coarse p-value. This is exact
    for every threshold below ``refine_below``: a final p-value at most ``t <
    refine_below`` implies the pooled one is at most ``t``, which has probability at most
    ``t`` under the null. Keep ``refine_below`` above the FDR level (BH only rejects
    p-values at most ``alpha``).

    Parameters
    ----------
    values
        One value per area (e.g. empirical-Bayes rates); NaN areas are left out.
    neighbours
        Binary ``n x n`` neighbour matrix without the diagonal.
    permutations
        Permutations per area in the first pass.
    permutations_max
        Permutations in all for the areas refined (None or not larger: no refinement).
    refine_below
        Two-sided p-value of the first pass up to which an area is refined.
    seed
        Seed (or generator) of the permutations: same seed, same p-values.
    conditional
        True (default, as esda): the area's own value stays, only its neighbours are
        permuted. False ("total" permutation): the whole neighbourhood including the area
        is drawn from all areas, matching the null of the analytic Gi* moments.
    """
    if permutations < 1:
        raise ValueError("permutations must be at least 1")
    rng = np.random.default_rng(seed)
    x, w, valid = _prepare(values, neighbours)
    n_all = len(x)
    z = gi_star_z(x, w)
    p_hot = np.full(n_all, np.nan)
    p_cold = np.full(n_all, np.nan)
    z_sim = np.full(n_all, np.nan)
    deg_all = np.zeros(n_all, dtype=np.int64)
    perms_all = np.zeros(n_all, dtype=np.int64)
    vidx = np.flatnonzero(valid)
    if len(vidx) >= 3:
        xv = x[valid]
        wv = w[valid][:, valid].tocsr()
        deg = np.diff(wv.indptr)
        deg_all[vidx] = deg
        if conditional:
            observed = wv @ xv
            draw_deg = deg
        else:
            observed = wv @ xv + xv
            draw_deg = np.where(deg > 0, deg + 1, 0)
        tested = deg > 0
        stats_ = _permute(xv, observed, draw_deg, tested, permutations, rng, conditional)
        perms = np.where(tested, permutations, 0)
        extra = (permutations_max or 0) - permutations
        if extra > 0:
            two = np.minimum(
                1.0, 2.0 * np.minimum(stats_[0] + 1, stats_[1] + 1) / (permutations + 1.0)
            )
            refine = tested & (two <= refine_below)
            if refine.any():
                more = _permute(xv, observed, draw_deg, refine, extra, rng, conditional)
                stats_ = tuple(a + b for a, b in zip(stats_, more, strict=True))
                perms = perms + np.where(refine, extra, 0)
        ge, le, s1, s2 = stats_
        with np.errstate(invalid="ignore", divide="ignore"):
            ph = np.where(tested, (ge + 1.0) / (perms + 1.0), np.nan)
            pc = np.where(tested, (le + 1.0) / (perms + 1.0), np.nan)
            mean = s1 / perms
            sd = np.sqrt(np.maximum(s2 / perms - mean**2, 0.0))
            zs = np.where(tested & (sd > 0), (observed - mean) / sd, np.where(tested, 0.0, np.nan))
        p_hot[vidx], p_cold[vidx], z_sim[vidx] = ph, pc, zs
        perms_all[vidx] = perms
    two_sided = np.minimum(1.0, 2.0 * np.minimum(p_hot, p_cold))
    return GiStar(
        z=z,
        z_sim=z_sim,
        p_panas=p_hot,
        p_dingin=p_cold,
        p=two_sided,
        n_tetangga=deg_all,
        n_permutasi=perms_all,
    )


def _prepare(values, neighbours):
    x = np.asarray(values, dtype="float64")
    w = sp.csr_matrix(neighbours, dtype="float64")
    if w.shape != (len(x), len(x)):
        raise ValueError("neighbours must be an n x n matrix aligned with values")
    w = (w != 0).astype("float64").tocsr()
    w.setdiag(0)
    w.eliminate_zeros()
    w.sort_indices()
    return x, w, np.isfinite(x)


def _permute(x, observed, deg, areas, permutations, rng, exclude_self=True):
    """For the ``areas`` (mask) with ``deg`` draws each: counts of permuted sums >= and <=
    the observed one, and the sum and sum of squares of the permuted sums (for pooling).
    Areas are processed by degree, in chunks."""
    n = len(x)
    ge = np.zeros(n)
    le = np.zeros(n)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    scale = np.abs(x).max() if n else 1.0
    for d in np.unique(deg[areas]):
        if d == 0:
            continue
        if d > n - exclude_self:
            raise ValueError("an area has more neighbours than there are other areas")
        todo = np.flatnonzero(areas & (deg == d))
        chunk = max(1, _CHUNK_VALUES // (permutations * int(d)))
        for start in range(0, len(todo), chunk):
            ids = todo[start : start + chunk]
            owner = np.repeat(ids, permutations) if exclude_self else None
            draws = _draw_without_replacement(owner, len(ids) * permutations, n, int(d), rng)
            sums = x[draws[0]]
            for j in range(1, int(d)):
                sums += x[draws[j]]
            sums = sums.reshape(len(ids), permutations)
            obs = observed[ids][:, None]
            tol = 1e-9 * (np.abs(obs) + d * scale + 1e-300)
            ge[ids] = (sums >= obs - tol).sum(axis=1)
            le[ids] = (sums <= obs + tol).sum(axis=1)
            s1[ids] = sums.sum(axis=1)
            s2[ids] = (sums * sums).sum(axis=1)
    return ge, le, s1, s2


def _draw_without_replacement(owner, m, n, d, rng):
    """``d x m`` indices from ``0..n-1``, distinct within each of the ``m`` columns and
    different from ``owner`` (the area itself) when given.

    Column by column: each new index is drawn uniformly from the values allowed (not the
    owner, not drawn before in the column) by rejection, which keeps the draw exact."""
    top = n - 1 if owner is not None else n
    draws = np.empty((d, m), dtype=np.int32)
    for j in range(d):
        col = rng.integers(0, top, size=m, dtype=np.int32)
        if owner is not None:
            col += col >= owner
        bad = _clashes(col, draws[:j])
        while len(bad):
            fresh = rng.integers(0, top, size=len(bad), dtype=np.int32)
            if owner is not None:
                fresh += fresh >= owner[bad]
            col[bad] = fresh
            bad = bad[_clashes(fresh, draws[:j, bad])]
        draws[j] = col
    return draws


def _clashes(col: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Positions where ``col`` equals a value already drawn in the same column."""
    if not len(previous):
        return np.empty(0, dtype=np.int64)
    clash = col == previous[0]
    for row in previous[1:]:
        clash |= col == row
    return np.flatnonzero(clash)


def min_permutations(
    n_tests: int, alpha: float, min_discoveries: int = 1, *, sides: int = 2
) -> int:
    """Permutations needed so that BH at ``alpha`` over ``n_tests`` tests (two-sided, or
    one-sided with ``sides=1``) can reject as soon as ``min_discoveries`` areas reach the
    smallest pseudo p-value."""
    return int(np.ceil(sides * n_tests / (alpha * max(min_discoveries, 1)))) - 1


# --- multiple testing -------------------------------------------------------------------


def fdr_bh(p: np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg over the finite p-values.

    Returns
    -------
    reject
        Whether each test is rejected at false discovery rate ``alpha`` (False for NaN).
    q
        BH-adjusted p-values (q-values); NaN where ``p`` is NaN.
    """
    p = np.asarray(p, dtype="float64")
    q = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return np.zeros(len(p), dtype=bool), q
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[order] = np.minimum(ranked, 1.0)
    reject = np.zeros(len(p), dtype=bool)
    reject[ok] = q[ok] <= alpha
    return reject, q


def classify(z: np.ndarray, reject: np.ndarray) -> np.ndarray:
    """``panas`` / ``dingin`` (significant, by the sign of Gi*), ``tidak_signifikan``, or
    ``tanpa_tetangga`` where no test was made."""
    z = np.asarray(z, dtype="float64")
    out = np.full(len(z), TIDAK_SIGNIFIKAN, dtype=object)
    out[reject & (z > 0)] = PANAS
    out[reject & (z < 0)] = DINGIN
    out[~np.isfinite(z)] = TANPA_TETANGGA
    return out


def classify_one_sided(
    z: np.ndarray, p_panas: np.ndarray, p_dingin: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Classes from one-sided tests: BH at ``alpha`` over the hot-tail p-values gives
    ``panas``, separately over the cold-tail p-values ``dingin``.

    Returns
    -------
    kelas
        ``panas`` / ``dingin`` / ``tidak_signifikan`` / ``tanpa_tetangga``.
    p
        The one-sided p-value in the direction of ``z`` (hot tail where ``z >= 0``).
    q
        Its BH q-value (within its side).
    """
    z = np.asarray(z, dtype="float64")
    p_panas = np.asarray(p_panas, dtype="float64")
    p_dingin = np.asarray(p_dingin, dtype="float64")
    hot, q_hot = fdr_bh(p_panas, alpha)
    cold, q_cold = fdr_bh(p_dingin, alpha)
    out = np.full(len(z), TIDAK_SIGNIFIKAN, dtype=object)
    out[cold & ~hot] = DINGIN
    out[hot] = PANAS
    out[~np.isfinite(z)] = TANPA_TETANGGA
    up = ~(z < 0)
    return out, np.where(up, p_panas, p_dingin), np.where(up, q_hot, q_cold)


def cell_centres(cells: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of H3 cell centres."""
    if not len(cells):
        return np.empty(0), np.empty(0)
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    return lon, lat


__all__ = [
    "DINGIN",
    "PANAS",
    "TANPA_TETANGGA",
    "TIDAK_SIGNIFIKAN",
    "GiStar",
    "cell_centres",
    "classify",
    "classify_one_sided",
    "distance_band_neighbours",
    "fdr_bh",
    "gi_star",
    "gi_star_z",
    "h3_neighbours",
    "min_permutations",
    "queen_neighbours",
]
