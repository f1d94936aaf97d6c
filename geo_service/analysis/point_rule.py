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

    Candidates come from the R-tree's boxes; containment is tested with the polygons
    prepared (``shapely.contains_xy``: strictly inside, as ``within``), ties and the
    nearest-polygon step are broken by sorting integer keys (no per-row Python).

    Returns
    -------
    tuple of numpy.ndarray
        Code (object, ``None`` when outside), status (object) and distance in metres
        (NaN when outside) per point.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    n = len(lon)
    kode_out = np.full(n, None, dtype=object)
    status = np.full(n, S.STATUS_DI_LUAR_BATAS, dtype=object)
    jarak = np.full(n, np.nan)
    if n == 0:
        return kode_out, status, jarak
    polygons = np.asarray(polygons, dtype=object)
    codes = np.asarray(codes, dtype=object)
    registered = np.asarray(registered, dtype=object)
    tree = tree if tree is not None else shapely.STRtree(polygons)
    shapely.prepare(polygons)  # in place, once per geometry object (kept for later calls)
    points = shapely.points(lon, lat)
    p, d = tree.query(points)
    inside = shapely.contains_xy(polygons[d], lon[p], lat[p])
    p, d = p[inside], d[inside]
    rank = _code_rank(codes)
    hit, pair, n_hits = _first_per_point(p, d, codes, registered, rank)
    kode_out[hit] = codes[d[pair]]
    status[hit] = np.where(n_hits > 1, S.STATUS_TUMPANG_TINDIH, S.STATUS_DALAM_DESA)
    jarak[hit] = 0.0

    missing = np.ones(n, dtype=bool)
    missing[hit] = False
    rest = np.flatnonzero(missing)
    if len(rest):
        near, near_dist = _nearest(
            points[rest], registered[rest], polygons, codes, rank, max_distance_m, tree
        )
        found = near >= 0
        idx = rest[found]
        kode_out[idx] = codes[near[found]]
        status[idx] = S.STATUS_TERDEKAT
        jarak[idx] = near_dist[found]
    return kode_out, status, jarak


def _code_rank(codes: np.ndarray) -> np.ndarray:
    """Position of each polygon's code in the sorted codes (ties: the lowest code wins)."""
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.argsort(codes.astype(str), kind="stable")] = np.arange(len(codes))
    return rank


def _first_per_point(p, d, codes, registered, rank, *keys):
    """Per point of the pairs ``(p, d)``: the polygon of its registered code if among its
    candidates, else the one with the lowest code (after the sort ``keys``, which come
    first). Returns the points, the position of their chosen pair and how many candidates
    each had."""
    other = codes[d] != registered[p]
    order = np.lexsort((rank[d], other, *keys, p))
    ps = p[order]
    first = np.ones(len(ps), dtype=bool)
    first[1:] = ps[1:] != ps[:-1]
    starts = np.flatnonzero(first)
    n_hits = np.diff(np.append(starts, len(ps)))
    return ps[first], order[first], n_hits


def _nearest(points, registered, polygons, codes, rank, max_distance_m, tree):
    """Nearest polygon (position, -1 when none) within ``max_distance_m`` (metres, per-point
    UTM zone) and its distance."""
    n = len(points)
    out = np.full(n, -1, dtype=np.int64)
    out_dist = np.full(n, np.nan)
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    margin = max_distance_m / _METRES_PER_DEGREE_MIN
    p, d = tree.query(points, predicate="dwithin", distance=margin)
    if len(p) == 0:
        return out, out_dist
    epsg = _utm_epsg_array(lon[p], lat[p])
    dist = np.empty(len(p))
    for code in np.unique(epsg):
        m = epsg == code
        pts = gpd.GeoSeries(points[p[m]], crs=4326).to_crs(int(code)).to_numpy()
        # Each candidate polygon is projected once (pointwise, so the same coordinates).
        used, which = np.unique(d[m], return_inverse=True)
        polys = gpd.GeoSeries(polygons[used], crs=4326).to_crs(int(code)).to_numpy()
        dist[m] = shapely.distance(pts, polys[which])
    ok = dist <= max_distance_m
    p, d, dist = p[ok], d[ok], dist[ok]
    if len(p) == 0:
        return out, out_dist
    # Equal distances (to the centimetre) are ties, broken like overlaps.
    hit, pair, _ = _first_per_point(p, d, codes, registered, rank, np.round(dist * 100.0))
    out[hit] = d[pair]
    out_dist[hit] = dist[pair]
    return out, out_dist
