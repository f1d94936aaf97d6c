"""Mapbox Vector Tiles (MVT) in the WebMercatorQuad grid, encoded with ``mapbox-vector-tile``
(used on SpatiaLite; PostGIS encodes with ``ST_AsMVT`` itself)."""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely

from geo_service.analysis.boundaries import set_precision_repaired

HALF = 20037508.342789244  # half the Web Mercator world width (m)
EXTENT = 4096
BUFFER = 64  # tile units kept around the tile so strokes join across tile edges
MVT_MEDIA = "application/vnd.mapbox-vector-tile"


def check_tile(z: int, x: int, y: int) -> bool:
    """Whether z/x/y is a tile of WebMercatorQuad (z 0..24)."""
    return 0 <= z <= 24 and 0 <= x < 2**z and 0 <= y < 2**z


def bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF / 2**z
    minx = -HALF + x * size
    maxy = HALF - y * size
    return minx, maxy - size, minx + size, maxy


def bounds_4326(
    z: int, x: int, y: int, *, margin: float = 0.0
) -> tuple[float, float, float, float]:
    """Longitude/latitude bounds of a tile, grown by ``margin`` (a share of the tile)."""
    n = 2**z

    def lon(i: float) -> float:
        return i / n * 360.0 - 180.0

    def lat(j: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * j / n))))

    return (
        lon(x - margin),
        lat(min(y + 1 + margin, n)),
        lon(x + 1 + margin),
        lat(max(y - margin, 0)),
    )


def to_3857(geoms: np.ndarray) -> np.ndarray:
    """Longitude/latitude geometries to Web Mercator metres (spherical formulas)."""

    def fwd(xy: np.ndarray) -> np.ndarray:
        lon = xy[:, 0]
        lat = np.clip(xy[:, 1], -85.05112878, 85.05112878)
        mx = lon * HALF / 180.0
        my = np.log(np.tan((90.0 + lat) * math.pi / 360.0)) * HALF / math.pi
        return np.column_stack([mx, my])

    return shapely.transform(geoms, fwd)


def _value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, list | tuple | np.ndarray):
        return "; ".join(str(i) for i in v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def encode(
    layer_name: str,
    geoms_4326: np.ndarray,
    properties: list[dict[str, Any]],
    ids: list[int],
    z: int,
    x: int,
    y: int,
) -> bytes:
    """One MVT layer of the features that touch tile z/x/y (clipped with a small buffer)."""
    minx, miny, maxx, maxy = bounds_3857(z, x, y)
    pad = (maxx - minx) * BUFFER / EXTENT
    present = np.array([g is not None and not g.is_empty for g in geoms_4326], dtype=bool)
    feats = []
    if present.any():
        merc = to_3857(np.asarray(geoms_4326, dtype=object)[present])
        clipped = shapely.clip_by_rect(merc, minx - pad, miny - pad, maxx + pad, maxy + pad)
        # Tile units (0..EXTENT, y up), snapped to the integer grid as ST_AsMVTGeom does:
        # vectorised here so the pure-Python encoder gets few, final coordinates.
        sx, sy = EXTENT / (maxx - minx), EXTENT / (maxy - miny)
        local = shapely.transform(clipped, lambda xy: (xy - (minx, miny)) * (sx, sy))
        local = set_precision_repaired(local, 1.0)  # never raises on an unrepaired desa
        # MVT wants exterior rings clockwise in y-up coordinates (positive area once the
        # encoder flips y); oriented here, vectorised, instead of the encoder's per-ring check.
        clipped = shapely.orient_polygons(local, exterior_cw=True)
        idx = np.flatnonzero(present)
        for i, g in zip(idx, clipped, strict=True):
            if g is None or g.is_empty:
                continue
            if g.geom_type == "GeometryCollection":
                parts = [p for p in shapely.get_parts(g) if p.geom_type.endswith("Polygon")]
                if not parts:
                    continue
                g = shapely.union_all(parts)
            props = {k: _value(v) for k, v in properties[i].items()}
            feats.append(
                {
                    "geometry": g,
                    "properties": {k: v for k, v in props.items() if v is not None},
                    "id": int(ids[i]),
                }
            )
    return mapbox_vector_tile.encode(
        [{"name": layer_name, "features": feats}],
        default_options={
            "extents": EXTENT,
            "y_coord_down": False,
            "check_winding_order": False,
        },
    )
