"""RFC 7946 GeoJSON: the one writer for every GeoJSON the project hands out.

Files (``desa.geojson``, ``h3.geojson``, ``pockets.geojson``, ...), API responses and the OGC
API items all go through :func:`feature_collection`, so they share the same rules
(RFC 7946):

- coordinates in WGS 84 longitude/latitude, no ``crs`` member;
- polygons follow the right-hand rule: exterior rings counter-clockwise, holes clockwise
  (``shapely.orient_polygons``), applied *after* rounding, which may flip a ring;
- one geometry type per layer: areas are always ``MultiPolygon``, lines
  ``MultiLineString``; points stay ``Point`` unless the layer mixes them with
  ``MultiPoint``. QGIS processing then writes a conformant GeoPackage from the file;
- empty geometries are ``null``; missing values are ``null`` (never ``NaN``);
- an optional feature ``id`` (a stable key such as ``kode_desa`` or the H3 index).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo_service.analysis._util import jsonable
from geo_service.analysis.boundaries import set_precision_repaired

GEOJSON_MEDIA = "application/geo+json"
_AREAS = frozenset({"Polygon", "MultiPolygon"})
_LINES = frozenset({"LineString", "LinearRing", "MultiLineString"})
_POINTS = frozenset({"Point", "MultiPoint"})


plain = jsonable  # the one converter (analysis._util)


def layer_type(geoms: Iterable[Any]) -> str | None:
    """The one GeoJSON geometry type of a layer of ``geoms`` (``None`` when all are empty).

    Raises
    ------
    ValueError
        When the layer mixes areas, lines and points (no single type can hold them).
    """
    kinds = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    if kinds == {"GeometryCollection"} or not kinds:
        return "MultiPolygon" if kinds else None
    families = [
        name
        for name, members in (("area", _AREAS), ("line", _LINES), ("point", _POINTS))
        if kinds & members
    ]
    if len(families) > 1 or kinds - _AREAS - _LINES - _POINTS - {"GeometryCollection"}:
        raise ValueError(f"Satu lapisan GeoJSON berisi jenis geometri campuran: {sorted(kinds)}")
    if families == ["area"] or "GeometryCollection" in kinds:
        return "MultiPolygon"
    if families == ["line"]:
        return "MultiLineString"
    return "Point" if kinds == {"Point"} else "MultiPoint"


def _as(kind: str, g: Any) -> Any:
    if g is None or g.is_empty:
        return None
    if kind == "MultiPolygon":
        if g.geom_type == "MultiPolygon":
            return g
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        polys = [q for p in parts for q in shapely.get_parts(p)]
        return shapely.MultiPolygon(polys) if polys else None
    if kind == "MultiLineString":
        if g.geom_type == "MultiLineString":
            return g
        return shapely.MultiLineString([shapely.LineString(g.coords)])
    if kind == "MultiPoint" and g.geom_type == "Point":
        return shapely.MultiPoint([g])
    return g


def _as_multipolygons(arr: np.ndarray) -> np.ndarray:
    """Every geometry of an area layer as a MultiPolygon of its polygons (in order; the
    polygons inside collections too), None when it has none: :func:`_as` for a whole array."""
    out = np.full(len(arr), None, dtype=object)
    if len(arr) == 0:
        return out
    parts, owner = shapely.get_parts(arr, return_index=True)
    parts2, idx2 = shapely.get_parts(parts, return_index=True)  # collections' members
    owner = owner[idx2]
    polys = (shapely.get_type_id(parts2) == 3) & ~shapely.is_empty(parts2)
    parts2, owner = parts2[polys], owner[polys]
    if len(parts2) == 0:
        return out
    present, dense = np.unique(owner, return_inverse=True)
    out[present] = np.asarray(shapely.multipolygons(parts2, indices=dense), dtype=object)
    # A MultiPolygon stays the very same object (as :func:`_as` leaves it).
    same = (shapely.get_type_id(arr) == 6) & ~shapely.is_empty(arr)
    out[same] = arr[same]
    return out


def rfc7946_geometries(
    geoms: Any, *, precision: int | None = 6, simplify_deg: float | None = None
) -> tuple[np.ndarray, str | None]:
    """Geometries (EPSG:4326) made RFC 7946-ready: simplified, rounded, one type, right-hand
    rule. Returns the geometries and the layer's type."""
    arr = np.asarray(geoms, dtype=object)
    if simplify_deg:
        arr = shapely.simplify(arr, simplify_deg, preserve_topology=True)
    if precision is not None:
        # never raises on an unrepaired desa (repaired then; the same result otherwise)
        arr = set_precision_repaired(arr, 10.0**-precision)
    kind = layer_type(arr)
    if kind == "MultiPolygon":
        out = _as_multipolygons(arr)
    else:
        out = np.array([_as(kind, g) for g in arr] if kind else [None] * len(arr), dtype=object)
    if kind == "MultiPolygon":
        mask = np.array([g is not None for g in out], dtype=bool)
        if mask.any():
            out[mask] = shapely.orient_polygons(out[mask], exterior_cw=False)
    return out, kind


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``gdf`` in EPSG:4326 (unchanged when it already is or has no CRS)."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        return gdf.to_crs(4326)
    return gdf


