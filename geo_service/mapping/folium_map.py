"""Folium maps that work with no network: Leaflet is inlined from the bundled copy."""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from importlib import resources

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from geo_service.analysis.boundaries import union_repaired
from geo_service.i18n import fmt_int, fmt_number, fmt_percent, pick
from geo_service.mapping.escape import escape_text
from geo_service.mapping.geometry import (
    COARSE_DECIMALS,
    COARSE_M,
    add_zoom_detail,
    coarse_coverage,
    feature_collection,
)
from geo_service.mapping.page import DataGeoJson, attach_page

# Colour-blind safe, prints in grey scale in the right order (ColorBrewer YlOrRd 5).
PALETTE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
NO_DATA = "#d9d9d9"

TEXT = {
    "id": {
        "title": "Persentase penduduk miskin ekstrem (desil 1) per desa",
        "legend": "% jiwa miskin ekstrem",
        "no_data": "tidak ada keluarga",
        "desa": "Desa/Kelurahan",
        "kecamatan": "Kecamatan",
        "keluarga": "Keluarga",
        "jiwa_ekstrem": "Jiwa miskin ekstrem",
        "pct": "% jiwa ekstrem",
        "layer_desa": "Desa: % jiwa miskin ekstrem",
        "layer_kec": "Batas kecamatan",
        "source": "Batas wilayah: cahyadsn/wilayah_boundaries (MIT). Data keluarga: {sumber}.",
    },
    "en": {
        "title": "Share of persons in extreme poverty (decile 1) by village",
        "legend": "% persons in extreme poverty",
        "no_data": "no families",
        "desa": "Village",
        "kecamatan": "District",
        "keluarga": "Families",
        "jiwa_ekstrem": "Persons in extreme poverty",
        "pct": "% persons extreme",
        "layer_desa": "Village: % persons in extreme poverty",
        "layer_kec": "District outlines",
        "source": "Boundaries: cahyadsn/wilayah_boundaries (MIT). Family data: {sumber}.",
    },
}

_PRINT_CSS = """
<style>
 .gs-box{background:#fff;padding:8px 12px;border:1px solid #555;border-radius:4px;
   font:15px/1.35 system-ui,Arial,sans-serif;color:#111;box-shadow:0 1px 4px rgba(0,0,0,.3)}
 .gs-title{position:fixed;top:10px;left:60px;z-index:1000;max-width:60%;font-size:18px}
 .gs-title small{display:block;font-size:13px;color:#333}
 .gs-legend{position:fixed;bottom:24px;right:10px;z-index:1000}
 .gs-legend i{display:inline-block;width:22px;height:14px;margin-right:6px;border:1px solid #555;
   vertical-align:middle}
 .leaflet-tooltip{font-size:14px;white-space:normal;max-width:320px;min-width:180px}
 .gs-name{display:none;font:12px/1.1 system-ui,Arial,sans-serif;color:#111;white-space:nowrap;
   text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none}
 .gs-show-names .gs-name{display:block}
 @media print{
   @page{size:A4 landscape;margin:8mm}
   html,body{width:100%;height:100%}
   .leaflet-control-zoom,.leaflet-control-layers{display:none}
   .gs-box{box-shadow:none}
   *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 }
</style>
"""


@lru_cache
def _assets() -> tuple[str, str]:
    static = resources.files("geo_service.mapping") / "static"
    js = (static / "leaflet.js").read_text(encoding="utf-8")
    css = (static / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (static / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode()})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    return js, css


def offline_map(location: tuple[float, float], zoom_start: int = 11, **kwargs) -> folium.Map:
    """A folium Map with Leaflet inlined (no CDN, no tile server)."""
    m = folium.Map(
        location=location,
        zoom_start=zoom_start,
        tiles=None,
        control_scale=False,
        prefer_canvas=False,
        **kwargs,
    )
    attach_page(m)  # the layers' data go into the page once, after rendering
    # A metric scale bar only (Leaflet's default adds miles).
    _script(m, "L.control.scale({imperial:false,metric:true}).addTo({map});")
    m.default_js = []
    m.default_css = []
    js, css = _assets()
    header = _figure(m).header
    header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    header.add_child(Element(_PRINT_CSS), name="geo_service_css")
    return m


