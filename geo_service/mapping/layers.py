"""Planning layers for an existing folium map: H3 hot/cold cells, pocket outlines, priority desa.

Vector layers and CircleMarkers only (no image icons, no external assets), so the page stays
offline like :func:`~geo_service.mapping.folium_map.offline_map`. Each function adds one
``FeatureGroup`` (named for the layer control) and keeps an existing ``LayerControl`` last,
so the control lists layers added after it.
"""

from __future__ import annotations

import html
import json

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from geo_service.i18n import fmt_number, fmt_p, fmt_percent, pick
from geo_service.mapping.escape import escape_text
from geo_service.mapping.folium_map import NO_DATA, PALETTE, _figure, class_breaks
from geo_service.mapping.geometry import feature_collection
from geo_service.mapping.page import DataGeoJson

HOT = "#b2182b"
COLD = "#2166ac"
NEUTRAL = "#f0f0f0"
POCKET = "#000000"
STATUS_COLOUR = {
    "teratas_kokoh": "#3f007d",
    "teratas_belum_pasti": "#807dba",
    "mungkin_teratas": "#bcbddc",
}

TEXT = {
    "id": {
        "layer_h3_gi": "Sel H3: titik panas / dingin (Gi*)",
        "layer_h3_rate": "Sel H3: % jiwa miskin ekstrem (disesuaikan)",
        "layer_pockets": "Kantong kemiskinan",
        "layer_cold": "Titik dingin (kemiskinan rendah)",
        "layer_priority": "Desa prioritas",
        "sel": "Sel H3",
        "keluarga": "Keluarga",
        "jiwa_ekstrem": "Jiwa miskin ekstrem",
        "pct": "% jiwa ekstrem",
        "pct_eb": "% disesuaikan (EB)",
        "z": "Gi* z",
        "q": "q (FDR)",
        "kelas": "Kelas",
        "kantong": "Kantong",
        "nomor": "No.",
        "luas": "Luas (km²)",
        "desa": "Desa",
        "kecamatan": "Kecamatan",
        "rasio": "x angka kabupaten",
        "rr": "Risiko relatif (dalam / luar)",
        "harapan": "Jiwa miskin ekstrem: teramati / harapan",
        "p": "Nilai p (statistik pindai)",
        "stabil": "Stabilitas (bootstrap)",
        "radius": "Radius (m)",
        "peringkat": "Peringkat",
        "rentang": "Rentang peringkat",
        "status": "Status",
        "alasan": "Alasan",
        "kelas_label": {
            "panas": "titik panas (signifikan)",
            "dingin": "titik dingin (signifikan)",
            "tidak_signifikan": "tidak signifikan",
            "tanpa_tetangga": "tidak diuji (tanpa tetangga)",
        },
        "legend": "Lapisan perencanaan",
        "leg_pocket": "Kantong kemiskinan (garis hitam)",
        "leg_hot": "Sel H3 titik panas",
        "leg_cold": "Sel H3 titik dingin",
        "leg_sure": "Desa prioritas (pasti teratas)",
        "leg_maybe": "Desa prioritas (bisa karena kebetulan)",
    },
    "en": {
        "layer_h3_gi": "H3 cells: hot / cold spots (Gi*)",
        "layer_h3_rate": "H3 cells: % persons in extreme poverty (adjusted)",
        "layer_pockets": "Poverty pockets",
        "layer_cold": "Cold spots (low poverty)",
        "layer_priority": "Priority villages",
        "sel": "H3 cell",
        "keluarga": "Families",
        "jiwa_ekstrem": "Persons in extreme poverty",
        "pct": "% persons extreme",
        "pct_eb": "% adjusted (EB)",
        "z": "Gi* z",
        "q": "q (FDR)",
        "kelas": "Class",
        "kantong": "Pocket",
        "nomor": "No.",
        "luas": "Area (km²)",
        "desa": "Villages",
        "kecamatan": "Districts",
        "rasio": "x kabupaten rate",
        "rr": "Relative risk (inside / outside)",
        "harapan": "Extreme-poor persons: observed / expected",
        "p": "p-value (scan statistic)",
        "stabil": "Stability (bootstrap)",
        "radius": "Radius (m)",
        "peringkat": "Rank",
        "rentang": "Rank range",
        "status": "Status",
        "alasan": "Reason",
        "kelas_label": {
            "panas": "hot spot (significant)",
            "dingin": "cold spot (significant)",
            "tidak_signifikan": "not significant",
            "tanpa_tetangga": "not tested (no neighbours)",
        },
        "legend": "Planning layers",
        "leg_pocket": "Poverty pocket (black outline)",
        "leg_hot": "H3 hot-spot cell",
        "leg_cold": "H3 cold-spot cell",
        "leg_sure": "Priority village (robustly top)",
        "leg_maybe": "Priority village (possibly by chance)",
    },
}


