"""Rank bootstrap of the priority desa, drawn on classes of identical families.

The priority list's rank intervals come from a stratified family bootstrap: in every
replicate each desa's ``n_d`` families are replaced by ``n_d`` families drawn uniformly with
replacement from the same desa, the per-desa sums of the family values are recomputed and
the desa are scored and ranked again (the rate component drawn from its empirical-Bayes
posterior, :func:`~.smoothing.eb_posterior_draws`).

What a replicate needs is only how many times each family is drawn. Within a desa these
multiplicities are ``Multinomial(n_d; 1/n_d, ..., 1/n_d)``, and families with identical
values (same desa, persons, flags, ...) are interchangeable, so only the total per *class*
of identical families matters: ``Multinomial(n_d; m_1/n_d, ..., m_K/n_d)`` for classes of
``m_k`` families (the aggregation property of the multinomial). This module draws exactly
that distribution, for all replicates of a batch at once:

1. the classes of each desa with the most families (at most :data:`GROUPS_PER_DESA`, at
   least two families each) are *groups*; the families of every other class are drawn one
   by one (*singles*, e.g. extreme-poor families with a continuous poverty gap);
2. per desa and replicate, the number of draws landing on singles is
   ``T ~ Binomial(n_d, s_d / n_d)`` (``s_d`` singles), the groups get
   ``Multinomial(n_d - T; m_k / (n_d - s_d))`` and the ``T`` single draws are uniform among
   the desa's singles. Conditioning a multinomial on the total of some of its cells gives
   exactly these two independent parts, so the counts have the same joint distribution as
   drawing ``n_d`` families uniformly: the bootstrap is the old family-level one, only the
   random stream differs (same seed, same output, every time).

The cost per replicate is the number of groups (``n_desa x GROUPS_PER_DESA`` binomials) plus
the number of singles, instead of every family; scores and ranks are computed on a
``(replicates x desa)`` matrix with one sort per batch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo_service.analysis.smoothing import eb_posterior_draws

GROUPS_PER_DESA = 48  # classes drawn as groups per desa (the rest family by family)
MIN_GROUP = 2  # a class of fewer families is cheaper to draw family by family
_BATCH_VALUES = 2_000_000  # counts held at once per batch (replicates x groups or singles)

RankFn = Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray]


def _class_codes(fam_desa: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Dense class number of every family: equal desa and equal values, same class."""
    code = fam_desa.astype(np.int64)
    for j in range(values.shape[1]):
        cj, uniq = pd.factorize(values[:, j])
        code, _ = pd.factorize(code * max(len(uniq), 1) + cj)
        code = code.astype(np.int64)
    return code


