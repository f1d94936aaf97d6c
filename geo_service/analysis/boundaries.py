"""Checks and repairs of desa boundaries (pure: frames in, frames out)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo_service.analysis import schema as S


@dataclass(frozen=True)
class BoundaryCheck:
    """What :func:`check_boundaries` found and changed."""

    desa: gpd.GeoDataFrame
    repaired: list[str]
    problems: list[str]


def check_boundaries(desa: gpd.GeoDataFrame) -> BoundaryCheck:
    """Normalise a desa layer: EPSG:4326 polygons, valid, codes well formed and unique.

    Invalid rings are repaired with ``make_valid`` (polygon parts kept); the names of the
    repaired desa are returned so the caller can warn. ``problems`` lists what makes the
    layer unusable (missing CRS, swapped axes, bad or duplicate codes, empty geometry).
    """
    problems: list[str] = []
    if desa.crs is None:
        return BoundaryCheck(desa, [], ["Berkas batas wilayah tidak punya CRS (sistem koordinat)."])
    desa = desa.to_crs(4326) if desa.crs.to_epsg() != 4326 else desa.copy()
    if "kode" not in desa.columns:
        return BoundaryCheck(desa, [], ["Kolom 'kode' (kode Kemendagri) tidak ada."])
    desa["kode"] = desa["kode"].astype(str).str.strip()
    if "nama" not in desa.columns:
        desa["nama"] = desa["kode"]
    if "kode_kec" not in desa.columns:
        desa["kode_kec"] = desa["kode"].str[:8]
    if "kode_kab" not in desa.columns:
        desa["kode_kab"] = desa["kode"].str[:5]
    for col, src in [("nama_kec", "kode_kec"), ("nama_kab", "kode_kab")]:
        if col not in desa.columns:
            desa[col] = desa[src]

    minx, miny, maxx, maxy = desa.total_bounds
    lat_like_x = S.LAT_RANGE[0] <= minx <= S.LAT_RANGE[1]
    if lat_like_x and S.LON_RANGE[0] <= miny and maxy <= S.LON_RANGE[1]:
        problems.append("Koordinat batas wilayah tampaknya tertukar (lintang/bujur).")
    bad_code = ~desa["kode"].str.match(S.KODE_DESA_PATTERN)
    if bad_code.any():
        problems.append(f"Kode desa salah format: {', '.join(desa.loc[bad_code, 'kode'][:10])}")
    dup = desa["kode"].duplicated(keep=False)
    if dup.any():
        problems.append(f"Kode desa ganda: {', '.join(sorted(set(desa.loc[dup, 'kode']))[:10])}")
    empty = desa.geometry.is_empty | desa.geometry.isna()
    if empty.any():
        problems.append(f"Desa tanpa geometri: {', '.join(desa.loc[empty, 'kode'][:10])}")
        desa = desa.loc[~empty]

    invalid = ~desa.geometry.is_valid
    repaired: list[str] = []
    broken: list[str] = []
    if invalid.any():
        fixed = []
        for k, n, geom in zip(
            desa.loc[invalid, "kode"],
            desa.loc[invalid, "nama"],
            desa.geometry[invalid].to_numpy(),
            strict=True,
        ):
            good = repair_polygon(geom)
            fixed.append(good)
            (repaired if good is not None else broken).append(f"{k} {n}")
        fixed_arr = np.empty(len(fixed), dtype=object)
        fixed_arr[:] = [g if g is not None else shapely.Polygon() for g in fixed]
        desa.loc[invalid, "geometry"] = fixed_arr
    if broken:
        problems.append("Geometri desa rusak dan tidak dapat diperbaiki: " + ", ".join(broken[:10]))
    return BoundaryCheck(desa.reset_index(drop=True), repaired, problems)


def repair_polygon(geom):
    """A valid (multi)polygon for an invalid one, or ``None`` when nothing can be saved.

    ``make_valid`` first (the linework method keeps every ring); GEOS refuses some inputs
    (e.g. "Overlay input is mixed-dimension" on a collapsed 4-point ring, as in Ampenan
    Selatan, Kota Mataram), so then the structure method, then ``buffer(0)``, each after
    dropping the polygon parts without area. Only polygon parts are kept.
    """
    parts = _without_collapsed_parts(geom)
    for attempt in (
        lambda g: shapely.make_valid(g),
        lambda g: shapely.make_valid(g, method="structure", keep_collapsed=False),
        lambda g: shapely.buffer(g, 0),
    ):
        for candidate in (geom, parts):
            if candidate is None:
                continue
            try:
                fixed = _polygonal(attempt(candidate))
            except shapely.errors.GEOSException:
                continue
            if not fixed.is_empty and fixed.is_valid:
                return fixed
    return None


def repaired_where_invalid(geoms) -> np.ndarray:
    """``geoms`` with every invalid (multi)polygon replaced by :func:`repair_polygon`'s
    result (an empty polygon when nothing can be saved); the others stay the same objects.

    For code that may be handed desa that never went through :func:`check_boundaries`:
    GEOS refuses some invalid rings outright (``set_precision`` and ``union_all`` raise
    "unable to assign free hole to a shell" on Pulau Lalang, Kabupaten Lingga, of the
    national layer)."""
    arr = np.array(geoms, dtype=object)
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6))
    for i in np.flatnonzero(polygonal & ~shapely.is_valid(arr)):
        fixed = repair_polygon(arr[i])
        arr[i] = fixed if fixed is not None else shapely.Polygon()
    return arr


def set_precision_repaired(geoms, grid_size: float) -> np.ndarray:
    """``shapely.set_precision(geoms, grid_size)`` that never raises on a bad geometry.

    The same result for every geometry GEOS accepts; when GEOS refuses one (an unrepaired
    invalid polygon), the invalid ones are repaired first (:func:`repaired_where_invalid`),
    and one it still refuses is only rounded to the grid (``mode="pointwise"``)."""
    arr = np.asarray(geoms, dtype=object)
    try:
        return shapely.set_precision(arr, grid_size)
    except shapely.errors.GEOSException:
        arr = repaired_where_invalid(arr)
    try:
        return shapely.set_precision(arr, grid_size)
    except shapely.errors.GEOSException:
        out = np.empty(len(arr), dtype=object)
        for i, g in enumerate(arr):
            try:
                out[i] = shapely.set_precision(g, grid_size)
            except shapely.errors.GEOSException:
                out[i] = shapely.set_precision(g, grid_size, mode="pointwise")
        return out


def union_repaired(geoms):
    """``shapely.union_all(geoms)``; when GEOS refuses an unrepaired invalid polygon, the
    union of the repaired geometries (:func:`repaired_where_invalid`)."""
    arr = np.asarray(geoms, dtype=object)
    try:
        return shapely.union_all(arr)
    except shapely.errors.GEOSException:
        return shapely.union_all(repaired_where_invalid(arr))


def _without_collapsed_parts(geom):
    """The polygon parts of ``geom`` with an area (collapsed rings removed), or None."""
    if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    polys = [p for p in getattr(geom, "geoms", [geom]) if p.area > 0]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _polygonal(geom):
    """Keep only the polygon parts of a geometry (make_valid may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
