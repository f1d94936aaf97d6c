"""The meeting pack as an XLSX workbook (one sheet per section, a sheet explaining every
column, print set-up on every sheet)."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from geo_service.i18n import pick
from geo_service.io.cells import neutralise
from geo_service.io.export import column_sheet, fill_sheet, print_setup
from geo_service.io.report.content import (
    ATTRIBUTION,
    METHOD,
    TEXT,
    XLSX_COLUMNS,
    ReportData,
    _flatten,
    _summary_rows,
    _table_frame,
    coverage_desa,
    pocket_table,
    summary_values,
    target_table,
)

SHEETS = {
    "prioritas": {"id": "Prioritas", "en": "Priorities"},
    "target_opd": {"id": "Target OPD", "en": "Agency targets"},
    "cakupan": {"id": "Cakupan", "en": "Coverage"},
    "kantong": {"id": "Kantong", "en": "Pockets"},
    "metode": {"id": "Metode", "en": "Method"},
}


def _cols(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return _table_frame(frame, XLSX_COLUMNS[name]) if len(frame) else frame


def write_report_xlsx(data: ReportData, *, lang: str = "id") -> bytes:
    """The same tables as an XLSX workbook: numbers as numbers with number formats,
    catalogue headers, a column sheet, landscape fit-to-width print set-up with the
    header row repeated."""
    t = pick(TEXT, lang)
    wb = Workbook()
    wb.remove(wb.active)
    columns: list[str] = []

    def sheet(title: str, frame: pd.DataFrame) -> None:
        ws = wb.create_sheet(title[:31])
        if frame.empty:
            ws.append([t["none"]])
            print_setup(ws)
            return
        fill_sheet(ws, frame, lang=lang)
        columns.extend(frame.columns)

    # Summary: label and value, numbers as numbers.
    ws = wb.create_sheet(t["summary"][:31])
    ws.append([t["param"], t["value"]])
    for c in ws[1]:
        c.font = Font(bold=True)
    texts = dict(_summary_rows(data, lang))
    for label, value, fmt in summary_values(data, lang, texts):
        ws.append([label, neutralise(value)])
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True, horizontal="left")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 70
    print_setup(ws)

    sheet(pick(SHEETS["prioritas"], lang), _cols(priority_table_full(data), "prioritas"))
    sheet(pick(SHEETS["target_opd"], lang), _cols(_table_frame(data.opd_targets), "target_opd"))
    sheet(pick(SHEETS["cakupan"], lang), _cols(coverage_desa(data), "cakupan"))
    sheet(pick(SHEETS["kantong"], lang), _cols(pocket_table_full(data, lang), "kantong"))
    sheet(t["targets_sheet"], target_table(data, lang))
    sheet(t["desa_sheet"], _cols(_table_frame(data.desa), "desa"))
    column_sheet(wb, list(dict.fromkeys(columns)), lang=lang)

    ws = wb.create_sheet(pick(SHEETS["metode"], lang))
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 100
    ws.append([t["method"]])
    ws["A1"].font = Font(bold=True, size=13)
    for para in pick(METHOD, lang):
        ws.append(["", para])
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True)
    ws.append([])
    ws.append([t["param"], t["value"]])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    ws.cell(row=ws.max_row, column=2).font = Font(bold=True)
    for name, val in _flatten(data.params):
        ws.append([name, val])
    ws.append([])
    ws.append(
        [t["attribution"], pick(ATTRIBUTION, lang).format(sumber=data.sumber, versi=data.version)]
    )
    ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True)
    print_setup(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def priority_table_full(data: ReportData) -> pd.DataFrame:
    """All priority columns with ``peringkat`` (the workbook picks its own columns)."""
    frame = _table_frame(data.priorities)
    if len(frame) and "peringkat" not in frame.columns:
        frame.insert(0, "peringkat", range(1, len(frame) + 1))
    return frame


def pocket_table_full(data: ReportData, lang: str) -> pd.DataFrame:
    """All pocket columns with the pocket name ``kantong``."""
    frame = _table_frame(data.pockets)
    named = pocket_table(data, lang)
    if "kantong" in named.columns and len(frame) == len(named):
        frame.insert(0, "kantong", named["kantong"].to_numpy())
    return frame
