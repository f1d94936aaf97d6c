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
    bad_code = ~desa["kode"].str.match(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
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
    repaired = [
        f"{k} {n}"
        for k, n in zip(desa.loc[invalid, "kode"], desa.loc[invalid, "nama"], strict=True)
    ]
    if invalid.any():
        fixed = shapely.make_valid(desa.geometry[invalid].to_numpy())
        desa.loc[invalid, "geometry"] = np.array([_polygonal(g) for g in fixed], dtype=object)
    return BoundaryCheck(desa.reset_index(drop=True), repaired, problems)


def _polygonal(geom):
    """Keep only the polygon parts of a geometry (make_valid may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
