"""Null distribution of the Kulldorff scan (:mod:`.scan`): the maximum LLR over all zones
in each random-labelling replicate.

Random labelling of families: in every replicate ``k`` of the ``F`` located families are
extreme-poor, every ``k``-subset equally likely (the observed number of extreme-poor
families is kept; a family's persons stay together). Families of the same cell and size
are interchangeable, so a replicate is fully described by how many extreme-poor families
each (cell, size) group gets: a multivariate hypergeometric draw over the groups, which is
exactly the distribution of the family-level shuffle. numpy's ``count`` method costs a pass
over the families, ``marginals`` one hypergeometric draw per group; the cheaper one is used
(same distribution). A random ``k``-subset drawn index by index was tried and is no faster:
its random memory accesses cost as much as the ``count`` pass.

The rest is a matrix operation per batch of replicates: persons per cell (groups x cells),
per zone (sparse zones x cells, float32 where the counts are exact in it) and the maximum
LLR of each replicate over the zones with an elevated rate only
(:meth:`~.scan_llr.FastLLR.row_max`). Replicates run in two fixed chunks seeded by a
``SeedSequence`` spawn, so the result does not depend on the number of threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import scipy.sparse as sp

from geo_service.analysis.scan_llr import FastLLR
from geo_service.analysis.scan_zones import Zones

# Zone x replicate values held in memory at once.
_BATCH_VALUES = 500_000
_MARGINALS_RATIO = 40  # families per group above which numpy's "marginals" is faster
_CHUNKS = 2  # replicate chunks (fixed, so results do not depend on the thread count)


def null_maxima(
    zones: Zones,
    fast: FastLLR,
    fam_cell: np.ndarray,
    jiwa: np.ndarray,
    ekstrem: np.ndarray,
    n_cells: int,
    replicates: int,
    seed: np.random.SeedSequence,
    *,
    workers: int = 2,
) -> np.ndarray:
    """Maximum LLR over all zones in each of ``replicates`` random-labelling replicates
    (see the module docstring), in replicate order."""
    # Groups of families with the same cell and size: the unit of the exact shuffle.
    group_key, group_of = np.unique(fam_cell * 1024 + np.minimum(jiwa, 1023), return_inverse=True)
    group_count = np.bincount(group_of).astype(np.int64)
    exact32 = float(jiwa.sum()) < 2**24
    dtype = np.float32 if exact32 else np.float64
    cells_of_groups = sp.csr_matrix(
        ((group_key % 1024).astype(dtype), (group_key // 1024, np.arange(len(group_key)))),
        shape=(n_cells, len(group_key)),
    )
    members = zones.members32 if exact32 else zones.members
    k = int(ekstrem.sum())
    method: Literal["count", "marginals"] = (
        "count" if len(fam_cell) < _MARGINALS_RATIO * len(group_count) else "marginals"
    )

    def null_chunk(child: np.random.SeedSequence, count: int) -> np.ndarray:
        rng = np.random.default_rng(child)
        out = np.empty(count)
        batch = max(1, min(count, _BATCH_VALUES // max(1, len(zones))))
        for b0 in range(0, count, batch):
            b = min(batch, count - b0)
            draws = rng.multivariate_hypergeometric(group_count, k, size=b, method=method)
            cell_cases = cells_of_groups @ draws.T.astype(dtype)  # cells x replicates
            zone_cases = np.rint(members @ cell_cases).astype(np.int64)  # zones x replicates
            out[b0 : b0 + b] = fast.row_max(zone_cases.T)
        return out

    sizes = [replicates // _CHUNKS + (i < replicates % _CHUNKS) for i in range(_CHUNKS)]
    children = seed.spawn(_CHUNKS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=min(workers, _CHUNKS)) as pool:
            parts = list(pool.map(null_chunk, children, sizes))
    else:
        parts = [null_chunk(c, s) for c, s in zip(children, sizes, strict=True)]
    return np.concatenate(parts)


__all__ = ["null_maxima"]