class ClassDraws:
    """Classes of identical families per desa and the exact stratified bootstrap on them.

    Parameters
    ----------
    values
        Family values (families x columns) whose per-desa sums are resampled.
    fam_desa
        Desa index (0..n_desa-1) of every family.
    n_desa
        Number of desa.
    """

    def __init__(self, values: np.ndarray, fam_desa: np.ndarray, n_desa: int):
        values = np.asarray(values, dtype="float64")
        fam_desa = np.asarray(fam_desa, dtype=np.int64)
        self.n_desa = n_desa
        self.n_cols = values.shape[1]
        self.n_d = np.bincount(fam_desa, minlength=n_desa).astype(np.int64)
        code = _class_codes(fam_desa, values)
        count = np.bincount(code)
        first = np.zeros(len(count), dtype=np.int64)
        first[code[::-1]] = np.arange(len(code))[::-1]  # first family of every class
        c_desa = fam_desa[first]
        # Classes by desa, larger first (ties by class number, i.e. first appearance).
        order = np.lexsort((np.arange(len(count)), -count, c_desa))
        start = np.r_[0, np.cumsum(np.bincount(c_desa, minlength=n_desa))[:-1]]
        position = np.empty(len(count), dtype=np.int64)
        position[order] = np.arange(len(count)) - start[c_desa[order]]
        grouped = (count >= MIN_GROUP) & (position < GROUPS_PER_DESA)
        # Groups, right-aligned per desa so that the padding (probability 0) comes first
        # and the multinomial's remainder falls on a real group.
        g = np.flatnonzero(grouped)
        g_per = np.bincount(c_desa[g], minlength=n_desa)
        self.width = max(int(g_per.max()) if len(g) else 0, 1)
        col = self.width - g_per[c_desa[g]] + position[g]
        n_grp = np.bincount(c_desa[g], weights=count[g], minlength=n_desa)
        self.pvals = np.zeros((n_desa, self.width))
        with np.errstate(invalid="ignore", divide="ignore"):
            self.pvals[c_desa[g], col] = count[g] / n_grp[c_desa[g]]
        self.group_values = np.zeros((n_desa, self.width, self.n_cols))
        self.group_values[c_desa[g], col] = values[first[g]]
        # Singles: families of the other classes, sorted by desa.
        single = np.flatnonzero(~grouped[code])
        single = single[np.argsort(fam_desa[single], kind="stable")]
        s_desa = fam_desa[single]
        self.n_single = len(single)
        self.s_d = np.bincount(s_desa, minlength=n_desa).astype(np.int64)
        self.s_start = np.r_[0, np.cumsum(self.s_d)[:-1]].astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.q_single = np.where(self.n_d > 0, self.s_d / np.maximum(self.n_d, 1), 0.0)
        # Sparse singles x (desa, column): one product turns draw counts into desa sums.
        rows = np.repeat(np.arange(self.n_single), self.n_cols)
        cols = (s_desa[:, None] * self.n_cols + np.arange(self.n_cols)).ravel()
        self.single_to_desa = sp.csr_matrix(
            (values[single].ravel(), (rows, cols)), shape=(self.n_single, n_desa * self.n_cols)
        )

    def batch_size(self) -> int:
        """Replicates per batch so that the count arrays stay near ``_BATCH_VALUES``."""
        per_rep = self.n_desa * self.width + self.n_single + 1
        return max(1, _BATCH_VALUES // per_rep)

    def sums(self, reps: int, rng: np.random.Generator) -> np.ndarray:
        """Per-desa sums of the values in ``reps`` bootstrap replicates:
        ``(reps, n_desa, n_cols)``."""
        n_d = np.broadcast_to(self.n_d, (reps, self.n_desa))
        t = rng.binomial(n_d, self.q_single)
        groups = rng.multinomial(n_d - t, self.pvals)  # (reps, n_desa, width)
        out = np.einsum("rdg,dgc->rdc", groups.astype("float64"), self.group_values)
        if self.n_single:
            cell = np.repeat(np.arange(reps * self.n_desa), t.ravel())
            d = cell % self.n_desa
            pick = self.s_start[d] + np.minimum(
                (rng.random(len(cell)) * self.s_d[d]).astype(np.int64), self.s_d[d] - 1
            )
            counts = np.bincount(
                (cell // self.n_desa) * self.n_single + pick, minlength=reps * self.n_single
            ).reshape(reps, self.n_single)
            single_sums = (self.single_to_desa.T @ counts.T.astype("float64")).T
            out += single_sums.reshape(reps, self.n_desa, self.n_cols)
        return out


def bootstrap_ranks(
    values: np.ndarray,
    names: list[str],
    fam_desa: np.ndarray,
    n_desa: int,
    *,
    reps: int,
    rng: np.random.Generator,
    rank: RankFn,
) -> np.ndarray:
    """Ranks of every desa in each of ``reps`` stratified family bootstrap replicates,
    ``(reps, n_desa)``.

    ``rank(sums, pct_eb)`` turns per-desa sums (a dict of ``(batch, n_desa)`` arrays named
    by ``names``) and the replicates' EB-posterior rates (percent) into ranks; see the
    module docstring for the draw."""
    draws = ClassDraws(values, fam_desa, n_desa)
    ranks = np.empty((reps, n_desa))
    batch = draws.batch_size()
    for b0 in range(0, reps, batch):
        b = min(batch, reps - b0)
        s = draws.sums(b, rng)
        sums = {name: s[:, :, j] for j, name in enumerate(names)}
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(
                sums["jiwa_kuadrat"] > 0, sums["jiwa"] ** 2 / sums["jiwa_kuadrat"], 0.0
            )
        eb = 100 * eb_posterior_draws(sums["jiwa_ekstrem"], sums["jiwa"], rng, n_eff=n_eff)
        ranks[b0 : b0 + b] = rank(sums, eb)
    return ranks


__all__ = ["GROUPS_PER_DESA", "ClassDraws", "bootstrap_ranks"]
