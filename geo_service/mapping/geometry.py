"""Map geometry per zoom: a coarse, coverage-simplified layer for the first view and the
exact geometry from :data:`DETAIL_FROM_ZOOM` on, in one page.

The desa (and kecamatan) of a kabupaten form a coverage: neighbours share their edges.
``shapely.coverage_simplify`` simplifies such a coverage as a whole, so a shared edge is
simplified once and stays shared (no gaps, no overlaps at any zoom), unlike simplifying
each polygon on its own. The page carries

- the coarse geometry as the GeoJSON of the layer (what the first view draws, tooltips and
  highlighting work on it), rounded to :data:`COARSE_DECIMALS` decimals;
- the exact geometry (rounded to 1e-5 degrees, about a metre) as encoded polylines (the
  compact text form of Google's polyline algorithm, 2-4 bytes per vertex instead of ~20),
  decoded in the browser and swapped into the same shapes when the map is zoomed to
  :data:`DETAIL_FROM_ZOOM` or closer (and back when zoomed out).

Printing prints what is on the screen: the exact geometry at detail zooms. The exact
geometry for identify and GIS work stays in ``desa.geojson`` / ``hasil.gpkg``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

#: Metres per degree at the equator (the tolerance is given in metres).
M_PER_DEG = 111_320.0
#: Coverage-simplification tolerance of the coarse level, metres (about one screen pixel
#: at zoom 11, where a kabupaten page opens).
COARSE_M = 100.0
#: Decimals of the coarse level's coordinates (1e-4 degrees, about 11 m).
COARSE_DECIMALS = 4
#: From this zoom on the page shows the exact geometry.
DETAIL_FROM_ZOOM = 13
#: Decimals of the exact geometry in the page (polyline precision 1e5, about 1 m).
DETAIL_DECIMALS = 5


def coarse_coverage(geoms: Any, tolerance_m: float = COARSE_M) -> np.ndarray:
    """The coverage ``geoms`` simplified as a whole (shared edges stay shared); polygons that
    a tolerance would make empty keep their input shape."""
    arr = np.asarray(geoms, dtype=object)
    if len(arr) == 0 or tolerance_m <= 0:
        return arr
    try:
        out = shapely.coverage_simplify(arr, tolerance_m / M_PER_DEG)
    except shapely.errors.GEOSException:  # not a polygon coverage: each shape on its own
        out = shapely.simplify(arr, tolerance_m / M_PER_DEG, preserve_topology=True)
    empty = shapely.is_empty(out) | shapely.is_missing(out)
    out[empty] = arr[empty]
    return np.asarray(out, dtype=object)


def rounded(geoms: Any, decimals: int) -> np.ndarray:
    """Coordinates rounded to ``decimals`` (the same vertex rounds the same way in every
    shape, so shared edges stay shared)."""
    arr = np.asarray(geoms, dtype=object)
    return np.asarray(shapely.transform(arr, lambda xy: np.round(xy, decimals)), dtype=object)


def geometry_dicts(geoms: Any, decimals: int) -> list[dict[str, Any] | None]:
    """GeoJSON geometry objects of ``geoms`` with coordinates rounded to ``decimals``."""
    arr = rounded(geoms, decimals)
    texts = shapely.to_geojson(arr)
    return [None if t is None else json.loads(t) for t in texts]


def feature_collection(
    frame: pd.DataFrame,
    geoms: Any,
    *,
    decimals: int = DETAIL_DECIMALS,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A FeatureCollection for a folium layer: the columns of ``frame`` (no geometry column,
    values JSON-ready) as properties, ``geoms`` rounded as geometry, ``ids`` as feature ids."""
    props = frame.drop(columns="geometry", errors="ignore")
    cols = [str(c) for c in props.columns]
    feats: list[dict[str, Any]] = []
    rows = props.astype(object).where(props.notna(), None).itertuples(index=False, name=None)
    for i, (row, geom) in enumerate(zip(rows, geometry_dicts(geoms, decimals), strict=True)):
        feat: dict[str, Any] = {"type": "Feature"}
        if ids is not None:
            feat["id"] = str(ids[i])
        feat["geometry"] = geom
        feat["properties"] = {c: _plain(v) for c, v in zip(cols, row, strict=True)}
        feats.append(feat)
    return {"type": "FeatureCollection", "features": feats}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------- encoded polylines


