"""The location rule of the household contract, and H3 cells of geotagged families."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S

# Degrees that surely cover ``max_distance_m`` at Indonesian latitudes (|lat| <= 11,
# 1 degree of longitude >= 109 km there); candidates are then measured exactly in UTM.
_METRES_PER_DEGREE_MIN = 100_000.0
# From this many geotagged families on, building an H3 boundary index on the fly pays off
# (about 2 s for a kabupaten at resolution 11); below it the R-tree path is faster.
FAST_JOIN_MIN_POINTS = 500_000


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing ``(lon, lat)``."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32700 if lat < 0 else 32600) + zone


def _utm_epsg_array(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """:func:`utm_epsg` for arrays."""
    zone = np.floor_divide(np.asarray(lon) + 180.0, 6.0).astype(np.int64) % 60 + 1
    return np.where(np.asarray(lat) < 0, 32700, 32600) + zone


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
    from geo_service.analysis.fastjoin import build_boundary_index, locate_with_index

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

    kode_out = np.where(geotag, None, registered).astype(object)
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


def location_frame(kode_out, status, jarak, registered, geotag, index) -> pd.DataFrame:
    """The result frame of :func:`locate_keluarga` from its per-family arrays."""
    kode_series = pd.Series(kode_out, index=index, dtype="string")
    tidak_sesuai = geotag & kode_series.notna().to_numpy() & (kode_out != registered)
    return pd.DataFrame(
        {
            "kode_desa_lokasi": kode_series,
            "status_lokasi": pd.Series(status, index=index, dtype="string"),
            "jarak_m": jarak,
            "lokasi_tidak_sesuai": tidak_sesuai,
        },
        index=index,
    )


def locate_points(lon, lat, registered, polygons, codes, *, max_distance_m=250.0, tree=None):
    """The location rule for geotagged points (steps 1 and 2), one answer per point.

    Returns
    -------
    tuple of numpy.ndarray
        Code (object, ``None`` when outside), status (object) and distance in metres
        (NaN when outside) per point.
    """
    n = len(lon)
    kode_out = np.full(n, None, dtype=object)
    status = np.full(n, S.STATUS_DI_LUAR_BATAS, dtype=object)
    jarak = np.full(n, np.nan)
    if n == 0:
        return kode_out, status, jarak
    tree = tree if tree is not None else shapely.STRtree(polygons)
    points = shapely.points(lon, lat)
    p, d = tree.query(points, predicate="within")
    chosen, n_hits = _pick(p, codes[d], registered)
    hit = chosen.index.to_numpy()
    kode_out[hit] = chosen.to_numpy()
    status[hit] = np.where(n_hits > 1, S.STATUS_TUMPANG_TINDIH, S.STATUS_DALAM_DESA)
    jarak[hit] = 0.0

    rest = np.setdiff1d(np.arange(n), hit, assume_unique=True)
    if len(rest):
        near_kode, near_dist = _nearest(
            lon[rest],
            lat[rest],
            registered[rest],
            polygons,
            codes,
            max_distance_m,
        )
        found = pd.notna(near_kode)
        idx = rest[found]
        kode_out[idx] = near_kode[found]
        status[idx] = S.STATUS_TERDEKAT
        jarak[idx] = near_dist[found]
    return kode_out, status, jarak


def _pick(point_idx: np.ndarray, kode: np.ndarray, registered: np.ndarray):
    """Per point, the registered code if among its candidates, else the lowest code."""
    pairs = pd.DataFrame({"p": point_idx, "kode": kode})
    pairs["other"] = pairs["kode"].to_numpy() != registered[point_idx]
    pairs = pairs.sort_values(["p", "other", "kode"], kind="stable")
    n_hits = pairs.groupby("p", sort=True).size().to_numpy()
    first = pairs.drop_duplicates("p", keep="first").set_index("p")["kode"]
    return first, n_hits


def _nearest(lon, lat, registered, polygons, codes, max_distance_m):
    """Nearest polygon code within ``max_distance_m`` (metres, per-point UTM zone)."""
    n = len(lon)
    out_kode = np.full(n, None, dtype=object)
    out_dist = np.full(n, np.nan)
    tree = shapely.STRtree(polygons)
    points = shapely.points(lon, lat)
    margin = max_distance_m / _METRES_PER_DEGREE_MIN
    p, d = tree.query(points, predicate="dwithin", distance=margin)
    if len(p) == 0:
        return out_kode, out_dist
    epsg = _utm_epsg_array(lon[p], lat[p])
    dist = np.empty(len(p))
    for code in np.unique(epsg):
        m = epsg == code
        pts = gpd.GeoSeries(points[p[m]], crs=4326).to_crs(int(code)).to_numpy()
        # Each candidate polygon is projected once (pointwise, so the same coordinates).
        used, which = np.unique(d[m], return_inverse=True)
        polys = gpd.GeoSeries(polygons[used], crs=4326).to_crs(int(code)).to_numpy()
        dist[m] = shapely.distance(pts, polys[which])
    pairs = pd.DataFrame({"p": p, "kode": codes[d], "dist": dist})
    pairs = pairs[pairs["dist"] <= max_distance_m]
    if pairs.empty:
        return out_kode, out_dist
    pairs["other"] = pairs["kode"].to_numpy() != registered[pairs["p"].to_numpy()]
    # Equal distances (to the centimetre) are ties, broken like overlaps.
    pairs["dist_cm"] = np.round(pairs["dist"].to_numpy() * 100.0)
    pairs = pairs.sort_values(["p", "dist_cm", "other", "kode"], kind="stable")
    best = pairs.drop_duplicates("p", keep="first")
    out_kode[best["p"].to_numpy()] = best["kode"].to_numpy()
    out_dist[best["p"].to_numpy()] = best["dist"].to_numpy()
    return out_kode, out_dist


# --- H3 -------------------------------------------------------------------------------

_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int = 8) -> np.ndarray:
    """H3 v4 cell (uint64) of each point, vectorised; 0 where lat or lon is NaN."""
    if not 0 <= resolution <= 15:
        raise ValueError("H3 resolution must be within 0..15")
    from h3ronpy.vector import coordinates_to_cells

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