def _figure(m: folium.Map) -> Figure:
    """The page (branca Figure) a map is rendered into."""
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def _script(m: folium.Map, js: str) -> None:
    """Run ``js`` after the map exists (``{map}`` stands for the map's variable)."""
    element = MacroElement()
    element._template = Template(
        "{% macro script(this, kwargs) %}{% raw %}"
        + js.replace("{map}", m.get_name())
        + "{% endraw %}{% endmacro %}"
    )
    element.add_to(m)


def class_breaks(values, k: int = 5) -> list[float]:
    """Class edges for skewed rates: quantiles of the positive values, rounded, unique.

    Returns ``k + 1`` or fewer increasing edges starting at 0.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0 or v.max() <= 0:
        return [0.0, 1.0]
    qs = np.quantile(v[v > 0] if (v > 0).any() else v, np.linspace(0, 1, k + 1)[1:-1])
    edges = [0.0, *np.round(qs, 1).tolist(), float(np.ceil(v.max() * 10) / 10)]
    return sorted(set(edges))


def _colour(value: float, edges: list[float]) -> str:
    if value is None or not np.isfinite(value):
        return NO_DATA
    n_classes = len(edges) - 1
    i = min(int(np.searchsorted(edges[1:-1], value, side="right")), n_classes - 1)
    # Fewer classes than colours: spread them over the palette, lightest to darkest.
    j = i if n_classes >= len(PALETTE) else round(i * (len(PALETTE) - 1) / max(n_classes - 1, 1))
    return PALETTE[min(j, len(PALETTE) - 1)]


def choropleth_map(
    desa: gpd.GeoDataFrame,
    *,
    kecamatan: gpd.GeoDataFrame | None = None,
    judul: str | None = None,
    sumber: str = "DTSEN (sintetis)",
    lang: str = "id",
    simplify_m: float = COARSE_M,
) -> folium.Map:
    """Desa choropleth of ``pct_jiwa_ekstrem`` with legend, tooltips and kecamatan outlines.

    Parameters
    ----------
    desa
        Desa indicators (``desa_indicators``) with geometry.
    kecamatan
        Kecamatan polygons for orientation; dissolved from ``desa`` when not given.
    judul
        Title line (e.g. the kabupaten and periode).
    sumber
        Where the family data come from, for the attribution line.
    simplify_m
        Tolerance in metres of the coarse geometry of the first view (coverage-simplified,
        shared edges kept); the exact geometry shows from zoom
        :data:`~geo_service.mapping.geometry.DETAIL_FROM_ZOOM` on.
    """
    t = pick(TEXT, lang)
    exact = desa.geometry.to_numpy()
    coarse = coarse_coverage(exact, simplify_m)
    minx, miny, maxx, maxy = family_bounds(desa, geoms=coarse)
    m = offline_map(((miny + maxy) / 2, (minx + maxx) / 2))
    # Room for the title (top left) and the legend (bottom right): they never cover data.
    m.fit_bounds(
        [[miny, minx], [maxy, maxx]], padding_top_left=(20, 110), padding_bottom_right=(230, 20)
    )
    edges = class_breaks(desa["pct_jiwa_ekstrem"])

    layer = desa[
        ["kode_desa", "nama_desa", "nama_kec", "n_keluarga", "n_jiwa_ekstrem", "pct_jiwa_ekstrem"]
    ].copy()
    layer["warna"] = [_colour(v, edges) for v in layer["pct_jiwa_ekstrem"]]
    layer["pct_label"] = [fmt_percent(v, lang) for v in layer["pct_jiwa_ekstrem"]]
    for col in ("n_keluarga", "n_jiwa_ekstrem"):
        layer[col] = [fmt_int(v, lang) for v in layer[col]]
    layer = escape_text(layer.drop(columns="pct_jiwa_ekstrem"))  # tooltips use innerHTML
    ids = [str(k) for k in desa["kode_desa"]]
    desa_layer = DataGeoJson(
        feature_collection(layer, coarse, decimals=COARSE_DECIMALS, ids=ids),
        name=t["layer_desa"],
        style_function=_desa_style,
        highlight_function=_highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=["nama_desa", "nama_kec", "n_keluarga", "n_jiwa_ekstrem", "pct_label"],
            aliases=[t["desa"], t["kecamatan"], t["keluarga"], t["jiwa_ekstrem"], t["pct"]],
            localize=False,
            sticky=True,
        ),
    )
    desa_layer.add_to(m)
    add_zoom_detail(m, desa_layer, ids, exact)

    kec_ids, kec_exact, kec_coarse = _kecamatan(desa, kecamatan, simplify_m)
    kec_layer = DataGeoJson(
        feature_collection(
            pd.DataFrame(index=range(len(kec_ids))),
            kec_coarse,
            decimals=COARSE_DECIMALS,
            ids=kec_ids,
        ),
        name=t["layer_kec"],
        style_function=_kec_style,
        interactive=False,
    )
    kec_layer.add_to(m)
    add_zoom_detail(m, kec_layer, kec_ids, kec_exact)
    add_desa_names(m, desa)
    folium.LayerControl(collapsed=False).add_to(m)

    rows = []
    for lo, hi, colour in zip(edges[:-1], edges[1:], _legend_colours(edges), strict=True):
        rows.append(
            f"<div><i style='background:{colour}'></i>"
            f"{fmt_number(lo, lang, 1)} – {fmt_number(hi, lang, 1)}</div>"
        )
    rows.append(f"<div><i style='background:{NO_DATA}'></i>{t['no_data']}</div>")
    legend = (
        f"<div class='gs-box gs-legend' id='gs-legend'><b>{html.escape(t['legend'])}</b>"
        + "".join(rows)
        + "</div>"
    )
    title = (
        f"<div class='gs-box gs-title' id='gs-title'><b>{html.escape(judul or t['title'])}"
        f"</b><small>{html.escape(t['title'] if judul else '')}</small>"
        f"<small>{html.escape(t['source'].format(sumber=sumber))}</small></div>"
    )
    _figure(m).html.add_child(Element(title + legend))
    return m


def _desa_style(f: dict) -> dict:
    return {
        "fillColor": f["properties"]["warna"],
        "color": "#444",
        "weight": 0.6,
        "fillOpacity": 0.85,
    }


def _highlight(f: dict) -> dict:
    return {"weight": 2.5, "color": "#000"}


def _kec_style(f: dict) -> dict:
    return {"fill": False, "color": "#000", "weight": 2.2}


def _kecamatan(
    desa: gpd.GeoDataFrame,
    kecamatan: gpd.GeoDataFrame | None,
    simplify_m: float,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Kecamatan ids, exact and coarse outlines. Without kecamatan polygons: the union of
    the desa per kecamatan; the coarse outlines are the exact ones coverage-simplified."""
    if kecamatan is not None:
        exact = kecamatan.geometry.to_numpy()
        ids = [str(i) for i in range(len(exact))]
        return ids, exact, coarse_coverage(exact, simplify_m)
    codes = desa["kode_kec"].astype(str).to_numpy()
    ids = sorted(set(codes))
    exact_all = desa.geometry.to_numpy()
    # union_repaired: an unrepaired desa that GEOS refuses is repaired, never a traceback
    exact = np.array(
        [_without_slivers(union_repaired(exact_all[codes == c])) for c in ids], dtype=object
    )
    return ids, exact, coarse_coverage(exact, simplify_m)


