"""The location rule for geotagged points, exactly, with an R-tree (steps 1 and 2).

Shared by the reference path (:func:`~geo_service.analysis.locate.locate_keluarga`) and
the fast join (:mod:`~geo_service.analysis.fastjoin`) for the points its index cannot
answer; it imports neither, so neither imports the other through it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import schema as S

# Degrees that surely cover ``max_distance_m`` at Indonesian latitudes (|lat| <= 11,
# 1 degree of longitude >= 109 km there); candidates are then measured exactly in UTM.
_METRES_PER_DEGREE_MIN = 100_000.0


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 UTM zone containing ``(lon, lat)``."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32700 if lat < 0 else 32600) + zone


def _utm_epsg_array(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """:func:`utm_epsg` for arrays."""
    zone = np.floor_divide(np.asarray(lon) + 180.0, 6.0).astype(np.int64) % 60 + 1
    return np.where(np.asarray(lat) < 0, 32700, 32600) + zone


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
