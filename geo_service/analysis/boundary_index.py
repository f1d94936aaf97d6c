"""The boundary index of the fast join: interior cell ranges of a desa layer, built by scan
conversion of all polygon edges at once (no geometry predicate), stored with the
boundaries (:meth:`BoundaryIndex.to_bytes`) and looked up with integer operations.

Used through :mod:`~geo_service.analysis.fastjoin` (which re-exports these names).
"""

from __future__ import annotations

import hashlib
import io
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

CELL_M = 12.0
# Squares are grown by this much (degrees, ~0.55 m) before the interior test, so float
# error in a point's square can never carry it across a border.
EDGE_MARGIN_DEG = 5e-6
FORMAT_VERSION = 3
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class JoinTable:
    """Dense table of coarse blocks of an index's frame (``2**level`` per side, a border
    of empty blocks around it): the desa and the H3 cell each block lies in, with the
    safety margin, when it lies in only one (built by
    :func:`~geo_service.analysis.join_table.build_join_table`).

    Attributes
    ----------
    level
        ``2**level`` blocks per side of the index's frame.
    block
        ``(2**level + 2) ** 2`` combination positions, row-major (int16 or int32); -1
        for a block in no single desa and no single H3 cell.
    combo_desa, combo_h3
        Per combination: desa position (int32, -1 when the block is on a desa border)
        and H3 cell (uint64, 0 when on a cell border); one more entry at the end, (-1, 0),
        so that position -1 reads "unknown".
    h3_resolution
        Resolution of ``combo_h3`` (-1: desa only).
    """

    level: int
    block: np.ndarray
    combo_desa: np.ndarray
    combo_h3: np.ndarray
    h3_resolution: int

    def arrays(self) -> dict[str, Any]:
        """The table as named arrays (stored by :meth:`BoundaryIndex.to_bytes`)."""
        return {
            "table_level": np.int64(self.level),
            "table_block": self.block,
            "table_combo_desa": self.combo_desa,
            "table_combo_h3": self.combo_h3,
            "table_h3_resolution": np.int64(self.h3_resolution),
        }

    @classmethod
    def from_arrays(cls, z) -> JoinTable | None:
        """The table stored in ``z`` (an ``.npz``), ``None`` when it holds none."""
        if "table_block" not in z.files:
            return None
        return cls(
            level=int(z["table_level"]),
            block=z["table_block"],
            combo_desa=z["table_combo_desa"].astype(np.int32),
            combo_h3=z["table_combo_h3"].astype(np.uint64),
            h3_resolution=int(z["table_h3_resolution"]),
        )


