"""Zones of the Kulldorff scan (:mod:`.scan`): circles of H3 cells around every populated
cell, cells entering in the order of their centre's distance (ties together), up to a
radius and a population share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

M_PER_DEG = 111_320.0


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

    @cached_property
    def by_cell(self) -> sp.csc_matrix:
        """``members`` by column: the zones holding a cell are one slice."""
        return self.members.tocsc()

    @cached_property
    def members32(self) -> sp.csr_matrix:
        """``members`` in float32 (replicate sums of counts below 2**24 are exact)."""
        return self.members.astype(np.float32)

    def zones_with(self, cells: np.ndarray) -> np.ndarray:
        """Indices of the zones holding any of ``cells`` (with repeats)."""
        by = self.by_cell
        cells = np.asarray(cells, dtype=np.int64)
        starts, stops = by.indptr[cells], by.indptr[cells + 1]
        if not len(cells):
            return np.empty(0, dtype=np.int64)
        take = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
        return by.indices[take]

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


__all__ = ["M_PER_DEG", "Zones", "build_zones", "local_xy"]
