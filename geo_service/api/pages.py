"""The map page and the meeting pack of a kabupaten, from a run's tables as the caller may see."""

from __future__ import annotations

import html

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from .. import __version__
from ..db.repository import RunInfo
from ..io.report import ReportData
from . import results
from .security import Principal

TEXT = {
    "id": {"pockets": "Kantong kemiskinan ekstrem", "priority": "Desa prioritas",
           "rank": "Peringkat",
           "suppressed": "Abu-abu: tidak ada keluarga, atau angka disembunyikan (di bawah {k}) "
                         "untuk melindungi data pribadi."},
    "en": {"pockets": "Extreme-poverty pockets", "priority": "Priority villages",
           "rank": "Rank",
           "suppressed": "Grey: no families, or figures suppressed (below {k}) to protect "
                         "personal data."},
}


def _float_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable (suppressed) numbers as floats with NaN, which the map code expects."""
    out = frame.copy()
    for c in out.columns:
        if c != "geometry" and str(out[c].dtype) in ("Int64", "Float64"):
            out[c] = out[c].astype("float64")
    return out


def map_html(session: Session, user: Principal, run: RunInfo, k: int, lang: str) -> str:
    """The folium page: desa choropleth, kecamatan outlines, pockets, priority desa, legend,
    layer control; Leaflet inlined (works offline); print stylesheet included."""
    import folium

    from ..mapping import choropleth_map

    t = TEXT["en" if lang == "en" else "id"]
    view = results.indicators_of_run(session, user, run, k).view
    desa = gpd.GeoDataFrame(_float_counts(view.desa), geometry="geometry", crs=4326)
    nama_kab = str(desa["nama_kab"].iloc[0]) if "nama_kab" in desa.columns else run.kode_kab
    m = choropleth_map(desa, judul=f"{nama_kab} — periode {run.periode}", lang=lang)
    pockets, _ = results.planning_of_run(session, user, run, "kantong", k)
    if isinstance(pockets, gpd.GeoDataFrame) and len(pockets):
        cols = [c for c in ("nomor", "kantong_id", "nama_desa_utama", "nama_kec_utama",
                            "n_jiwa_ekstrem", "pct_jiwa_ekstrem") if c in pockets.columns]
        layer = _float_counts(pockets[[*cols, "geometry"]])
        folium.GeoJson(
            layer.to_json(drop_id=True, na="null"), name=t["pockets"],
            style_function=lambda f: {"fill": True, "fillColor": "#e31a1c", "fillOpacity": 0.25,
                                      "color": "#7f0000", "weight": 3, "dashArray": "6 4"},
            tooltip=folium.GeoJsonTooltip(fields=cols) if cols else None,
        ).add_to(m)
    pri, _ = results.planning_of_run(session, user, run, "prioritas", k)
    if len(pri) and "kode_desa" in pri.columns:
        top = pri.head(20)
        group = folium.FeatureGroup(name=t["priority"])
        centroids = desa.set_index("kode_desa").geometry.representative_point()
        for i, rec in enumerate(top.itertuples(index=False), start=1):
            kode = rec.kode_desa
            if kode not in centroids.index:
                continue
            pt = centroids[kode]
            rank = getattr(rec, "peringkat", i)
            label = f"{t['rank']} {rank}: {getattr(rec, 'nama_desa', kode)}"
            folium.CircleMarker((pt.y, pt.x), radius=7, color="#000", weight=2,
                                fill=True, fill_color="#ffffff", fill_opacity=0.9,
                                tooltip=label).add_to(group)
        group.add_to(m)
    if view.suppressed_k:
        from branca.element import Element

        note = html.escape(t["suppressed"].format(k=view.suppressed_k))
        m.get_root().html.add_child(Element(
            "<div class='gs-box' id='gs-suppressed' style='position:fixed;bottom:64px;left:10px;"
            f"z-index:1000;max-width:32%;font-size:13px'>{note}</div>"))
    # The layer control must come after every layer it lists (its script refers to them).
    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
    folium.LayerControl(collapsed=False).add_to(m)
    return m.get_root().render()


def report_data(session: Session, user: Principal, run: RunInfo, k: int) -> ReportData:
    """The meeting pack's content for ``run`` as ``user`` may see it."""
    ind = results.indicators_of_run(session, user, run, k)
    desa = gpd.GeoDataFrame(_float_counts(ind.view.desa), geometry="geometry", crs=4326)
    tables = {n: results.planning_of_run(session, user, run, n, k)[0]
              for n in results.PLANNING_TABLES}
    kab = ind.view.kabupaten
    nama_kab = str(kab["nama_kab"].iloc[0]) if "nama_kab" in kab.columns else run.kode_kab
    return ReportData(
        nama_kab=nama_kab, kode_kab=run.kode_kab, periode=run.periode, desa=desa,
        kabupaten=_float_counts(kab),
        priorities=tables["prioritas"] if len(tables["prioritas"]) else None,
        opd_targets=tables["target_opd"] if len(tables["target_opd"]) else None,
        coverage=tables["cakupan"] if len(tables["cakupan"]) else None,
        pockets=tables["kantong"] if isinstance(tables["kantong"], gpd.GeoDataFrame)
        and len(tables["kantong"]) else None,
        params={"analisis": run.id, "seed": run.seed, **(run.parameter or {})},
        data_date=(run.selesai or run.mulai).strftime("%Y-%m-%d") if (run.selesai or run.mulai)
        else None,
        version=__version__, suppression_k=ind.view.suppressed_k)


