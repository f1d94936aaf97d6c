"""Fast family-to-desa join: a boundary index built once per boundary version.

Boundaries change rarely, families often. :func:`build_boundary_index` covers the desa
layer with a quadtree of lon/lat squares (Z-order / Morton cells), from squares of a few
kilometres down to squares of about ``cell_m`` metres (default 12 m), keeping every square
that lies, grown by a safety margin, in the interior of exactly one desa polygon and
touches no other. Squares nest exactly, so each kept square is one contiguous range of
finest-level Morton codes; :func:`locate_with_index` answers most families with a few
integer operations and one vectorised ``numpy.searchsorted``: a family whose code falls
in a range lies strictly inside exactly that desa (status ``dalam_desa``, distance 0).
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
FORMAT_VERSION = 2
_M_PER_DEG = 111_320.0

# Status codes of LocatedArrays.status: positions in schema.LOCATION_STATUSES.
STATUS_CODE = {name: i for i, name in enumerate(S.LOCATION_STATUSES)}


@dataclass(frozen=True)
class BoundaryIndex:
    """Interior quadtree ranges of a desa layer; serialisable with :meth:`to_bytes`.

    Attributes
    ----------
    x0, y0, size
        Square frame (degrees) the quadtree divides: lon ``x0..x0+size``, lat ``y0..``.
    level
        Depth of the finest squares (``2**level`` per side).
    start, end
        Sorted, disjoint inclusive ranges of finest-level Morton codes (int64).
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

    def morton(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Finest-level Morton code of each point (int64), -1 outside the frame or NaN."""
        n_side = 1 << self.level
        fx = (np.asarray(lon, dtype="float64") - self.x0) * (n_side / self.size)
        fy = (np.asarray(lat, dtype="float64") - self.y0) * (n_side / self.size)
        ok = (fx >= 0) & (fx < n_side) & (fy >= 0) & (fy < n_side)  # False for NaN
        ix = np.where(ok, fx, 0).astype(np.int64)
        iy = np.where(ok, fy, 0).astype(np.int64)
        code = _interleave(ix, iy)
        code[~ok] = -1
        return code

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
    """SHA-256 of a desa layer's codes (in order) and geometries; names a boundary version."""
    h = hashlib.sha256()
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
    """Index the interior of a desa layer with quadtree squares (once per boundary version).

    Parameters
    ----------
    desa
        Desa polygons in EPSG:4326 (checked, valid), codes in ``kode_col``.
    cell_m
        Side of the finest squares in metres (about); finer means fewer families on the
        exact path but a longer build and a larger index.
    margin_deg
        Safety margin around each square for the interior test.
    threads
        Threads for the geometry tests (shapely releases the GIL).

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
    start_level = max(0, level - 8)

    tree = shapely.STRtree(geoms)
    tree.query(shapely.box(minx, miny, maxx, maxy))  # built before threads share it
    # Prepared geometries build caches lazily and must not be shared across threads:
    # every thread gets its own prepared copy of the polygons.
    wkb = shapely.to_wkb(geoms)
    copies = [shapely.from_wkb(wkb) for _ in range(max(1, threads))]
    for c in copies:
        shapely.prepare(c)

    def classify(job: tuple[int, np.ndarray], lvl: int):
        k, part = job
        prepared = copies[k]
        ix, iy = _deinterleave(part)
        step = size / (1 << lvl)
        grown = shapely.box(
            x0 + ix * step - margin_deg,
            y0 + iy * step - margin_deg,
            x0 + (ix + 1) * step + margin_deg,
            y0 + (iy + 1) * step + margin_deg,
        )
        h, d = tree.query(grown)  # envelopes; the exact test uses prepared polygons
        touch = shapely.intersects(prepared[d], grown[h])
        h, d = h[touch], d[touch]
        n_hit = np.bincount(h, minlength=len(part))
        one = n_hit[h] == 1
        inside = np.zeros(len(h), dtype=bool)
        inside[one] = shapely.contains_properly(prepared[d[one]], grown[h[one]])
        undecided = n_hit > 0
        undecided[h[inside]] = False
        return part[h[inside]], d[inside].astype(np.int32), part[undecided]

    n0 = 1 << start_level
    gx, gy = np.meshgrid(np.arange(n0, dtype=np.int64), np.arange(n0, dtype=np.int64))
    cells = np.sort(_interleave(gx.ravel(), gy.ravel()))
    starts, ends, owners = [], [], []
    with ThreadPoolExecutor(max(1, threads)) as pool:
        for lvl in range(start_level, level + 1):
            if len(cells) == 0:
                break
            parts = [cells[sl] for sl in _chunks(len(cells), threads, min_size=20_000)]
            done = list(pool.map(lambda job, lv=lvl: classify(job, lv), enumerate(parts)))
            interior = np.concatenate([x[0] for x in done])
            shift = 2 * (level - lvl)
            starts.append(interior << shift)
            ends.append(((interior + 1) << shift) - 1)
            owners.append(np.concatenate([x[1] for x in done]))
            undecided = np.concatenate([x[2] for x in done])
            if lvl < level:
                cells = np.sort((undecided[:, None] * 4 + np.arange(4)).ravel())
    start = np.concatenate(starts)
    end = np.concatenate(ends)
    owner = np.concatenate(owners)
    order = np.argsort(start, kind="stable")
    start, end, owner = _merge_adjacent(start[order], end[order], owner[order])
    return BoundaryIndex(
        x0=float(x0),
        y0=float(y0),
        size=float(size),
        level=level,
        start=start,
        end=end,
        desa=owner,
        codes=desa[kode_col].astype(str).to_numpy(dtype=object),
        fingerprint=boundary_fingerprint(desa, kode_col=kode_col),
    )


def _spread(v: np.ndarray) -> np.ndarray:
    """Put the bits of ``v`` (< 2**31) on the even bit positions."""
    v = v.astype(np.uint64) & np.uint64(0x7FFFFFFF)
    for shift, mask in (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _squeeze(v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_spread`."""
    v = v & np.uint64(0x5555555555555555)
    for shift, mask in (
        (1, 0x3333333333333333),
        (2, 0x0F0F0F0F0F0F0F0F),
        (4, 0x00FF00FF00FF00FF),
        (8, 0x0000FFFF0000FFFF),
        (16, 0x00000000FFFFFFFF),
    ):
        v = (v | (v >> np.uint64(shift))) & np.uint64(mask)
    return v


# Bits of a byte spread to the even positions of 16 bits (Morton codes by table lookup).
_SPREAD_BYTE = np.array(
    [sum(((b >> k) & 1) << (2 * k) for k in range(8)) for b in range(256)], dtype=np.uint64
)


def _interleave(ix: np.ndarray, iy: np.ndarray) -> np.ndarray:
    """Morton code (int64) of square column ``ix`` and row ``iy`` (each < 2**31)."""
    ix = np.asarray(ix, dtype=np.int64)
    iy = np.asarray(iy, dtype=np.int64)
    if len(ix) and max(int(ix.max()), int(iy.max())) < 1 << 16:
        lut = _SPREAD_BYTE
        sx = lut[ix & 0xFF] | (lut[ix >> 8] << np.uint64(16))
        sy = lut[iy & 0xFF] | (lut[iy >> 8] << np.uint64(16))
        return (sx | (sy << np.uint64(1))).astype(np.int64)
    return (_spread(ix) | (_spread(iy) << np.uint64(1))).astype(np.int64)


def _deinterleave(code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of Morton codes."""
    c = np.asarray(code).astype(np.uint64)
    return _squeeze(c).astype(np.int64), _squeeze(c >> np.uint64(1)).astype(np.int64)


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
    from h3ronpy.vector import coordinates_to_cells

    if len(rows) == 0:
        return np.zeros(0, dtype=np.uint64)
    return np.asarray(coordinates_to_cells(lat[rows], lon[rows], resolution), dtype=np.uint64)


def locate_arrays(
    index: BoundaryIndex,
    lat: np.ndarray,
    lon: np.ndarray,
    registered,
    desa: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 250.0,
    h3_resolution: int | None = None,
    threads: int = 2,
    tree: shapely.STRtree | None = None,
) -> LocatedArrays:
    """The location rule for arrays of points, through the index (see module docstring).

    Parameters
    ----------
    index
        Index of ``desa`` (same codes in the same order).
    lat, lon
        Coordinates, NaN when not geotagged.
    registered
        Registered ``kode_desa`` per family (array or Series of strings).
    desa
        The desa layer the index was built from (geometries for the exact path).
    max_distance_m
        Distance limit of the nearest-polygon step.
    h3_resolution
        Also compute each family's H3 cell at this resolution (partly in a second thread).
    threads
        2 (default) to use a second thread, 1 for none.
    tree
        An STRtree of ``desa.geometry`` to reuse (else ``desa.sindex``).
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    geotag = ~(np.isnan(lat) | np.isnan(lon))
    h3 = np.zeros(len(lat) if h3_resolution is not None else 0, dtype=np.uint64)
    # Two halves of the rows, each in its own thread: square code, index lookup and H3
    # (numpy and h3ronpy release the GIL); this thread meanwhile hashes registered codes.
    n = len(lat)
    halves = _chunks(n, threads, min_size=100_000)

    def half(sl: slice):
        own = index.lookup(index.morton(lat[sl], lon[sl]))
        cells = None
        if h3_resolution is not None:
            rows = np.flatnonzero(geotag[sl])
            cells = (rows, _h3_rows(lat[sl], lon[sl], rows, h3_resolution))
        return own, cells

    with ThreadPoolExecutor(len(halves)) as pool:
        parts = [pool.submit(half, sl) for sl in halves]
        # Registered codes by hashing (no Python string per row): position of each
        # family's registered code in the layer, -1 when not in it.
        reg_codes, reg_uniques = pd.factorize(registered, use_na_sentinel=False)
        reg_uniques = np.asarray(reg_uniques, dtype=object)
        code_pos = pd.Index(index.codes)
        reg_pos = code_pos.get_indexer(reg_uniques).astype(np.int32)[reg_codes]
        owner = np.empty(n, dtype=np.int32)
        for sl, fut in zip(halves, parts, strict=True):
            own, cells = fut.result()
            owner[sl] = own
            if cells is not None:
                h3[sl.start + cells[0]] = cells[1]
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
    kode_out = np.where(located.desa >= 0, codes[np.maximum(located.desa, 0)], None)
    kode_out[~geotag] = registered[~geotag]
    status = np.asarray(S.LOCATION_STATUSES, dtype=object)[located.status]
    return location_frame(kode_out, status, located.jarak_m, registered, geotag, keluarga.index)
