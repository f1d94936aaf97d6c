"""The location rule of the household contract, and H3 cells of geotagged families.

The rule for single points lives in :mod:`~geo_service.analysis.point_rule`, the index
path in :mod:`~geo_service.analysis.fastjoin`; both are imported here, neither imports
this module (no import cycle).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from h3ronpy.vector import coordinates_to_cells

from geo_service.analysis import schema as S
from geo_service.analysis.fastjoin import build_boundary_index, locate_with_index

# locate_points, location_frame and utm_epsg stay importable from here (public names).
from geo_service.analysis.point_rule import locate_points, location_frame, utm_epsg

# From this many geotagged families on, building a boundary index on the fly pays off
# (Kendal: build about 0.5-1 s; the R-tree path costs about 3 us per geotagged family);
# below it the R-tree path is faster.
FAST_JOIN_MIN_POINTS = 100_000


def locate_keluarga(
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    kode_col: str = "kode",
    max_distance_m: float = 250.0,
    index=None,
) -> pd.DataFrame:
    """Assign every family to the desa where it is counted, following the contract.

    1. A geotagged family goes to the desa polygon containing its point; where several
       contain it (overlapping outlines), to its registered ``kode_desa`` if among them,
       else to the lowest code.
    2. A point in no polygon goes to the nearest polygon within ``max_distance_m``,
       measured in metres in the point's UTM zone (ties broken as in 1); beyond that it is
       ``di_luar_batas``: kept, counted in no desa.
    3. A family without geotag goes to its registered ``kode_desa``.
    4. A geotagged family placed in another desa than registered is ``lokasi_tidak_sesuai``.

    Parameters
    ----------
    keluarga
        Validated families with ``kode_desa``, ``lat``, ``lon`` (NaN when not geotagged).
    desa
        Desa polygons in EPSG:4326 with their code in ``kode_col``.
    kode_col
        Column of ``desa`` holding the Kemendagri code.
    max_distance_m
        Largest distance to a polygon at which a point outside all polygons is still placed.
    index
        A :class:`~geo_service.analysis.fastjoin.BoundaryIndex` of ``desa`` built before
        (boundaries change rarely). Without it, one is built when there are at least
        ``FAST_JOIN_MIN_POINTS`` geotagged families; smaller inputs use the reference
        R-tree path. Both give exactly the same answer.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``keluarga.index``: ``kode_desa_lokasi`` (``<NA>`` when outside),
        ``status_lokasi`` (one of ``schema.LOCATION_STATUSES``), ``jarak_m`` (distance to
        the assigned polygon, 0 inside it, NaN without geotag or outside) and
        ``lokasi_tidak_sesuai`` (bool).
    """
    if desa.crs is None or desa.crs.to_epsg() != 4326:
        raise ValueError("desa must be in EPSG:4326")
    n_geotag = int((keluarga["lat"].notna() & keluarga["lon"].notna()).sum())
    if index is None and n_geotag < FAST_JOIN_MIN_POINTS:
        return _locate_reference(keluarga, desa, kode_col=kode_col, max_distance_m=max_distance_m)
    if index is None:
        index = build_boundary_index(desa, kode_col=kode_col)
    return locate_with_index(
        index, keluarga, desa, kode_col=kode_col, max_distance_m=max_distance_m
    )


def _locate_reference(
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    kode_col: str = "kode",
    max_distance_m: float = 250.0,
) -> pd.DataFrame:
    """The location rule point by point with an R-tree: the reference the fast join equals."""
    n = len(keluarga)
    registered = keluarga[S.KODE_DESA].to_numpy(dtype=object)
    lat = keluarga["lat"].to_numpy(dtype="float64")
    lon = keluarga["lon"].to_numpy(dtype="float64")
    geotag = ~(np.isnan(lat) | np.isnan(lon))
    codes = desa[kode_col].to_numpy(dtype=object)

    kode_out = np.asarray(np.where(geotag, None, registered), dtype=object)
    status = np.where(geotag, S.STATUS_DI_LUAR_BATAS, S.STATUS_TANPA_GEOTAG).astype(object)
    jarak = np.full(n, np.nan)

    gi = np.flatnonzero(geotag)
    if len(gi):
        kode_out[gi], status[gi], jarak[gi] = locate_points(
            lon[gi],
            lat[gi],
            registered[gi],
            desa.geometry.to_numpy(),
            codes,
            max_distance_m=max_distance_m,
            tree=desa.sindex,
        )
    return location_frame(kode_out, status, jarak, registered, geotag, keluarga.index)


# --- H3 -------------------------------------------------------------------------------

_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int = 8) -> np.ndarray:
    """H3 v4 cell (uint64) of each point, vectorised; 0 where lat or lon is NaN."""
    if not 0 <= resolution <= 15:
        raise ValueError("H3 resolution must be within 0..15")

    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    out = np.zeros(len(lat), dtype=np.uint64)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    if ok.any():
        cells = coordinates_to_cells(lat[ok], lon[ok], resolution)
        out[ok] = np.asarray(cells, dtype=np.uint64)
    return out


def cell_to_parent(cells: np.ndarray, resolution: int) -> np.ndarray:
    """Parent cells at a coarser ``resolution`` by bit operations (as ``h3.cell_to_parent``)."""
    cells = np.asarray(cells, dtype=np.uint64)
    unused_digits = np.uint64((1 << ((15 - resolution) * 3)) - 1)
    parent = (cells & ~_RES_MASK) | (np.uint64(resolution) << _RES_SHIFT) | unused_digits
    return np.where(cells == 0, np.uint64(0), parent)


def cells_to_str(cells: np.ndarray) -> np.ndarray:
    """Hex strings of H3 cells, as h3-py v4 writes them."""
    return np.array([format(int(c), "x") for c in np.asarray(cells, dtype=np.uint64)], dtype=object)


__all__ = [
    "FAST_JOIN_MIN_POINTS",
    "cell_to_parent",
    "cells_to_str",
    "h3_cells",
    "locate_keluarga",
    "locate_points",
    "location_frame",
    "utm_epsg",
]
