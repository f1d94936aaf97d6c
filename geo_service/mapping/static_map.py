"""Static maps for print (PDF, slides): matplotlib only, no tile server, no network."""

from __future__ import annotations

import io

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from geo_service.analysis.boundaries import repaired_where_invalid  # noqa: E402
from geo_service.i18n import fmt_number, pick
from geo_service.mapping.folium_map import NO_DATA, PALETTE, class_breaks  # noqa: E402

TEXT = {
    "id": {
        "choropleth": "Persentase jiwa miskin ekstrem per desa",
        "legend": "% jiwa miskin ekstrem",
        "no_data": "tidak ada data / disembunyikan",
        "pockets": "Kantong kemiskinan ekstrem dan desa prioritas",
        "pocket": "Kantong kemiskinan",
        "priority": "Desa prioritas",
        "desa": "Desa",
        "source": "Batas: cahyadsn/wilayah_boundaries (MIT). Data: {sumber}.",
    },
    "en": {
        "choropleth": "Share of persons in extreme poverty by village",
        "legend": "% persons in extreme poverty",
        "no_data": "no data / suppressed",
        "pockets": "Extreme-poverty pockets and priority villages",
        "pocket": "Poverty pocket",
        "priority": "Priority village",
        "desa": "Village",
        "source": "Boundaries: cahyadsn/wilayah_boundaries (MIT). Data: {sumber}.",
    },
}


def _finish(fig, ax, title: str, source: str, dpi: int) -> bytes:
    ax.set_axis_off()
    ax.set_title(title, fontsize=12, loc="left")
    fig.text(0.01, 0.01, source, fontsize=7, color="#333")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _kecamatan_outlines(desa: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame | None):
    if kecamatan is not None:
        return kecamatan
    if "kode_kec" not in desa.columns:
        return None
    layer = desa[["kode_kec", "geometry"]]
    try:
        return layer.dissolve(by="kode_kec", as_index=False)
    except shapely.errors.GEOSException:  # an unrepaired desa GEOS refuses: repaired first
        return layer.set_geometry(
            repaired_where_invalid(layer.geometry.to_numpy()), crs=layer.crs
        ).dissolve(by="kode_kec", as_index=False)


def choropleth_png(
    desa: gpd.GeoDataFrame,
    *,
    column: str = "pct_jiwa_ekstrem",
    kecamatan: gpd.GeoDataFrame | None = None,
    judul: str | None = None,
    sumber: str = "DTSEN",
    lang: str = "id",
    size_in: tuple[float, float] = (8.0, 7.0),
    dpi: int = 150,
) -> bytes:
    """A PNG choropleth of ``column`` per desa (missing or suppressed values in grey).

    Parameters
    ----------
    desa
        Desa with geometry (EPSG:4326) and ``column``.
    kecamatan
        Outlines drawn on top; dissolved from ``desa`` by ``kode_kec`` when not given.
    judul
        Title; a default in ``lang`` when not given.
    """
    t = pick(TEXT, lang)
    values = desa[column].astype("float64").to_numpy()
    edges = class_breaks(values)
    n_classes = len(edges) - 1
    idx = np.clip(np.searchsorted(edges[1:-1], values, side="right"), 0, n_classes - 1)
    spread = [
        PALETTE[min(round(i * (len(PALETTE) - 1) / max(n_classes - 1, 1)), 4)]
        if n_classes < len(PALETTE)
        else PALETTE[min(i, 4)]
        for i in range(n_classes)
    ]
    colours = [spread[i] if np.isfinite(v) else NO_DATA for i, v in zip(idx, values, strict=True)]

    fig, ax = plt.subplots(figsize=size_in)
    desa.plot(ax=ax, color=colours, edgecolor="#555", linewidth=0.25)
    outlines = _kecamatan_outlines(desa, kecamatan)
    if outlines is not None:
        outlines.boundary.plot(ax=ax, color="#000", linewidth=0.9)
    handles = [
        Patch(
            facecolor=c,
            edgecolor="#555",
            label=f"{fmt_number(lo, lang, 1)} – {fmt_number(hi, lang, 1)}",
        )
        for lo, hi, c in zip(edges[:-1], edges[1:], spread, strict=True)
    ]
    handles.append(Patch(facecolor=NO_DATA, edgecolor="#555", label=t["no_data"]))
    # Outside the map frame, so it never covers a desa.
    ax.legend(
        handles=handles,
        title=t["legend"],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        fontsize=7,
        title_fontsize=8,
        framealpha=0.95,
    )
    return _finish(fig, ax, judul or t["choropleth"], t["source"].format(sumber=sumber), dpi)


def pocket_png(
    desa: gpd.GeoDataFrame,
    pockets: gpd.GeoDataFrame | None,
    *,
    priority_desa: list[str] | None = None,
    kecamatan: gpd.GeoDataFrame | None = None,
    judul: str | None = None,
    sumber: str = "DTSEN",
    lang: str = "id",
    size_in: tuple[float, float] = (8.0, 7.0),
    dpi: int = 150,
) -> bytes:
    """A PNG of pocket outlines (red) over desa, with priority desa hatched.

    Parameters
    ----------
    pockets
        Pocket polygons (any columns); ``None`` or empty draws the desa only.
    priority_desa
        ``kode_desa`` of the desa to mark as priority.
    """
    t = pick(TEXT, lang)
    fig, ax = plt.subplots(figsize=size_in)
    desa.plot(ax=ax, color="#f7f7f7", edgecolor="#999", linewidth=0.25)
    handles = []
    if priority_desa:
        pri = desa[desa["kode_desa"].isin(priority_desa)]
        if len(pri):
            pri.plot(ax=ax, color="#fdd49e", edgecolor="#b30000", linewidth=0.6, hatch="///")
            handles.append(
                Patch(facecolor="#fdd49e", edgecolor="#b30000", hatch="///", label=t["priority"])
            )
    outlines = _kecamatan_outlines(desa, kecamatan)
    if outlines is not None:
        outlines.boundary.plot(ax=ax, color="#000", linewidth=0.8)
    if pockets is not None and len(pockets):
        pockets.plot(ax=ax, color="#e31a1c", alpha=0.45, edgecolor="#7f0000", linewidth=1.2)
        handles.append(
            Patch(facecolor="#e31a1c", alpha=0.45, edgecolor="#7f0000", label=t["pocket"])
        )
        label = next(
            (c for c in ("nomor", "kantong_id", "id_kantong") if c in pockets.columns), None
        )
        if label:
            for text, geom in zip(pockets[label], pockets.geometry, strict=True):
                pt = geom.representative_point()
                ax.annotate(
                    str(text), (pt.x, pt.y), fontsize=8, ha="center", color="#000", weight="bold"
                )
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
            fontsize=8,
            framealpha=0.95,
        )
    return _finish(fig, ax, judul or t["pockets"], t["source"].format(sumber=sumber), dpi)
