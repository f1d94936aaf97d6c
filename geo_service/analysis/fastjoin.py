"""Fast family-to-desa join: an H3 boundary index built once per boundary version.

Boundaries change rarely, families often. :func:`build_boundary_index` covers the desa
layer with H3 cells, from resolution ``start_resolution`` down to ``resolution`` (default
11, cells of about 2,150 m²), keeping every cell that lies, with a safety margin, in the
interior of exactly one desa polygon and touches no other. Each kept cell becomes an
interval of fine-resolution cell numbers (the descendants of an H3 cell are one contiguous
range of uint64 values), so :func:`locate_with_index` answers most families with one
vectorised ``numpy.searchsorted``: a family whose fine cell falls in an interval lies
strictly inside exactly that desa (status ``dalam_desa``, distance 0). The others, in
border cells, near overlaps, gaps, holes or outside, go through the exact location rule
(:func:`~geo_service.analysis.locate.locate_points`), so the answer is the same as the
reference path for every family.

The fine cell of each family is computed anyway; its parent at the analysis resolution
(8 by default) is a bit operation, so the join and the H3 step share one pass.
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import schema as S
from .locate import cell_to_parent, location_frame, locate_points

INDEX_RESOLUTION = 11
START_RESOLUTION = 7
# Cells are grown by this much (degrees, ~0.55 m) before the interior test, so points on a
# cell's edge, rounding of H3's spherical edges and float error can never cross a border.
EDGE_MARGIN_DEG = 5e-6
# Descendants of an H3 cell stay within this many circumradii of its centre (see _reach).
DESCENDANT_REACH = 1.25
FORMAT_VERSION = 1

_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT

# Status codes of LocatedArrays.status: positions in schema.LOCATION_STATUSES.
STATUS_CODE = {name: i for i, name in enumerate(S.LOCATION_STATUSES)}


@dataclass(frozen=True)
class BoundaryIndex:
    """Interior H3 intervals of a desa layer; serialisable with :meth:`to_bytes`.

    Attributes
    ----------
    resolution
        H3 resolution of the interval bounds (the fine cells families are looked up by).
    start, end
        Sorted, disjoint inclusive ranges of fine cell numbers (uint64).
    desa
        Position (in the desa layer) of the one desa each range lies inside (int32).
    codes
        Desa codes in layer order; ``desa`` indexes into it.
    fingerprint
        SHA-256 of the codes and geometries the index was built from.
    """

    resolution: int
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

    def lookup(self, cells: np.ndarray) -> np.ndarray:
        """Desa position of each fine cell lying wholly inside one desa, else -1."""
        cells = np.asarray(cells, dtype=np.uint64)
        if len(self.start) == 0:
            return np.full(len(cells), -1, dtype=np.int32)
        i = np.searchsorted(self.start, cells, side="right").astype(np.int64) - 1
        ok = i >= 0
        i[~ok] = 0
        ok &= cells <= self.end[i]
        return np.where(ok, self.desa[i], np.int32(-1)).astype(np.int32)

    def to_bytes(self) -> bytes:
        """The index as compressed ``.npz`` bytes (store them next to the boundaries)."""
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            format_version=np.int64(FORMAT_VERSION),
            resolution=np.int64(self.resolution),
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
            return cls(
                resolution=int(z["resolution"]),
                start=z["start"].astype(np.uint64),
                end=z["end"].astype(np.uint64),
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
    cells
        H3 cell (uint64) at the index resolution, 0 without geotag.
    n_exact
        How many families needed the exact path (not answered by the index).
    """

    desa: np.ndarray
    status: np.ndarray
    jarak_m: np.ndarray
    cells: np.ndarray
    n_exact: int

    def h3(self, resolution: int) -> np.ndarray:
        """H3 cells at a coarser ``resolution`` (bit operations on the fine cells)."""
        if resolution == self.cells_resolution:
            return self.cells
        return cell_to_parent(self.cells, resolution)

    @property
    def cells_resolution(self) -> int:
        """Resolution of :attr:`cells` (read from the first geotagged cell)."""
        nz = self.cells[self.cells != 0]
        return int((nz[0] & _RES_MASK) >> _RES_SHIFT) if len(nz) else -1


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
    resolution: int = INDEX_RESOLUTION,
    start_resolution: int = START_RESOLUTION,
    margin_deg: float = EDGE_MARGIN_DEG,
) -> BoundaryIndex:
    """Index the interior of a desa layer with H3 cells (once per boundary version).

    Parameters
    ----------
    desa
        Desa polygons in EPSG:4326 (checked, valid), codes in ``kode_col``.
    resolution
        Finest H3 resolution; finer means fewer families on the exact path but a
        longer build and a larger index.
    start_resolution
        Coarsest cells tried; cells are split until they are interior or ``resolution``.
    margin_deg
        Safety margin around each cell for the interior test.

    Returns
    -------
    BoundaryIndex
    """
    from h3ronpy import uncompact
    from h3ronpy.vector import ContainmentMode, cells_to_wkb_polygons, wkb_to_cells

    if desa.crs is None or desa.crs.to_epsg() != 4326:
        raise ValueError("desa must be in EPSG:4326")
    if not 0 <= start_resolution <= resolution <= 15:
        raise ValueError("need 0 <= start_resolution <= resolution <= 15")
    geoms = desa.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    prepared = shapely.from_wkb(shapely.to_wkb(geoms))  # own copies, prepared below
    shapely.prepare(prepared)

    cover = wkb_to_cells(shapely.to_wkb(geoms), start_resolution,
                         containment_mode=ContainmentMode.IntersectsBoundary, flatten=True)
    cells = np.unique(np.asarray(cover, dtype=np.uint64))
    starts, ends, owners = [], [], []
    for res in range(start_resolution, resolution + 1):
        if len(cells) == 0:
            break
        hexes = shapely.from_wkb(np.asarray(cells_to_wkb_polygons(cells), dtype=object))
        grown = _reach(hexes, margin_deg, finest=res == resolution)
        h, d = tree.query(grown)  # envelopes; the exact test uses prepared polygons
        touch = shapely.intersects(prepared[d], grown[h])
        h, d = h[touch], d[touch]
        n_hit = np.bincount(h, minlength=len(cells))
        one = n_hit[h] == 1
        inside = np.zeros(len(h), dtype=bool)
        inside[one] = shapely.contains_properly(prepared[d[one]], grown[h[one]])
        interior = h[inside]
        lo, hi = _descendant_range(cells[interior], res, resolution)
        starts.append(lo)
        ends.append(hi)
        owners.append(d[inside].astype(np.int32))
        undecided = n_hit > 0
        undecided[interior] = False
        if res < resolution:
            cells = np.asarray(uncompact(cells[undecided], res + 1), dtype=np.uint64)
    start = np.concatenate(starts) if starts else np.zeros(0, np.uint64)
    end = np.concatenate(ends) if ends else np.zeros(0, np.uint64)
    owner = np.concatenate(owners) if owners else np.zeros(0, np.int32)
    order = np.argsort(start, kind="stable")
    start, end, owner = _merge_adjacent(start[order], end[order], owner[order], resolution)
    return BoundaryIndex(
        resolution=resolution,
        start=start,
        end=end,
        desa=owner,
        codes=desa[kode_col].astype(str).to_numpy(dtype=object),
        fingerprint=boundary_fingerprint(desa, kode_col=kode_col),
    )


