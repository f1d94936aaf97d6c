"""The block table of the fast join: the desa and the H3 cell of coarse squares, read
with one gather per family (:meth:`BoundaryIndex.table_lookup`).

A boundary index (:mod:`~geo_service.analysis.boundary_index`) answers a family with a
binary search over its ranges; H3 then costs ~0.25 us per family in h3ronpy. Both are
properties of the boundaries (and of the H3 grid), not of the families, so they can be
tabulated once per boundary version: a dense table of blocks (squares of ~25 m for a
kabupaten, ``2**level`` per side of the index's frame, at most ``2**11``) holds for each
block the one desa and the one H3 cell it lies in, grown by the index's safety margin,
when there is only one. The same scan conversion as the index finds those blocks
(:func:`~geo_service.analysis.boundary_index.scan_ranges`), once for the desa and once
for the H3 cells' polygons (h3ronpy's own boundaries; their edges are great-circle arcs
that differ from straight lon/lat lines by millimetres, far below the 0.55 m margin).
Families in other blocks (on a desa or a cell border) take the ranges and the exact
path, or h3ronpy, as before: the answer is the same for every family.
"""

from __future__ import annotations

import dataclasses
import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from h3ronpy.vector import cells_to_wkb_polygons, coordinates_to_cells

from geo_service.analysis.boundary_index import (
    EDGE_MARGIN_DEG,
    BoundaryIndex,
    JoinTable,
    scan_ranges,
)

# At most 2**11 blocks per side: a table of 4.2 M entries (8 MB as int16).
TABLE_MAX_LEVEL = 11
# Blocks of about this side (metres) when the frame is small.
BLOCK_M = 24.0
# H3 cells tabulated at most (beyond: desa only, H3 by h3ronpy).
MAX_H3_CELLS = 400_000
_M_PER_DEG = 111_320.0


def h3_cell_polygons(
    x0: float, y0: float, size: float, resolution: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The H3 cells (uint64, sorted) met by a lattice of points over the square frame,
    and their polygons (h3ronpy's boundaries); ``None`` when they would be more than
    ``MAX_H3_CELLS``. Cells the lattice misses (slivers at the frame's edge) are simply
    not tabulated."""
    step = h3.average_hexagon_edge_length(resolution, "m") / 2 / _M_PER_DEG
    n = int(math.ceil(size / step)) + 1
    if n * n > 20 * MAX_H3_CELLS:
        return None
    axis = np.arange(n) * step
    xs, ys = np.meshgrid(x0 + axis, y0 + axis)
    lat = np.clip(ys.ravel(), -89.9, 89.9)
    cells = np.unique(np.asarray(coordinates_to_cells(lat, xs.ravel(), resolution), np.uint64))
    if len(cells) > MAX_H3_CELLS:
        return None
    polys = shapely.from_wkb(np.asarray(cells_to_wkb_polygons(cells), dtype=object))
    # A polygon wider than 90 degrees wraps the antimeridian: never tabulated.
    minx, _, maxx, _ = shapely.bounds(polys).T
    keep = (maxx - minx) < 90
    return cells[keep], polys[keep]


def build_join_table(
    index: BoundaryIndex,
    desa: gpd.GeoDataFrame,
    *,
    h3_resolution: int | None = 8,
    block_m: float = BLOCK_M,
    threads: int = 2,
) -> BoundaryIndex:
    """``index`` with a :class:`~geo_service.analysis.boundary_index.JoinTable` of
    ``desa`` (the layer it was built from) and, unless ``h3_resolution`` is ``None``, of
    the H3 cells at that resolution."""
    level = int(
        min(TABLE_MAX_LEVEL, max(1, math.ceil(math.log2(index.size * _M_PER_DEG / block_m))))
    )
    n = 1 << level
    scale = n / index.size
    margin = EDGE_MARGIN_DEG * scale
    frame = (index.x0, index.y0, scale, n, margin, threads)
    d_start, d_end, d_pos = scan_ranges(desa.geometry.to_numpy(), *frame)
    desa_of = _paint(d_start, d_end, d_pos, n)
    cells = np.zeros(0, dtype=np.uint64)
    hex_of = np.zeros(n * n, dtype=np.int64)
    found = (
        None
        if h3_resolution is None
        else h3_cell_polygons(index.x0, index.y0, index.size, h3_resolution)
    )
    if found is not None:
        cells, polys = found
        hex_of = _paint(*scan_ranges(polys, *frame), n)
    # One combination per (desa + 1, cell + 1) pair met; 0 = none of either.
    key = desa_of * (len(cells) + 1) + hex_of
    combo, uniques = pd.factorize(key, sort=True)
    uniques = np.asarray(uniques, dtype=np.int64)
    if uniques[0] == 0:  # blocks in neither: -1, the others one lower
        combo -= 1
        uniques = uniques[1:]
    d = uniques // (len(cells) + 1) - 1
    h = uniques % (len(cells) + 1) - 1
    combo_h3 = np.where(h >= 0, np.r_[cells, np.uint64(0)][h], np.uint64(0)).astype(np.uint64)
    dtype = np.int16 if len(uniques) < np.iinfo(np.int16).max else np.int32
    block = np.full((n + 2, n + 2), -1, dtype=dtype)
    block[1:-1, 1:-1] = combo.reshape(n, n)
    table = JoinTable(
        level=level,
        block=block.ravel(),
        combo_desa=np.r_[d, -1].astype(np.int32),
        combo_h3=np.r_[combo_h3, np.uint64(0)].astype(np.uint64),
        h3_resolution=-1 if found is None else int(h3_resolution or -1),
    )
    return dataclasses.replace(index, table=table)


def _paint(start: np.ndarray, end: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Dense ``n * n`` array: ``owner + 1`` on the codes of each (disjoint) range, else 0."""
    delta = np.zeros(n * n + 1, dtype=np.int64)
    np.add.at(delta, start, owner + 1)
    np.add.at(delta, end + 1, -(owner + 1))
    return np.cumsum(delta[:-1])