#: Holes and pieces smaller than this (square degrees, about 1 ha) in a kecamatan outline
#: are gaps between desa of the boundary layer, not land: left out of the outline.
SLIVER_DEG2 = 1e-6


def _without_slivers(geom):
    """``geom`` without holes and pieces smaller than :data:`SLIVER_DEG2`."""
    polys = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.area < SLIVER_DEG2:
            continue
        holes = [r for r in part.interiors if shapely.Polygon(r).area >= SLIVER_DEG2]
        polys.append(shapely.Polygon(part.exterior, holes))
    return shapely.MultiPolygon(polys) if len(polys) != 1 else polys[0]


#: From this zoom level on, desa names are shown on the map.
NAMES_FROM_ZOOM = 13


def family_bounds(
    desa: gpd.GeoDataFrame, keep: float = 0.9, *, geoms: np.ndarray | None = None
) -> tuple[float, float, float, float]:
    """The initial view: where the families are. Desa are grouped into land masses (desa
    that touch); the view covers the masses holding most families (at least ``keep`` of
    them, and every mass with 5 % or more), so small far islands such as Karimunjawa in
    Jepara do not zoom the mainland out; they stay on the map, reachable by zooming out.
    Without family counts: the whole layer. ``geoms``: simpler shapes of the same desa to
    find the land masses with (the coarse map geometry)."""
    if "n_keluarga" not in desa.columns or len(desa) < 2:
        return tuple(desa.total_bounds)  # type: ignore[return-value]
    weight = pd.to_numeric(desa["n_keluarga"], errors="coerce").fillna(0).to_numpy(float)
    if weight.sum() <= 0:
        return tuple(desa.total_bounds)  # type: ignore[return-value]
    shapes = desa.geometry.to_numpy() if geoms is None else geoms
    merged = shapely.union_all(shapely.buffer(shapes, 0.0005, quad_segs=2))
    masses = list(getattr(merged, "geoms", [merged]))
    points = shapely.point_on_surface(shapes)
    tree = shapely.STRtree(masses)
    pt_idx, mass_idx = tree.query(points, predicate="within")
    mass_of = np.full(len(desa), -1)
    mass_of[pt_idx] = mass_idx
    totals = np.bincount(mass_of[mass_of >= 0], weights=weight[mass_of >= 0], minlength=len(masses))
    share = totals / weight.sum()
    chosen, covered = set(), 0.0
    for i in np.argsort(-share):
        if covered < keep or share[i] >= 0.05:
            chosen.add(int(i))
            covered += share[i]
    inside = desa[np.isin(mass_of, list(chosen))]
    return tuple(inside.total_bounds if len(inside) else desa.total_bounds)  # type: ignore[return-value]


