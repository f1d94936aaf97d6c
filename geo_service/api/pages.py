"""The map page of a kabupaten, from a run's tables as the caller may see them (the meeting
pack's content: :mod:`geo_service.services.report_data`)."""

from __future__ import annotations

import html
from typing import cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure
from sqlalchemy.orm import Session

from geo_service.db.repo import RunInfo
from geo_service.i18n import pick
from geo_service.io.report import TEXT as REPORT_TEXT
from geo_service.io.report import ReportData, target_paragraphs
from geo_service.mapping import choropleth_map
from geo_service.mapping import layers as L
from geo_service.services import results
from geo_service.services import runs as run_service
from geo_service.services.report_data import float_counts, target_table
from geo_service.services.security import Principal
from geo_service.settings import Settings

TEXT = {
    "id": {
        "pockets": "Kantong kemiskinan ekstrem",
        "priority": "Desa prioritas",
        "rank": "Peringkat",
        "suppressed": "Abu-abu: tidak ada keluarga, atau angka disembunyikan (di bawah {k}) "
        "untuk melindungi data pribadi.",
    },
    "en": {
        "pockets": "Extreme-poverty pockets",
        "priority": "Priority villages",
        "rank": "Rank",
        "suppressed": "Grey: no families, or figures suppressed (below {k}) to protect "
        "personal data.",
    },
}


def map_html(
    session: Session, user: Principal, run: RunInfo, k: int, lang: str, *, settings: Settings
) -> str:
    """The folium page: desa choropleth, kecamatan outlines, H3 Gi* cells (full-data roles),
    pockets (and cold spots), priority desa, progress towards the kabupaten's targets,
    legend, layer control; Leaflet inlined (works offline); print stylesheet included."""
    t = pick(TEXT, lang)
    view = results.indicators_of_run(session, user, run, k).view
    desa = gpd.GeoDataFrame(float_counts(view.desa), geometry="geometry", crs=4326)
    nama_kab = str(desa["nama_kab"].iloc[0]) if "nama_kab" in desa.columns else run.kode_kab
    m = choropleth_map(desa, judul=f"{nama_kab} — periode {run.periode}", lang=lang)
    full = view.suppressed_k is None

    if full and "h3_gi" in run.tabel:
        L.add_h3_layer(
            m, run_service.run_table(session, user, run, "h3_gi"), warna="gi", lang=lang, show=False
        )
    pockets, _ = results.planning_of_run(session, user, run, "kantong", k)
    pocket_cols = {
        "kantong_id",
        "nomor",
        "luas_km2",
        "n_keluarga",
        "n_jiwa_ekstrem",
        "pct_jiwa_ekstrem",
        "rasio_kabupaten",
        "desa",
        "kecamatan",
    }
    if isinstance(pockets, gpd.GeoDataFrame) and full and pocket_cols <= set(pockets.columns):
        cold = (
            run_service.run_table(session, user, run, "titik_dingin")
            if "titik_dingin" in run.tabel
            else None
        )
        L.add_pocket_layer(m, pockets, cold_spots=cold, lang=lang)
    elif isinstance(pockets, gpd.GeoDataFrame) and len(pockets):
        _simple_pockets(m, pockets, t["pockets"])
    pri, _ = results.planning_of_run(session, user, run, "prioritas", k)
    pri_cols = {
        "status_teratas",
        "peringkat",
        "peringkat_rentang_bawah",
        "peringkat_rentang_atas",
        "status_keterangan",
        "alasan",
        "nama_kec",
    }
    if len(pri) and pri_cols <= set(pri.columns):
        L.add_priority_layer(m, pri.assign(alasan=pri["alasan"].fillna("-")), desa, lang=lang)
    elif len(pri) and "kode_desa" in pri.columns:
        _simple_priorities(m, pri, desa, t)
    if full:
        L.add_planning_legend(m, lang=lang)
    if view.suppressed_k:
        note = html.escape(t["suppressed"].format(k=view.suppressed_k))
        cast(Figure, m.get_root()).html.add_child(
            Element(
                "<div class='gs-box' id='gs-suppressed' style='position:fixed;bottom:64px;left:10px;"
                f"z-index:1000;max-width:32%;font-size:13px'>{note}</div>"
            )
        )
    _target_box(m, target_table(session, user, run, k, settings), lang)
    _control_last(m)
    return m.get_root().render()


def _target_box(m, targets: pd.DataFrame | None, lang: str) -> None:
    """Progress towards the targets, one paragraph each (``#gs-target``), under the title."""
    if targets is None or not len(targets):
        return

    data = ReportData(
        nama_kab="", kode_kab="", periode="", desa=None, kabupaten=pd.DataFrame(), targets=targets
    )
    lines = "".join(
        f"<div style='margin-top:4px'>{html.escape(p)}</div>" for p in target_paragraphs(data, lang)
    )
    title = html.escape(pick(REPORT_TEXT, lang)["targets"])
    cast(Figure, m.get_root()).html.add_child(
        Element(
            "<div class='gs-box' id='gs-target' style='position:fixed;top:64px;left:60px;"
            f"z-index:1000;max-width:38%;font-size:12px'><b>{title}</b>{lines}</div>"
            # Sit just under the title box, whatever its height, so neither hides the other.
            "<script>(function(){var t=document.getElementById('gs-title'),"
            "g=document.getElementById('gs-target');function place(){if(t&&g){"
            "g.style.top=(t.getBoundingClientRect().bottom+8)+'px';}}"
            "window.addEventListener('load',place);window.addEventListener('resize',place);"
            "place();})();</script>"
        )
    )


def _control_last(m) -> None:
    """The layer control must come after every layer it lists (its script refers to them)."""
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
    folium.LayerControl(collapsed=False).add_to(m)


def _simple_pockets(m, pockets: gpd.GeoDataFrame, name: str) -> None:
    cols = [
        c
        for c in (
            "nomor",
            "kantong_id",
            "nama_desa_utama",
            "nama_kec_utama",
            "n_jiwa_ekstrem",
            "pct_jiwa_ekstrem",
        )
        if c in pockets.columns
    ]
    layer = float_counts(pockets[[*cols, "geometry"]])
    folium.GeoJson(
        layer.to_json(drop_id=True, na="null"),
        name=name,
        style_function=lambda f: {
            "fill": True,
            "fillColor": "#67001f",
            "fillOpacity": 0.08,
            "color": "#67001f",
            "weight": 3,
        },
        tooltip=folium.GeoJsonTooltip(fields=cols) if cols else None,
    ).add_to(m)


def _simple_priorities(m, pri: pd.DataFrame, desa: gpd.GeoDataFrame, t: dict) -> None:
    group = folium.FeatureGroup(name=t["priority"])
    centroids = desa.set_index("kode_desa").geometry.representative_point()
    for i, rec in enumerate(pri.head(20).itertuples(index=False), start=1):
        if rec.kode_desa not in centroids.index:
            continue
        pt = centroids[rec.kode_desa]
        label = f"{t['rank']} {getattr(rec, 'peringkat', i)}: {getattr(rec, 'nama_desa', '')}"
        folium.CircleMarker(
            (pt.y, pt.x),
            radius=7,
            color="#000",
            weight=2,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=0.9,
            tooltip=label,
        ).add_to(group)
    group.add_to(m)