def _prepared(
    gdf: pd.DataFrame, precision: int | None, simplify_deg: float | None
) -> tuple[np.ndarray, pd.DataFrame]:
    """The RFC 7946 geometries of a (Geo)DataFrame (``None`` for a plain frame) and its
    other columns."""
    if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns:
        gdf = to_wgs84(gdf)
        geoms, _ = rfc7946_geometries(
            gdf.geometry.to_numpy(), precision=precision, simplify_deg=simplify_deg
        )
        props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    else:
        geoms = np.array([None] * len(gdf), dtype=object)
        props = pd.DataFrame(gdf).drop(columns="geometry", errors="ignore")
    return geoms, props


def features(
    gdf: pd.DataFrame,
    *,
    precision: int | None = 6,
    simplify_deg: float | None = None,
    id_column: str | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts of a (Geo)DataFrame; a plain frame gives ``null`` geometries."""
    geoms, props = _prepared(gdf, precision, simplify_deg)
    geometry = _geometry_dicts(geoms)
    cols = [str(c) for c in props.columns]
    values = [_plain_column(props.iloc[:, j]) for j in range(len(cols))]
    out = []
    for i, geom in enumerate(geometry):
        p = {c: v[i] for c, v in zip(cols, values, strict=True)}
        feat: dict[str, Any] = {"type": "Feature"}
        if id_column is not None and p.get(id_column) is not None:
            feat["id"] = p[id_column]
        feat["geometry"] = geom
        feat["properties"] = p
        out.append(feat)
    return out


def _plain_column(col: pd.Series) -> list[Any]:
    """:func:`plain` of every value of a column; numpy numbers and booleans in one step."""
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "O"
    if kind in "iub":
        return col.tolist()
    if kind == "f":
        arr = col.to_numpy()
        return [v if ok else None for v, ok in zip(arr.tolist(), np.isfinite(arr), strict=True)]
    return [plain(v) for v in col.tolist()]


def _geometry_dicts(geoms: np.ndarray) -> list[dict[str, Any] | None]:
    """GeoJSON geometry objects; MultiPolygons built from their coordinate arrays in one
    pass (the same numbers as ``json.loads(shapely.to_geojson(g))``, without the text)."""
    arr = np.asarray(geoms, dtype=object)
    out: list[dict[str, Any] | None] = [None] * len(arr)
    multi = np.flatnonzero(shapely.get_type_id(arr) == 6)
    is_multi = np.zeros(len(arr), dtype=bool)
    is_multi[multi] = True
    other = [i for i in range(len(arr)) if arr[i] is not None and not is_multi[i]]
    for i in other:
        out[i] = json.loads(shapely.to_geojson(arr[i]))
    if len(multi) == 0:
        return out
    polys, poly_owner = shapely.get_parts(arr[multi], return_index=True)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_sizes = np.bincount(coord_ring, minlength=len(rings))
    ring_lists: list[list[list[float]]] = []
    flat = coords.tolist()
    start = 0
    for n in ring_sizes.tolist():
        ring_lists.append(flat[start : start + n])
        start += n
    poly_lists: list[list[list[list[float]]]] = [[] for _ in range(len(polys))]
    for r, p in enumerate(ring_poly.tolist()):
        poly_lists[p].append(ring_lists[r])
    coords_of: list[list[Any]] = [[] for _ in range(len(multi))]
    for p, owner in enumerate(poly_owner.tolist()):
        coords_of[owner].append(poly_lists[p])
    for k, i in enumerate(multi.tolist()):
        out[i] = {"type": "MultiPolygon", "coordinates": coords_of[k]}
    return out


def feature_collection(
    gdf: pd.DataFrame,
    *,
    precision: int | None = 6,
    simplify_deg: float | None = None,
    id_column: str | None = None,
    **members: Any,
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection; ``members`` are added at the top (links, counts, ...)."""
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    fc.update(members)
    fc["features"] = features(
        gdf, precision=precision, simplify_deg=simplify_deg, id_column=id_column
    )
    return fc


def dumps(obj: dict[str, Any]) -> str:
    """Compact UTF-8 JSON text (no NaN: RFC 8259)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_encode_str = json.encoder.encode_basestring  # (ensure_ascii=False) what _ENCODER writes for a str


def feature_collection_text(
    gdf: pd.DataFrame,
    *,
    precision: int | None = 6,
    simplify_deg: float | None = None,
    id_column: str | None = None,
    **members: Any,
) -> str:
    """``dumps(feature_collection(...))``, the same text, put together from the text of
    each column and of each geometry's coordinates (no Feature dicts, no coordinate lists:
    strings only, which the garbage collector does not track)."""
    head = _ENCODER.encode({"type": "FeatureCollection", **members, "features": None})
    geoms, props = _prepared(gdf, precision, simplify_deg)
    cols = [str(c) for c in props.columns]
    if not head.endswith('"features":null}') or len(set(cols)) < len(cols):
        # A member called "features", or columns of one name: the dicts say what wins.
        return dumps(
            feature_collection(
                gdf, precision=precision, simplify_deg=simplify_deg, id_column=id_column, **members
            )
        )
    values = [_json_column(props.iloc[:, j]) for j in range(len(cols))]
    pairs = [[_encode_str(c) + ":" + v for v in vs] for c, vs in zip(cols, values, strict=True)]
    ids = values[cols.index(id_column)] if id_column in cols else ["null"] * len(geoms)
    rows = zip(*pairs, strict=True) if pairs else iter([()] * len(geoms))
    feats = [
        '{"type":"Feature",'
        + ("" if key == "null" else '"id":' + key + ",")
        + '"geometry":'
        + geom
        + ',"properties":{'
        + ",".join(row)
        + "}}"
        for geom, key, row in zip(_geometry_texts(geoms), ids, rows, strict=True)
    ]
    return head[: -len("null}")] + "[" + ",".join(feats) + "]}"


def _json_column(col: pd.Series) -> list[str]:
    """The JSON text of every value of a column, as :func:`dumps` writes it in a feature's
    properties (:func:`_plain_column` values: missing and non-finite values ``null``)."""
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "O"
    if kind in "iu":
        return list(map(int.__repr__, col.tolist()))
    if kind == "b":
        return ["true" if v else "false" for v in col.tolist()]
    if kind == "f":
        arr = col.to_numpy()
        text = list(map(float.__repr__, arr.tolist()))
        for i in np.flatnonzero(~np.isfinite(arr)).tolist():
            text[i] = "null"
        return text
    return [_json_value(v) for v in _plain_column(col)]


def _json_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _ENCODER.encode(value)


def _float_texts(values: np.ndarray) -> pa.Array:
    """``repr`` of each (finite) float, as the JSON encoder writes it, in one Arrow cast:
    Arrow's shortest round-trip digits are Python's; the cast writes integral values
    without ``.0`` and switches to exponents at other magnitudes than Python, so those
    values get ``.0`` or are written by ``repr``."""
    text = pc.cast(pa.array(values, pa.float64()), pa.string())
    whole = pc.invert(pc.match_substring(text, "."))
    if pc.any(whole).as_py():
        text = pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)
    size = np.abs(values)
    odd = ((size < 1e-4) & (size > 0)) | (size >= 1e15)
    odd |= pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    if odd.any():
        fixed = text.to_numpy(zero_copy_only=False).astype(object)
        fixed[odd] = [float.__repr__(v) for v in values[odd].tolist()]
        text = pa.array(fixed, pa.string())
    return text


def _geometry_texts(geoms: np.ndarray) -> list[str]:
    """The JSON text of each geometry (``null`` for None) as :func:`dumps` writes
    :func:`_geometry_dicts`; MultiPolygons from their coordinate arrays, ring by ring."""
    arr = np.asarray(geoms, dtype=object)
    out = ["null"] * len(arr)
    is_multi = shapely.get_type_id(arr) == 6
    for i in np.flatnonzero(~is_multi & ~shapely.is_missing(arr)).tolist():
        out[i] = _ENCODER.encode(json.loads(shapely.to_geojson(arr[i])))
    multi = np.flatnonzero(is_multi)
    if len(multi) == 0:
        return out
    polys, poly_owner = shapely.get_parts(arr[multi], return_index=True)
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if not np.isfinite(coords).all():  # refused as dumps refuses it
        return [_ENCODER.encode(g) for g in _geometry_dicts(arr)]
    text = _float_texts(coords.ravel())
    xy = pc.binary_join_element_wise(text[0::2], text[1::2], ",")
    # Pairs into rings, rings into polygons, polygons into geometries (all in order).
    for members, n, sep, ends in (
        (coord_ring, len(rings), "],[", ("[[", "]]")),
        (ring_poly, len(polys), ",", ("[", "]")),
        (poly_owner, len(multi), ",", ("[", "]")),
    ):
        offsets = np.concatenate([[0], np.cumsum(np.bincount(members, minlength=n))])
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int64()), xy), sep)
        xy = pc.binary_join_element_wise(ends[0], joined, ends[1], "")
    text = xy.to_pylist()
    for k, i in enumerate(multi.tolist()):
        out[i] = '{"type":"MultiPolygon","coordinates":' + text[k] + "}"
    return out


def write_geojson(
    gdf: pd.DataFrame, path: Path, *, precision: int = 6, id_column: str | None = None
) -> Path:
    """Write ``gdf`` as an RFC 7946 GeoJSON file (see the module notes)."""
    path = Path(path)
    path.write_text(
        feature_collection_text(gdf, precision=precision, id_column=id_column), encoding="utf-8"
    )
    return path
