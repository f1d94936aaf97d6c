"""The meeting pack (PDF, XLSX) of a kabupaten: the maps are drawn here (``mapping``) and
handed to the writers in :mod:`geo_service.io.report`, which only lay out pages and sheets."""

from __future__ import annotations

from dataclasses import replace

from geo_service.analysis.alasan import localise_priorities
from geo_service.i18n import fmt_periode
from geo_service.io.report import ReportData, priority_table
from geo_service.io.report import write_report_pdf as _layout_pdf
from geo_service.io.report import write_report_xlsx as _layout_xlsx
from geo_service.mapping.static_map import choropleth_png, pocket_png

__all__ = ["localised", "report_maps", "write_report_pdf", "write_report_xlsx"]


def localised(data: ReportData, lang: str) -> ReportData:
    """``data`` with the priorities' reasons and labels in ``lang`` (a run stores them in its
    own language and as language-free facts, :mod:`geo_service.analysis.alasan`)."""
    if data.priorities is None:
        return data
    return replace(data, priorities=localise_priorities(data.priorities, lang))


def report_maps(data: ReportData, *, lang: str = "id") -> tuple[bytes, bytes]:
    """The desa map and the pocket map (with the first 10 priority desa) as PNG bytes."""
    pri = priority_table(data)
    top = (
        pri["kode_desa"].tolist()
        if "kode_desa" in pri.columns
        else (
            data.priorities["kode_desa"].head(10).tolist()
            if data.priorities is not None and "kode_desa" in data.priorities.columns
            else []
        )
    )
    judul = f"{data.nama_kab} — {fmt_periode(data.periode, lang)}"
    desa_map = choropleth_png(data.desa, judul=judul, sumber=data.sumber, lang=lang)
    pocket_map = pocket_png(
        data.desa, data.pockets, priority_desa=top[:10], judul=judul, sumber=data.sumber, lang=lang
    )
    return desa_map, pocket_map


def write_report_pdf(data: ReportData, *, lang: str = "id") -> bytes:
    """The meeting pack as PDF bytes (A4; maps drawn without any tile server)."""
    data = localised(data, lang)
    return _layout_pdf(data, maps=report_maps(data, lang=lang), lang=lang)


def write_report_xlsx(data: ReportData, *, lang: str = "id") -> bytes:
    """The meeting pack's workbook as XLSX bytes."""
    return _layout_xlsx(localised(data, lang), lang=lang)