class _Script(MacroElement):
    """Plain JavaScript run right after ``group`` exists (``g`` is the group)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(g){ {{- this.js -}} })({{ this.group }});"
        "{% endmacro %}"
    )

    def __init__(self, group: folium.FeatureGroup, js: str) -> None:
        super().__init__()
        self._name = "Script"
        self.group = group.get_name()
        self.js = js


def _js(value) -> str:
    """A value as JavaScript (JSON; ``{`` and ``<`` escaped inside strings: branca reads a
    rendered script as a template once more, and the page is HTML)."""
    text = json.dumps(value, ensure_ascii=True).replace("<", "\\u003c")
    return text.replace("{", "\\u007b") if isinstance(value, str) else text


def _fmt(x, decimals: int = 1) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x):
        return "-"
    return f"{x:,.{decimals}f}"


def _keep_control_last(m: folium.Map) -> None:
    """Move LayerControl children to the end so they see every layer (folium renders in
    insertion order)."""
    for key in [k for k, v in m._children.items() if isinstance(v, folium.LayerControl)]:
        m._children.move_to_end(key)


def _colour(value: float, edges: list[float]) -> str:
    if value is None or not np.isfinite(value):
        return NO_DATA
    i = min(int(np.searchsorted(edges[1:-1], value, side="right")), len(edges) - 2)
    n_classes = len(edges) - 1
    j = i if n_classes >= len(PALETTE) else round(i * (len(PALETTE) - 1) / max(n_classes - 1, 1))
    return PALETTE[min(j, len(PALETTE) - 1)]


def add_h3_layer(
    m: folium.Map,
    h3: gpd.GeoDataFrame,
    *,
    warna: str = "gi",
    lang: str = "id",
    show: bool = True,
) -> folium.FeatureGroup:
    """H3 cells coloured by Gi* class (``warna="gi"``: hot red, cold blue, others faint) or
    by the adjusted rate (``warna="tingkat"``), with a tooltip per cell.

    Parameters
    ----------
    m
        Map to add to.
    h3
        ``PlanningResult.h3`` (counts, ``pct_jiwa_ekstrem_eb``, ``gi_z``, ``gi_q``,
        ``gi_kelas``, ``kantong_id``).
    warna
        ``"gi"`` or ``"tingkat"``.
    show
        Whether the layer is on when the page opens.
    """
    t = pick(TEXT, lang)
    name = t["layer_h3_gi"] if warna == "gi" else t["layer_h3_rate"]
    group = folium.FeatureGroup(name=name, show=show)
    layer = h3[["h3", "n_keluarga", "n_jiwa_ekstrem", "pct_jiwa_ekstrem", "geometry"]].copy()
    kelas = h3.get("gi_kelas", pd.Series(["tidak_signifikan"] * len(h3), index=h3.index))
    if warna == "gi":
        layer["warna"] = [
            HOT if k == "panas" else COLD if k == "dingin" else NEUTRAL for k in kelas
        ]
        layer["opasitas"] = [0.75 if k in ("panas", "dingin") else 0.25 for k in kelas]
    else:
        edges = class_breaks(h3["pct_jiwa_ekstrem_eb"])
        layer["warna"] = [_colour(v, edges) for v in h3["pct_jiwa_ekstrem_eb"]]
        layer["opasitas"] = 0.7
    layer["pct_label"] = [_fmt(v) for v in h3["pct_jiwa_ekstrem"]]
    layer["eb_label"] = [_fmt(v) for v in h3.get("pct_jiwa_ekstrem_eb", layer["pct_jiwa_ekstrem"])]
    layer["z_label"] = [_fmt(v, 2) for v in h3.get("gi_z", pd.Series(np.nan, index=h3.index))]
    layer["q_label"] = [_fmt(v, 3) for v in h3.get("gi_q", pd.Series(np.nan, index=h3.index))]
    layer["kelas_label"] = [t["kelas_label"].get(k, str(k)) for k in kelas]
    layer["kantong"] = [
        k if isinstance(k, str) else "-" for k in h3.get("kantong_id", pd.Series([None] * len(h3)))
    ]
    layer = escape_text(layer.drop(columns="pct_jiwa_ekstrem"))  # tooltips use innerHTML
    DataGeoJson(
        feature_collection(layer, h3.geometry.to_numpy()),
        style_function=lambda f: {
            "fillColor": f["properties"]["warna"],
            "color": "#777",
            "weight": 0.3,
            "fillOpacity": f["properties"]["opasitas"],
        },
        highlight_function=lambda f: {"weight": 2, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=[
                "h3",
                "n_keluarga",
                "n_jiwa_ekstrem",
                "pct_label",
                "eb_label",
                "z_label",
                "q_label",
                "kelas_label",
                "kantong",
            ],
            aliases=[
                t["sel"],
                t["keluarga"],
                t["jiwa_ekstrem"],
                t["pct"],
                t["pct_eb"],
                t["z"],
                t["q"],
                t["kelas"],
                t["kantong"],
            ],
            localize=True,
            sticky=True,
        ),
    ).add_to(group)
    group.add_to(m)
    _keep_control_last(m)
    return group


def add_pocket_layer(
    m: folium.Map,
    pockets: gpd.GeoDataFrame,
    *,
    cold_spots: gpd.GeoDataFrame | None = None,
    lang: str = "id",
) -> list[folium.FeatureGroup]:
    """Pocket outlines (black, visible on the red choropleth) with a tooltip; cold spots
    (blue, off at start) as a separate layer when given. Returns the groups added."""
    t = pick(TEXT, lang)
    groups = []
    specs = [(pockets, "kantong_id", t["layer_pockets"], POCKET, True)]
    if cold_spots is not None:
        specs.append((cold_spots, "dingin_id", t["layer_cold"], COLD, False))
    for frame, id_col, name, colour, show in specs:
        group = folium.FeatureGroup(name=name, show=show)
        if len(frame):
            layer = frame[
                [
                    id_col,
                    "nomor",
                    "luas_km2",
                    "n_keluarga",
                    "n_jiwa_ekstrem",
                    "pct_jiwa_ekstrem",
                    "rasio_kabupaten",
                    "desa",
                    "kecamatan",
                    "geometry",
                ]
            ].copy()
            layer["pct_label"] = [_fmt(v) for v in layer["pct_jiwa_ekstrem"]]
            layer["rasio_label"] = [_fmt(v) for v in layer["rasio_kabupaten"]]
            layer["desa"] = [_shorten(s) for s in layer["desa"]]
            layer = layer.drop(columns=["pct_jiwa_ekstrem", "rasio_kabupaten"])
            geoms = layer.geometry.to_numpy()
            fields = [
                "nomor",
                id_col,
                "luas_km2",
                "n_keluarga",
                "n_jiwa_ekstrem",
                "pct_label",
                "rasio_label",
            ]
            aliases = [
                t["nomor"],
                t["kantong"],
                t["luas"],
                t["keluarga"],
                t["jiwa_ekstrem"],
                t["pct"],
                t["rasio"],
            ]
            if {"risiko_relatif", "p_value", "n_jiwa_ekstrem_harapan"} <= set(frame.columns):
                # Scan pockets: the evidence a planner judges them by, in the page language.
                layer["rr_label"] = [
                    fmt_number(v, lang, 1) + "x" for v in frame["risiko_relatif"].to_numpy()
                ]
                layer["harapan_label"] = [
                    f"{fmt_number(o, lang)} / {fmt_number(e, lang)}"
                    for o, e in zip(
                        frame["n_jiwa_ekstrem"], frame["n_jiwa_ekstrem_harapan"], strict=True
                    )
                ]
                layer["p_label"] = [fmt_p(v, lang) for v in frame["p_value"].to_numpy()]
                stab = frame.get("stabilitas", pd.Series(np.nan, index=frame.index))
                layer["stabil_label"] = [
                    "-" if pd.isna(v) else fmt_percent(100 * v, lang, 0) for v in stab
                ]
                layer["radius_m"] = frame.get("radius_m", np.nan)
                fields += ["rr_label", "harapan_label", "p_label", "stabil_label", "radius_m"]
                aliases += [t["rr"], t["harapan"], t["p"], t["stabil"], t["radius"]]
            fields += ["desa", "kecamatan"]
            aliases += [t["desa"], t["kecamatan"]]
            if colour == POCKET:  # a white halo under the black line, to stand out from
                DataGeoJson(  # the kecamatan outlines and the dark choropleth classes
                    feature_collection(layer[[]], geoms),
                    interactive=False,
                    style_function=lambda f: {"color": "#ffffff", "weight": 7, "fill": False},
                ).add_to(group)
            DataGeoJson(
                feature_collection(escape_text(layer), geoms),  # tooltips use innerHTML
                style_function=lambda f, c=colour: {
                    "color": c,
                    "weight": 3,
                    "fill": True,
                    "fillColor": c,
                    "fillOpacity": 0.08,
                },
                highlight_function=lambda f: {"weight": 5},
                tooltip=folium.GeoJsonTooltip(
                    fields=fields,
                    aliases=aliases,
                    localize=True,
                    sticky=True,
                ),
            ).add_to(group)
        group.add_to(m)
        groups.append(group)
    _keep_control_last(m)
    return groups


def _shorten(text: str, limit: int = 160) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def add_priority_layer(
    m: folium.Map,
    priorities: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    statuses: tuple[str, ...] = ("teratas_kokoh", "teratas_belum_pasti"),
    lang: str = "id",
) -> folium.FeatureGroup:
    """Priority desa as circle markers at a point inside each desa: dark for robust top,
    lighter and dashed for top possibly by chance; a popup with rank, range and reason.

    Parameters
    ----------
    priorities
        ``PlanningResult.priorities``.
    desa
        Desa polygons with ``kode_desa`` (e.g. ``IndicatorResult.desa``).
    statuses
        Which ``status_teratas`` values are drawn.
    """
    t = pick(TEXT, lang)
    group = folium.FeatureGroup(name=t["layer_priority"], show=True)
    rows = priorities[priorities["status_teratas"].isin(statuses)]
    points = desa.set_index("kode_desa").geometry.representative_point()
    lines: list[str] = []
    for r in rows.sort_values("peringkat", ascending=False, kind="stable").itertuples():
        if r.kode_desa not in points.index:
            continue
        p = points.loc[r.kode_desa]
        colour = STATUS_COLOUR.get(r.status_teratas, "#54278f")
        rank = int(r.peringkat)
        lo, hi = r.peringkat_rentang_bawah, r.peringkat_rentang_atas
        rng_text = f"{lo}-{hi}" if pd.notna(lo) else "-"
        popup = (
            f"<b>{html.escape(str(r.nama_desa))}</b> ({html.escape(str(r.nama_kec))})<br>"
            f"{t['peringkat']}: {rank} &nbsp; {t['rentang']}: {rng_text}<br>"
            f"{t['status']}: {html.escape(str(r.status_keterangan))}<br>"
            f"{t['alasan']}: {html.escape(str(r.alasan))}"
        )
        robust = r.status_teratas == "teratas_kokoh"
        options = {
            "radius": float(np.clip(14 - 0.3 * rank, 6, 14)),
            "color": "#000",
            "weight": 1.5 if robust else 1,
            "dashArray": None if robust else "4 3",
            "fill": True,
            "fillColor": colour,
            "fillOpacity": 0.9,
        }
        # One line of plain Leaflet per marker (no folium element, no template each).
        lines.append(
            f"L.circleMarker([{_js(round(float(p.y), 6))},{_js(round(float(p.x), 6))}],"
            f"{_js(options)}).bindTooltip({_js(f'<div>{rank}. ' + html.escape(str(r.nama_desa)) + '</div>')},"
            f'{{"sticky":true}}).bindPopup({_js(popup)},{{"maxWidth":360}}).addTo(g);'
        )
    if lines:
        group.add_child(_Script(group, "".join(lines)))
    group.add_to(m)
    _keep_control_last(m)
    return group


def add_planning_legend(m: folium.Map, *, lang: str = "id") -> None:
    """A small fixed legend (bottom left) for the planning layers' symbols."""
    t = pick(TEXT, lang)
    box = "display:inline-block;width:18px;height:12px;margin-right:6px;vertical-align:middle"
    dot = "display:inline-block;width:12px;height:12px;border-radius:50%;margin:0 9px 0 3px;"
    rows = [
        f"<div><i style='{box};border:3px solid {POCKET}'></i>{html.escape(t['leg_pocket'])}</div>",
        f"<div><i style='{box};background:{HOT}'></i>{html.escape(t['leg_hot'])}</div>",
        f"<div><i style='{box};background:{COLD}'></i>{html.escape(t['leg_cold'])}</div>",
        f"<div><i style='{dot}background:{STATUS_COLOUR['teratas_kokoh']};border:1px solid "
        f"#000'></i>{html.escape(t['leg_sure'])}</div>",
        f"<div><i style='{dot}background:{STATUS_COLOUR['teratas_belum_pasti']};border:1px "
        f"dashed #000'></i>{html.escape(t['leg_maybe'])}</div>",
    ]
    legend = (
        "<div class='gs-box' id='gs-legend-planning' style='position:fixed;bottom:60px;"
        "left:10px;z-index:1000;font-size:13px'>"
        f"<b>{html.escape(t['legend'])}</b>" + "".join(rows) + "</div>"
    )
    _figure(m).html.add_child(Element(legend), name="gs_legend_planning")


def add_planning_layers(
    m: folium.Map, planning, desa: gpd.GeoDataFrame, *, lang: str = "id"
) -> folium.Map:
    """All planning layers of a ``PlanningResult``: H3 Gi* cells, pockets, cold spots,
    priority desa, and their legend. Returns the map."""
    add_h3_layer(m, planning.h3, warna="gi", lang=lang, show=False)
    add_pocket_layer(m, planning.pockets, cold_spots=planning.cold_spots, lang=lang)
    add_priority_layer(m, planning.priorities, desa, lang=lang)
    add_planning_legend(m, lang=lang)
    return m
