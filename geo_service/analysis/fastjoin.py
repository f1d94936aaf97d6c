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
threads. An index with a block table (:func:`build_join_table`, stored with the index)
answers most families' desa and H3 cell with one gather first; the ranges, the exact rule
and h3ronpy then take only the families in blocks on a desa or H3 cell border.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from h3ronpy.vector import coordinates_to_cells

from geo_service.analysis import schema as S

# The index itself lives in boundary_index; its names stay importable from here.
from geo_service.analysis.boundary_index import (  # noqa: F401
    CELL_M,
    EDGE_MARGIN_DEG,
    FORMAT_VERSION,
    BoundaryIndex,
    boundary_fingerprint,
    build_boundary_index,
)
from geo_service.analysis.join_table import build_join_table  # noqa: F401
from geo_service.analysis.point_rule import locate_points, location_frame

# Status codes of LocatedArrays.status: positions in schema.LOCATION_STATUSES.
STATUS_CODE = {name: i for i, name in enumerate(S.LOCATION_STATUSES)}


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


def _chunks(n: int, threads: int, min_size: int = 50_000) -> list[slice]:
    k = max(1, min(threads, n // min_size))
    bounds = np.linspace(0, n, k + 1).astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def h3_cells_threaded(
    lat: np.ndarray,
    lon: np.ndarray,
    resolution: int,
    threads: int = 2,
    index: BoundaryIndex | None = None,
) -> np.ndarray:
    """``locate.h3_cells`` split over ``threads`` (h3ronpy releases the GIL); 0 where NaN.

    With an ``index`` whose block table holds H3 cells at ``resolution``, the table answers
    most points and h3ronpy only the others (same cells)."""
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    out = np.zeros(len(lat), dtype=np.uint64)
    todo = ~(np.isnan(lat) | np.isnan(lon))
    if index is not None and index.table is not None and index.table.h3_resolution == resolution:
        out = index.table_lookup(lat, lon)[1]
        todo &= out == 0
    ok = np.flatnonzero(todo)
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
        one-shot path: a new boundary version analysed once), while H3 runs. With a block
        table (:func:`build_join_table`) the table is read first.
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
        # Registered codes by hashing (no Python string per row), in a worker thread.
        reg_future = pool.submit(pd.factorize, registered, use_na_sentinel=False)
        table = index.table if index is not None else None
        if table is not None:
            # The block table first: most families get their desa and H3 cell here.
            owner, h3_table = index.table_lookup(lat, lon)  # type: ignore[union-attr]
            if h3_resolution is not None and table.h3_resolution == h3_resolution:
                h3 = h3_table
        if h3_resolution is not None:
            rows = np.flatnonzero(geotag & (h3 == 0))
            for sl in _chunks(len(rows), threads):
                part = rows[sl]
                pending.append((part, pool.submit(_h3_rows, lat, lon, part, h3_resolution)))
        if index is None:
            index = build_boundary_index(desa, kode_col=kode_col, threads=1)
        if table is None:
            owner = index.lookup(index.cell_code(lat, lon))
        else:
            # Blocks on a desa border: the index's finer ranges.
            miss = np.flatnonzero(geotag & (owner < 0))
            owner[miss] = index.lookup(index.cell_code(lat[miss], lon[miss]))
        # Position of each family's registered code in the layer, -1 when not in it.
        reg_codes, reg_uniques = reg_future.result()
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