@dataclass(frozen=True)
class BoundaryIndex:
    """Interior cell ranges of a desa layer; serialisable with :meth:`to_bytes`.

    Attributes
    ----------
    x0, y0, size
        Square frame (degrees) the grid divides: lon ``x0..x0+size``, lat ``y0..``.
    level
        ``2**level`` cells per side.
    start, end
        Sorted, disjoint inclusive ranges of row-major cell codes (int64).
    desa
        Position (in the desa layer) of the one desa each range lies inside (int32).
    codes
        Desa codes in layer order; ``desa`` indexes into it.
    fingerprint
        SHA-256 of the codes and geometries the index was built from.
    table
        Optional :class:`JoinTable` of coarse blocks (desa and H3 cell per block), looked
        up before the ranges.
    """

    x0: float
    y0: float
    size: float
    level: int
    start: np.ndarray
    end: np.ndarray
    desa: np.ndarray
    codes: np.ndarray
    fingerprint: str
    table: JoinTable | None = None

    @property
    def n_intervals(self) -> int:
        """Number of interior ranges."""
        return len(self.start)

    @property
    def nbytes(self) -> int:
        """Memory of the lookup arrays."""
        return self.start.nbytes + self.end.nbytes + self.desa.nbytes

    def cell_code(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Row-major code ``row * 2**level + column`` of each point's cell (int64), -1
        outside the frame or NaN."""
        n_side = 1 << self.level
        fx = (np.asarray(lon, dtype="float64") - self.x0) * (n_side / self.size)
        fy = (np.asarray(lat, dtype="float64") - self.y0) * (n_side / self.size)
        ok = (fx >= 0) & (fx < n_side) & (fy >= 0) & (fy < n_side)  # False for NaN
        ix = np.where(ok, fx, 0).astype(np.int64)
        iy = np.where(ok, fy, 0).astype(np.int64)
        code = (iy << self.level) | ix
        code[~ok] = -1
        return code

    morton = cell_code  # the name of the quadtree version (format 2)

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """Desa position of each finest-level code lying inside one desa only, else -1."""
        codes = np.asarray(codes, dtype=np.int64)
        if len(self.start) == 0:
            return np.full(len(codes), -1, dtype=np.int32)
        i = np.searchsorted(self.start, codes, side="right") - 1
        ok = i >= 0
        i[~ok] = 0
        ok &= codes <= self.end[i]
        return np.where(ok, self.desa[i], np.int32(-1)).astype(np.int32)

    def table_lookup(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Desa position (int32, -1 unknown) and H3 cell (uint64, 0 unknown) of each point
        from :attr:`table` (NaN and points outside the frame: unknown)."""
        t = self.table
        if t is None:
            raise ValueError("this index has no block table")
        n = 1 << t.level
        s = n / self.size
        # Block column + 1 (the border), clipped to the border columns 0 and n + 1: fmax
        # and fmin also send NaN there. Float error (~1e-10 block) is far below the margin.
        fx = np.multiply(lon, s)
        fx += 1.0 - self.x0 * s
        np.fmin(np.fmax(fx, 0.0, out=fx), n + 1.0, out=fx)
        fy = np.multiply(lat, s)
        fy += 1.0 - self.y0 * s
        np.fmin(np.fmax(fy, 0.0, out=fy), n + 1.0, out=fy)
        k = fy.astype(np.int32)
        k *= n + 2
        k += fx.astype(np.int32)
        combo = t.block[k]
        return t.combo_desa[combo], t.combo_h3[combo]

    def to_bytes(self) -> bytes:
        """The index as compressed ``.npz`` bytes (store them next to the boundaries)."""
        buf = io.BytesIO()
        arrays: dict[str, Any] = {
            "format_version": np.int64(FORMAT_VERSION),
            "frame": np.array([self.x0, self.y0, self.size]),
            "level": np.int64(self.level),
            "start": self.start,
            "end": self.end,
            "desa": self.desa,
            "codes": np.asarray(self.codes, dtype=str),
            "fingerprint": np.asarray(self.fingerprint),
        }
        if self.table is not None:
            arrays.update(self.table.arrays())
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BoundaryIndex:
        """Read an index written by :meth:`to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if int(z["format_version"]) != FORMAT_VERSION:
                raise ValueError("boundary index written by another format version")
            x0, y0, size = (float(v) for v in z["frame"])
            return cls(
                x0=x0,
                y0=y0,
                size=size,
                level=int(z["level"]),
                start=z["start"].astype(np.int64),
                end=z["end"].astype(np.int64),
                desa=z["desa"].astype(np.int32),
                codes=z["codes"].astype(object),
                fingerprint=str(z["fingerprint"]),
                table=JoinTable.from_arrays(z),
            )


def boundary_fingerprint(desa: gpd.GeoDataFrame, *, kode_col: str = "kode") -> str:
    """SHA-256 of a desa layer's codes (in order) and geometries, and of the index format:
    names a boundary version (an index stored in an older format no longer matches and is
    rebuilt)."""
    h = hashlib.sha256()
    h.update(f"fastjoin-format-{FORMAT_VERSION}\x1e".encode())
    h.update("\x1f".join(map(str, desa[kode_col].tolist())).encode())
    for wkb in shapely.to_wkb(desa.geometry.to_numpy(), include_srid=False):
        h.update(wkb)
    return h.hexdigest()


def build_boundary_index(
    desa: gpd.GeoDataFrame,
    *,
    kode_col: str = "kode",
    cell_m: float = CELL_M,
    margin_deg: float = EDGE_MARGIN_DEG,
    threads: int = 2,
) -> BoundaryIndex:
    """Index the interior of a desa layer with grid cells (once per boundary version).

    Scan conversion, vectorised over every edge of every ring, no geometry predicate:

    1. Inside: for each row of cells, the edges of each polygon crossing the row's centre
       line, sorted; between pairs of crossings (even-odd rule, so holes and multi-part
       desa are right) lie the cells whose centre is inside that polygon.
    2. Border: every cell that an edge of any polygon comes within ``margin_deg`` of
       (each edge clipped to each row band it touches, grown by the margin).
    3. A cell inside exactly one polygon and not on a border lies, with its margin, in
       the interior of that desa and touches no other one: it is kept. One sweep over the
       span and border events of all rows gives the kept cells as ranges of row-major
       codes, a few per desa and row.

    Parameters
    ----------
    desa
        Desa polygons in EPSG:4326 (checked, valid), codes in ``kode_col``.
    cell_m
        Side of the cells in metres (about); finer means fewer families on the exact
        path but a larger index.
    margin_deg
        Safety margin around each cell: float error in a point's cell can never carry it
        across a border.
    threads
        Bands of rows swept in parallel threads (2 by default; 1 for none).

    Returns
    -------
    BoundaryIndex
    """
    if desa.crs is None or desa.crs.to_epsg() != 4326:
        raise ValueError("desa must be in EPSG:4326")
    geoms = desa.geometry.to_numpy()
    minx, miny, maxx, maxy = desa.total_bounds
    pad = 1e-3
    size = max(maxx - minx, maxy - miny) + 2 * pad
    level = int(min(26, max(1, math.ceil(math.log2(size * _M_PER_DEG / cell_m)))))
    x0, y0 = minx - pad, miny - pad
    n_side = 1 << level
    scale = n_side / size

    start, end, desa_pos = scan_ranges(geoms, x0, y0, scale, n_side, margin_deg * scale, threads)
    return BoundaryIndex(
        x0=float(x0),
        y0=float(y0),
        size=float(size),
        level=level,
        start=start,
        end=end,
        desa=desa_pos.astype(np.int32),
        codes=desa[kode_col].astype(str).to_numpy(dtype=object),
        fingerprint=boundary_fingerprint(desa, kode_col=kode_col),
    )


def scan_ranges(
    geoms: np.ndarray,
    x0: float,
    y0: float,
    scale: float,
    n_side: int,
    margin: float,
    threads: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranges of row-major cell codes inside exactly one of ``geoms`` and ``margin`` (cell
    units) away from every edge, on the grid of ``n_side`` cells per side whose cell
    ``(0, 0)`` starts at ``(x0, y0)``, ``scale`` cells per degree (steps 1-3 of
    :func:`build_boundary_index`).

    Returns (start, end, owner): sorted, disjoint inclusive ranges, owner a position in
    ``geoms`` (int64).
    """
    # Every edge of every ring, in cell units, with the position of its polygon.
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vert_ring = shapely.get_coordinates(rings, return_index=True)
    same = vert_ring[1:] == vert_ring[:-1]
    ax = (xy[:-1, 0][same] - x0) * scale
    ay = (xy[:-1, 1][same] - y0) * scale
    bx = (xy[1:, 0][same] - x0) * scale
    by = (xy[1:, 1][same] - y0) * scale
    owner = part_of[ring_of[vert_ring[:-1][same]]].astype(np.int64)

    # Rows split into bands of about equal work (edge rows), swept in parallel threads
    # (numpy's sorts and cumulative sums release the GIL); ranges never cross a row.
    bounds = _row_bands(ay, by, n_side, max(1, threads))

    def band(rows: tuple[int, int]):
        spans = _inside_spans(ax, ay, bx, by, owner, n_side, rows)
        border = _border_cells(ax, ay, bx, by, margin, n_side, rows)
        return _sweep(spans, border)

    if len(bounds) == 1:
        found = [band(bounds[0])]
    else:
        with ThreadPoolExecutor(len(bounds)) as pool:
            found = list(pool.map(band, bounds))
    start, end, pos = (np.concatenate([p[i] for p in found]) for i in range(3))
    return _merge_adjacent(start, end, pos)


def _row_bands(ay, by, n_side: int, k: int) -> list[tuple[int, int]]:
    """``k`` half-open bands of rows ``[r_lo, r_hi)`` covering the grid, split where the
    edges' rows are shared about equally (at quantiles of the edges' middle rows)."""
    if k <= 1 or len(ay) == 0:
        return [(0, n_side)]
    mid = (np.asarray(ay) + np.asarray(by)) / 2
    cuts = np.quantile(mid, np.linspace(0, 1, k + 1)[1:-1]).astype(np.int64)
    edges = np.unique(np.clip(np.concatenate([[0], cuts, [n_side]]), 0, n_side))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _inside_spans(ax, ay, bx, by, owner, n_side, rows=None):
    """Row-major code ranges ``[a, b]`` of the cells whose centre lies inside each polygon,
    in the rows ``[r_lo, r_hi)`` of ``rows`` (all by default).

    Returns (start, end, owner) of every span, possibly overlapping between polygons.
    """
    r_lo, r_hi = rows if rows is not None else (0, n_side)
    lo, hi = np.minimum(ay, by), np.maximum(ay, by)
    # Rows whose centre line y = r + 0.5 lies in [lo, hi): half-open, so a vertex on a
    # centre line is counted once and horizontal edges never.
    r0 = np.maximum(np.ceil(lo - 0.5).astype(np.int64), r_lo)
    r1 = np.minimum(np.ceil(hi - 0.5).astype(np.int64), r_hi)
    k = np.maximum(r1 - r0, 0)
    e = np.repeat(np.arange(len(ax)), k)
    first = np.repeat(np.cumsum(k) - k, k)
    row = r0[e] + (np.arange(len(e)) - first)
    yc = row + 0.5
    t = (yc - ay[e]) / (by[e] - ay[e])
    xc = ax[e] + t * (bx[e] - ax[e])
    who = owner[e]
    group = who * n_side + row
    span = float(n_side + 1)
    if float(group.max(initial=0)) * span < 2.0**44:
        # One float key: group, then x (exact to < 1e-3 cell here; two crossings of one
        # polygon closer than that lie on its edges, so any cell between them is a
        # border cell and the order of the pair cannot change a kept cell).
        order = np.argsort(group * span + xc)
    else:
        order = np.lexsort((xc, group))
    xc, row, who = xc[order], row[order], who[order]
    # Crossings come in pairs per (polygon, row): even-odd rule.
    xa, xb = xc[0::2], xc[1::2]
    row, who = row[0::2], who[0::2]
    ca = np.ceil(xa - 0.5).astype(np.int64)  # first cell whose centre is >= xa
    cb = np.ceil(xb - 0.5).astype(np.int64) - 1  # last cell whose centre is < xb
    ca, cb = np.clip(ca, 0, n_side - 1), np.clip(cb, 0, n_side - 1)
    ok = (cb >= ca) & (row >= 0) & (row < n_side)
    base = row[ok] * n_side
    return base + ca[ok], base + cb[ok], who[ok]


def _border_cells(ax, ay, bx, by, margin, n_side, rows=None):
    """Row-major code ranges of the cells an edge comes within ``margin`` of (cell units),
    in the rows ``[r_lo, r_hi)`` of ``rows`` (all by default).

    Each edge is clipped to each row band ``[r - margin, r + 1 + margin]`` it touches;
    the clipped piece's x extent grown by the margin gives the cells of that row.
    """
    r_lo, r_hi = rows if rows is not None else (0, n_side)
    lo, hi = np.minimum(ay, by) - margin, np.maximum(ay, by) + margin
    r0 = np.maximum(np.floor(lo).astype(np.int64), r_lo)
    r1 = np.minimum(np.floor(hi).astype(np.int64), r_hi - 1)
    k = np.maximum(r1 - r0 + 1, 0)
    e = np.repeat(np.arange(len(ax)), k)
    first = np.repeat(np.cumsum(k) - k, k)
    row = r0[e] + (np.arange(len(e)) - first)
    dy = by[e] - ay[e]
    flat = dy == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        t_lo = np.where(flat, 0.0, (row - margin - ay[e]) / dy)
        t_hi = np.where(flat, 1.0, (row + 1 + margin - ay[e]) / dy)
    t_a = np.clip(np.minimum(t_lo, t_hi), 0.0, 1.0)
    t_b = np.clip(np.maximum(t_lo, t_hi), 0.0, 1.0)
    xa = ax[e] + t_a * (bx[e] - ax[e])
    xb = ax[e] + t_b * (bx[e] - ax[e])
    c0 = np.floor(np.minimum(xa, xb) - margin).astype(np.int64)
    c1 = np.floor(np.maximum(xa, xb) + margin).astype(np.int64)
    c0, c1 = np.clip(c0, 0, n_side - 1), np.clip(c1, 0, n_side - 1)
    ok = (row >= 0) & (row < n_side)
    base = row[ok] * n_side
    return base + c0[ok], base + c1[ok]


def _sweep(spans, border):
    """Ranges of codes covered by exactly one polygon's spans and by no border range."""
    s_start, s_end, s_owner = spans
    b_start, b_end = border
    pos = np.concatenate([s_start, s_end + 1, b_start, b_end + 1])
    if len(pos) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    n_s, n_b = len(s_start), len(b_start)
    d_cover = np.concatenate([np.ones(n_s), -np.ones(n_s), np.zeros(2 * n_b)]).astype(np.int64)
    d_owner = np.concatenate([s_owner, -s_owner, np.zeros(2 * n_b, dtype=np.int64)])
    d_border = np.concatenate([np.zeros(2 * n_s), np.ones(n_b), -np.ones(n_b)]).astype(np.int64)
    # The order of events at one position does not matter: only the state after the
    # last of them is used.
    order = np.argsort(pos)
    pos = pos[order]
    cover = np.cumsum(d_cover[order])
    own = np.cumsum(d_owner[order])
    bord = np.cumsum(d_border[order])
    # State after the last event at each position holds until the next position.
    last = np.r_[pos[1:] != pos[:-1], True]
    pos, cover, own, bord = pos[last], cover[last], own[last], bord[last]
    keep = (cover[:-1] == 1) & (bord[:-1] == 0) & (pos[1:] > pos[:-1])
    return pos[:-1][keep], pos[1:][keep] - 1, own[:-1][keep]


def _merge_adjacent(start, end, owner):
    """Join ranges of the same desa that follow each other with no code between them."""
    if len(start) < 2:
        return start, end, owner
    follows = (start[1:] == end[:-1] + 1) & (owner[1:] == owner[:-1])
    first = np.concatenate([[True], ~follows])
    last = np.concatenate([first[1:], [True]])
    return start[first], end[last], owner[first]