def add_desa_names(m: folium.Map, desa: gpd.GeoDataFrame) -> None:
    """Desa names as labels, visible from zoom :data:`NAMES_FROM_ZOOM` on: one array of
    ``[lat, lon, name]`` and one loop in the page (not one folium marker per desa)."""
    if "nama_desa" not in desa.columns:
        return
    pts = shapely.get_coordinates(desa.geometry.representative_point().to_numpy())
    rows = [
        [round(float(y), 5), round(float(x), 5), html.escape(str(name))]
        for name, (x, y) in zip(desa["nama_desa"], pts, strict=True)
    ]
    data = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    _script(
        m,
        "(function(){var g=L.layerGroup();" + data.replace("{", "\\u007b") + ".forEach("
        "function(r){L.marker([r[0],r[1]],{interactive:false,keyboard:false,"
        "icon:L.divIcon({className:'gs-name-icon',iconSize:[0,0],iconAnchor:[0,0],"
        'html:"<div class=\'gs-name\'>"+r[2]+"</div>"})}).addTo(g);});g.addTo({map});'
        "function names(){{map}.getContainer().classList.toggle("
        "'gs-show-names',{map}.getZoom()>=" + str(NAMES_FROM_ZOOM) + ");}"
        "{map}.on('zoomend',names);names();})();",
    )


def _legend_colours(edges: list[float]) -> list[str]:
    mids = [(lo + hi) / 2 for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return [_colour(v, edges) for v in mids]
