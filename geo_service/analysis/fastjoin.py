"""Fast family-to-desa join: a boundary index built once per boundary version.

Boundaries change rarely, families often. :func:`build_boundary_index` lays a grid of
lon/lat cells of about ``cell_m`` metres (default 12 m) over the desa layer and keeps
every cell that lies, grown by a safety margin, in the interior of exactly one desa
polygon and touches no other, found by scan conversion of all polygon edges at once (no
geometry predicate; Kendal in well under a second). Kept cells of one desa next to each
other in a row form one range of row-major cell codes; :func:`locate_with_index` answers
most families with a few integer operations and one vectorised ``numpy.searchsorted``: a
family whose code falls in a range lies strictly inside exactly that desa (status
``dalam_desa``, distance 0).
The others (border squares, overlaps, gaps, holes, outside) go through the exact location
rule (:func:`~geo_service.analysis.locate.locate_points`), so the answer equals the
reference path for every family.

H3 cells are computed separately at the analysis resolution (H3 cells do not nest: the
parent of a point's fine cell is not always the coarse cell of the point), split over two
threads.
"""

from __future__ import annotations

import hashlib
import io
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S
from geo_service.analysis.point_rule import locate_points, location_frame

CELL_M = 12.0
# Squares are grown by this much (degrees, ~0.55 m) before the interior test, so float
# error in a point's square can never carry it across a border.
EDGE_MARGIN_DEG = 5e-6
FORMAT_VERSION = 3
_M_PER_DEG = 111_320.0

# Status codes of LocatedArrays.status: positions in schema.LOCATION_STATUSES.
STATUS_CODE = {name: i for i, name in enumerate(S.LOCATION_STATUSES)}


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

    def to_bytes(self) -> bytes:
        """The index as compressed ``.npz`` bytes (store them next to the boundaries)."""
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            format_version=np.int64(FORMAT_VERSION),
            frame=np.array([self.x0, self.y0, self.size]),
            level=np.int64(self.level),
            start=self.start,
            end=self.end,
            desa=self.desa,
            codes=np.asarray(self.codes, dtype=str),
            fingerprint=np.asarray(self.fingerprint),
        )
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
            )


@dataclass(frozen=True)
class LocatedArrays:
    """Per-family result of :func:`locate_arrays` as plain arrays (no strings per row).

    Attributes
    ----------
    desa
        Position of the desa the family is counted in (int32), -1 when ``di_luar_batas``
        or when an ungeotagged family's registered code is not in the layer.
    status
        Location status as an int8 position in ``schema.LOCATION_STATUSES``.
    jarak_m
        Distance to the assigned polygon in metres (0 inside, NaN without geotag/outside).
    h3
        H3 cell (uint64) at ``h3_resolution``, 0 without geotag (empty when not asked).
    geotag
        Whether the family has coordinates.
    registered
        Position of each family's registered code in the layer (int32), -1 when unknown.
    n_exact
        How many geotagged families needed the exact path (not answered by the index).
    """

    desa: np.ndarray
    status: np.ndarray
    jarak_m: np.ndarray
    h3: np.ndarray
    geotag: np.ndarray
    registered: np.ndarray
    n_exact: int


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

    # Every edge of every ring, in cell units, with the position of its desa.
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
    margin = margin_deg * scale

    def band(rows: tuple[int, int]):
        spans = _inside_spans(ax, ay, bx, by, owner, n_side, rows)
        border = _border_cells(ax, ay, bx, by, margin, n_side, rows)
        return _sweep(spans, border)

    if len(bounds) == 1:
        parts = [band(bounds[0])]
    else:
        with ThreadPoolExecutor(len(bounds)) as pool:
            parts = list(pool.map(band, bounds))
    start, end, desa_pos = (np.concatenate([p[i] for p in parts]) for i in range(3))
    start, end, desa_pos = _merge_adjacent(start, end, desa_pos)
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