def _encode_values(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Signed integers as polyline characters (zig-zag, 5-bit groups, low group first), and
    the number of characters of each."""
    zig = np.where(values < 0, ~(values << 1), values << 1).astype(np.int64)
    # Up to 7 groups of 5 bits (values below 2**35: any longitude at 1e-7).
    groups = (zig[:, None] >> (5 * np.arange(7))) & 0x1F
    n = 1 + (zig[:, None] >= (1 << (5 * np.arange(1, 7)))[None, :]).sum(axis=1)
    keep = np.arange(7)[None, :] < n[:, None]
    more = np.arange(7)[None, :] < (n - 1)[:, None]
    return ((groups | (more * 0x20)) + 63)[keep].astype(np.uint8).tobytes(), n


def encode_polyline(coords: np.ndarray, decimals: int = DETAIL_DECIMALS) -> str:
    """A ring (``n x 2`` lon/lat) in Google's encoded polyline form (lat first, scaled by
    ``10**decimals``, deltas, zig-zag, 5-bit groups), vectorised."""
    if len(coords) == 0:
        return ""
    return encode_rings(np.asarray(coords, dtype=float), np.array([0]), decimals)[0]


def encode_rings(coords: np.ndarray, starts: np.ndarray, decimals: int) -> list[str]:
    """Many rings at once: ``coords`` (lon/lat) of all rings, ``starts`` the first row of
    each ring; one encoded string per ring."""
    scaled = np.round(coords[:, ::-1] * 10.0**decimals).astype(np.int64)
    delta = np.diff(scaled, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    delta[starts] = scaled[starts]  # every ring starts from (0, 0)
    chars, n = _encode_values(delta.ravel())
    text = chars.decode("ascii")
    # Characters per vertex, then per ring.
    per_vertex = n.reshape(-1, 2).sum(axis=1)
    ends = np.cumsum(per_vertex)
    bounds = np.concatenate([[0], ends[np.r_[starts[1:] - 1, len(coords) - 1]]])
    return [text[bounds[i] : bounds[i + 1]] for i in range(len(starts))]


def encoded_parts(geoms: Any, decimals: int = DETAIL_DECIMALS) -> list[list[list[str]]]:
    """(Multi)polygons as ``[[exterior, hole, ...], ...]`` encoded rings, one list per
    geometry (empty for a missing or empty one)."""
    arr = np.asarray(geoms, dtype=object)
    polys, owner = shapely.get_parts(arr, return_index=True)
    keep = shapely.get_type_id(polys) == 3  # polygons only
    polys, owner = polys[keep], owner[keep]
    rings, ring_poly = shapely.get_rings(polys, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    out: list[list[list[str]]] = [[] for _ in range(len(arr))]
    if len(coords) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, ring_of[1:] != ring_of[:-1]])
    texts = encode_rings(coords, starts, decimals)
    current = -1
    for text, r in zip(texts, ring_of[starts], strict=True):
        p = int(ring_poly[r])
        if p != current:
            out[int(owner[p])].append([])
            current = p
        out[int(owner[p])][-1].append(text)
    return out


class ZoomDetail(MacroElement):
    """Swaps the exact geometry (``detail``: feature id -> encoded rings) into the shapes of a
    GeoJSON layer from ``from_zoom`` on, and the layer's own (coarse) geometry back below."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(){var L0={{ this.layer }},m={{ this.map }},Z={{ this.from_zoom }},"
        "K={{ this.ids }},V={{ this.parts }},D={},P=Math.pow(10,{{ this.decimals }}),cur=false,dec={};"
        "function ring(s){var pts=[],i=0,la=0,lo=0;while(i<s.length){var r=0,sh=0,b;"
        "do{b=s.charCodeAt(i++)-63;r|=(b&31)<<sh;sh+=5;}while(b>=32);"
        "la+=(r&1)?~(r>>1):(r>>1);r=0;sh=0;"
        "do{b=s.charCodeAt(i++)-63;r|=(b&31)<<sh;sh+=5;}while(b>=32);"
        "lo+=(r&1)?~(r>>1):(r>>1);pts.push([la/P,lo/P]);}return pts;}"
        "K.forEach(function(k,i){D[k]=V[i];});"
        "function detail(id){if(!(id in dec)){dec[id]=D[id].map(function(p){"
        "return p.map(ring);});}return dec[id];}"
        "function swap(){var want=m.getZoom()>=Z;if(want===cur)return;cur=want;"
        "L0.eachLayer(function(s){var f=s.feature;if(!f||!(f.id in D)||!s.setLatLngs)return;"
        "if(want){s.setLatLngs(detail(f.id));}else{var g=f.geometry;"
        "s.setLatLngs(L.GeoJSON.coordsToLatLngs(g.coordinates,"
        "g.type==='Polygon'?1:2));}});}"
        "m.on('zoomend',swap);swap();})();"
        "{% endmacro %}"
    )

    def __init__(
        self,
        layer: folium.GeoJson,
        map_: folium.Map,
        detail: dict[str, list[list[str]]],
        *,
        from_zoom: int = DETAIL_FROM_ZOOM,
        decimals: int = DETAIL_DECIMALS,
    ) -> None:
        super().__init__()
        self._name = "ZoomDetail"
        self.layer = layer.get_name()
        self.map = map_.get_name()
        # Arrays only (no braces): branca parses a rendered script as a template again,
        # and an encoded ring may hold "{"; written as \u007b it cannot open a tag.
        self.ids = _js(list(detail))
        self.parts = _js(list(detail.values()))
        self.from_zoom = int(from_zoom)
        self.decimals = int(decimals)


def _js(value: Any) -> str:
    """JSON of lists and strings for a script: ASCII, no ``{`` (see :class:`ZoomDetail`),
    no ``<``."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("{", "\\u007b").replace("<", "\\u003c")


def add_zoom_detail(
    m: folium.Map,
    layer: folium.GeoJson,
    ids: Sequence[str],
    exact: Any,
    *,
    from_zoom: int = DETAIL_FROM_ZOOM,
) -> ZoomDetail:
    """Give ``layer`` (features with ids ``ids``) the exact geometry ``exact`` from
    ``from_zoom`` on (see the module notes). Returns the element added to the map."""
    detail = {str(i): parts for i, parts in zip(ids, encoded_parts(exact), strict=True)}
    element = ZoomDetail(layer, m, detail, from_zoom=from_zoom)
    element.add_to(m)
    return element