def _reach(hexes: np.ndarray, margin_deg: float, *, finest: bool) -> np.ndarray:
    """Area a cell's fine descendants can reach, grown by ``margin_deg``.

    H3 children are not nested in their parent: the seven children of a cell stick out of
    its hexagon. The descendants of a cell of circumradius ``e`` lie within
    ``sqrt(3) * e * (7**-0.5 + 7**-1 + ...) + (finest circumradius) <= 1.06 e`` of its
    centre (each child centre is ``sqrt(3)`` child edges from its parent's); a disc of
    ``DESCENDANT_REACH * e`` (1.25 e) covers them with room for the projection's
    distortion. At the finest resolution the cell is its own hexagon.
    """
    centre = shapely.centroid(hexes)
    cxy = shapely.get_coordinates(centre)
    xy, owner = shapely.get_coordinates(hexes, return_index=True)
    offset = xy - cxy[owner]
    circum = np.zeros(len(hexes))
    np.maximum.at(circum, owner, np.hypot(*offset.T))
    if finest:
        # Scale each hexagon about its centre: edges move out by at least the margin
        # (a hexagon's inradius is over half its circumradius).
        scale = 1.0 + 2.0 * margin_deg / circum
        ring = shapely.linearrings(cxy[owner] + offset * scale[owner][:, None], indices=owner)
        return shapely.polygons(ring)
    # 16-gon around the disc: its edges are cos(pi/16) of its vertex radius from the centre.
    radius = (DESCENDANT_REACH * circum + margin_deg) / np.cos(np.pi / 16)
    angle = np.linspace(0.0, 2.0 * np.pi, 17)
    angle[-1] = 0.0
    ring_xy = np.stack([cxy[:, 0, None] + radius[:, None] * np.cos(angle),
                        cxy[:, 1, None] + radius[:, None] * np.sin(angle)], axis=-1)
    return shapely.polygons(ring_xy)