def _chunks(n: int, threads: int, min_size: int = 50_000) -> list[slice]:
    k = max(1, min(threads, n // min_size))
    bounds = np.linspace(0, n, k + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def h3_cells_threaded(
    lat: np.ndarray, lon: np.ndarray, resolution: int, threads: int = 2
) -> np.ndarray:
    """``locate.h3_cells`` split over ``threads`` (h3ronpy releases the GIL); 0 where NaN."""
    from h3ronpy.vector import coordinates_to_cells

    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    out = np.zeros(len(lat), dtype=np.uint64)
    ok = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    if len(ok) == 0:
        return out
    la, lo = lat[ok], lon[ok]

    def part(sl: slice) -> np.ndarray:
        return np.asarray(coordinates_to_cells(la[sl], lo[sl], resolution), dtype=np.uint64)

    chunks = _chunks(len(ok), threads)
    if len(chunks) == 1:
        out[ok] = part(chunks[0])
    else:
        with ThreadPoolExecutor(len(chunks)) as pool:
            out[ok] = np.concatenate(list(pool.map(part, chunks)))
    return out


def _h3_rows(lat: np.ndarray, lon: np.ndarray, rows: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (uint64) of the points at positions ``rows``."""
    from h3ronpy.vector import coordinates_to_cells

    if len(rows) == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.asarray(coordinates_to_cells(lat[rows], lon[rows], resolution), dtype=np.uint64)


def locate_arrays(
    index: BoundaryIndex | None,
    lat: np.ndarray,
    lon: np.ndarray,
    registered,
    desa: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 250.0,
    h3_resolution: int | None = None,
    threads: int = 2,
    tree: shapely.STRtree | None = None,
    kode_col: str = "kode",
) -> LocatedArrays:
    """The location rule for arrays of points, through the index (see module docstring).

    Parameters
    ----------
    index
        Index of ``desa`` (same codes in the same order); ``None`` builds it here (the
        one-shot path: a new boundary version analysed once), while H3 runs.
    lat, lon
        Coordinates, NaN when not geotagged.
    registered
        Registered ``kode_desa`` per family (array or Series of strings).
    desa
        The desa layer the index was built from (geometries for the exact path).
    max_distance_m
        Distance limit of the nearest-polygon step.
    h3_resolution
        Also compute each family's H3 cell at this resolution (in ``threads`` worker
        threads, meanwhile this thread builds the index if needed, looks the families up and
        runs the exact path: h3ronpy, numpy and GEOS release the GIL).
    threads
        Worker threads for H3 (2 by default; 1 for one).
    tree
        An STRtree of ``desa.geometry`` to reuse (else ``desa.sindex``).
    kode_col
        Column of ``desa`` with the codes (when the index is built here).
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    geotag = ~(np.isnan(lat) | np.isnan(lon))
    n = len(lat)
    h3 = np.zeros(n if h3_resolution is not None else 0, dtype=np.uint64)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        pending = []
        if h3_resolution is not None:
            rows = np.flatnonzero(geotag)
            for sl in _chunks(len(rows), threads):
                part = rows[sl]
                pending.append((part, pool.submit(_h3_rows, lat, lon, part, h3_resolution)))
        if index is None:
            index = build_boundary_index(desa, kode_col=kode_col, threads=1)
        owner = index.lookup(index.cell_code(lat, lon))
        # Registered codes by hashing (no Python string per row): position of each
        # family's registered code in the layer, -1 when not in it.
        reg_codes, reg_uniques = pd.factorize(registered, use_na_sentinel=False)
        reg_uniques = np.asarray(reg_uniques, dtype=object)
        code_pos = pd.Index(index.codes)
        reg_pos = code_pos.get_indexer(reg_uniques).astype(np.int32)[reg_codes]
        status = np.where(
            geotag, STATUS_CODE[S.STATUS_DALAM_DESA], STATUS_CODE[S.STATUS_TANPA_GEOTAG]
        ).astype(np.int8)
        jarak = np.where(geotag, 0.0, np.nan)
        todo = np.flatnonzero(geotag & (owner < 0))
        if len(todo):
            kode, st, dist = locate_points(
                lon[todo],
                lat[todo],
                reg_uniques[reg_codes[todo]],
                desa.geometry.to_numpy(),
                np.asarray(index.codes, dtype=object),
                max_distance_m=max_distance_m,
                tree=tree if tree is not None else desa.sindex,
            )
            found = pd.notna(kode)
            owner[todo] = np.where(found, code_pos.get_indexer(np.where(found, kode, "")), -1)
            status[todo] = pd.Index(S.LOCATION_STATUSES).get_indexer(st).astype(np.int8)
            jarak[todo] = dist
        owner[~geotag] = reg_pos[~geotag]
        for part, fut in pending:
            h3[part] = fut.result()
    return LocatedArrays(
        desa=owner,
        status=status,
        jarak_m=jarak,
        h3=h3,
        geotag=geotag,
        registered=reg_pos,
        n_exact=len(todo),
    )


def locate_with_index(
    index: BoundaryIndex,
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    kode_col: str = "kode",
    max_distance_m: float = 250.0,
    threads: int = 2,
    check: bool = True,
) -> pd.DataFrame:
    """:func:`~geo_service.analysis.locate.locate_keluarga` through a boundary index.

    Same result, same columns; ``check`` verifies the index belongs to ``desa``
    (fingerprint of codes and geometries) and raises ``ValueError`` otherwise.
    """
    if desa.crs is None or desa.crs.to_epsg() != 4326:
        raise ValueError("desa must be in EPSG:4326")
    if check and boundary_fingerprint(desa, kode_col=kode_col) != index.fingerprint:
        raise ValueError("boundary index was built from other boundaries; rebuild it")
    located = locate_arrays(
        index,
        keluarga["lat"].to_numpy(dtype="float64"),
        keluarga["lon"].to_numpy(dtype="float64"),
        keluarga[S.KODE_DESA],
        desa,
        max_distance_m=max_distance_m,
        threads=threads,
    )
    geotag = located.geotag
    registered = keluarga[S.KODE_DESA].to_numpy(dtype=object)
    codes = np.asarray(index.codes, dtype=object)
    kode_out = np.asarray(
        np.where(located.desa >= 0, codes[np.maximum(located.desa, 0)], None), dtype=object
    )
    kode_out[~geotag] = registered[~geotag]
    status = np.asarray(S.LOCATION_STATUSES, dtype=object)[located.status]
    return location_frame(kode_out, status, located.jarak_m, registered, geotag, keluarga.index)