def _digit_bits(first: int, last: int) -> tuple[np.uint64, np.uint64]:
    """Mask of H3 digits ``first..last`` and the pattern setting them all to 6."""
    mask = 0
    sixes = 0
    for r in range(first, last + 1):
        shift = (15 - r) * 3
        mask |= 7 << shift
        sixes |= 6 << shift
    return np.uint64(mask), np.uint64(sixes)


def _descendant_range(cells: np.ndarray, res: int, fine: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last descendant at resolution ``fine`` of cells at ``res`` (uint64)."""
    at_fine = (cells & ~_RES_MASK) | (np.uint64(fine) << _RES_SHIFT)
    if fine == res:
        return at_fine, at_fine.copy()
    mask, sixes = _digit_bits(res + 1, fine)
    lo = at_fine & ~mask
    return lo, lo | sixes


def _dense_key(cells: np.ndarray, fine: int) -> np.ndarray:
    """Cells at ``fine`` as consecutive integers (base cell, then digits in base 7)."""
    key = ((cells >> np.uint64(45)) & np.uint64(0x7F)).astype(np.int64)
    for r in range(1, fine + 1):
        digit = ((cells >> np.uint64((15 - r) * 3)) & np.uint64(7)).astype(np.int64)
        key = key * 7 + digit
    return key


def _merge_adjacent(start, end, owner, fine):
    """Join ranges of the same desa that follow each other with no cell between them."""
    if len(start) < 2:
        return start, end, owner
    follows = (_dense_key(start[1:], fine) == _dense_key(end[:-1], fine) + 1) & (
        owner[1:] == owner[:-1])
    first = np.concatenate([[True], ~follows])
    last_of_group = np.concatenate([first[1:], [True]])
    return start[first], end[last_of_group], owner[first]


def _fine_cells(lat: np.ndarray, lon: np.ndarray, resolution: int, threads: int) -> np.ndarray:
    """H3 cells of all points (0 where NaN), split over ``threads`` (h3ronpy drops the GIL)."""
    from h3ronpy.vector import coordinates_to_cells

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


def _chunks(n: int, threads: int, min_size: int = 50_000) -> list[slice]:
    k = max(1, min(threads, n // min_size))
    bounds = np.linspace(0, n, k + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def locate_arrays(
    index: BoundaryIndex,
    lat: np.ndarray,
    lon: np.ndarray,
    registered: np.ndarray,
    desa: gpd.GeoDataFrame,
    *,
    max_distance_m: float = 250.0,
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
        Registered ``kode_desa`` per family (strings).
    desa
        The desa layer the index was built from (geometries for the exact path).
    max_distance_m
        Distance limit of the nearest-polygon step.
    threads
        Threads for the H3 step.
    tree
        An STRtree of ``desa.geometry`` to reuse (else ``desa.sindex``).
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    registered = np.asarray(registered, dtype=object)
    n = len(lat)
    cells = _fine_cells(lat, lon, index.resolution, threads)
    geotag = cells != 0
    owner = index.lookup(cells)
    status = np.where(geotag, STATUS_CODE[S.STATUS_DALAM_DESA],
                      STATUS_CODE[S.STATUS_TANPA_GEOTAG]).astype(np.int8)
    jarak = np.where(geotag, 0.0, np.nan)
    code_pos = pd.Index(index.codes)

    todo = np.flatnonzero(geotag & (owner < 0))
    if len(todo):
        kode, st, dist = locate_points(
            lon[todo], lat[todo], registered[todo], desa.geometry.to_numpy(),
            np.asarray(index.codes, dtype=object), max_distance_m=max_distance_m,
            tree=tree if tree is not None else desa.sindex,
        )
        found = pd.notna(kode)
        owner[todo] = np.where(found, code_pos.get_indexer(np.where(found, kode, "")), -1)
        status[todo] = pd.Index(S.LOCATION_STATUSES).get_indexer(st).astype(np.int8)
        jarak[todo] = dist
    ungeo = np.flatnonzero(~geotag)
    if len(ungeo):
        owner[ungeo] = code_pos.get_indexer(registered[ungeo])
    return LocatedArrays(desa=owner, status=status, jarak_m=jarak, cells=cells,
                         n_exact=len(todo))


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
    registered = keluarga[S.KODE_DESA].to_numpy(dtype=object)
    located = locate_arrays(
        index, keluarga["lat"].to_numpy(dtype="float64"),
        keluarga["lon"].to_numpy(dtype="float64"), registered, desa,
        max_distance_m=max_distance_m, threads=threads,
    )
    geotag = located.cells != 0
    codes = np.asarray(index.codes, dtype=object)
    kode_out = np.where(located.desa >= 0, codes[np.maximum(located.desa, 0)], None)
    kode_out[~geotag] = registered[~geotag]
    status = np.asarray(S.LOCATION_STATUSES, dtype=object)[located.status]
    return location_frame(kode_out, status, located.jarak_m, registered, geotag, keluarga.index)
