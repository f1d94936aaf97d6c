"""The meeting pack as an XLSX workbook (one sheet per section)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from geo_service.i18n import pick
from geo_service.io.report.content import (
    ATTRIBUTION,
    METHOD,
    TEXT,
    ReportData,
    _flatten,
    _summary_rows,
    _table_frame,
    header,
    priority_table,
    target_table,
)


def write_report_xlsx(data: ReportData, *, lang: str = "id") -> bytes:
    """The same tables as an XLSX workbook (bold frozen headers, filters, widths, method sheet)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    t = pick(TEXT, lang)
    wb = Workbook()
    wb.remove(wb.active)
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8E8E8")

    def sheet(title: str, frame: pd.DataFrame, *, headers: bool = True) -> None:
        ws = wb.create_sheet(title[:31])
        if frame.empty:
            ws.append([t["none"]])
            return
        cols = list(frame.columns)
        ws.append([header(c, lang) if headers else c for c in cols])
        for rec in frame.itertuples(index=False):
            ws.append([_cell(v) for v in rec])
        for j, col in enumerate(cols, start=1):
            c = ws.cell(row=1, column=j)
            c.font, c.fill = head_font, head_fill
            c.alignment = Alignment(wrap_text=True, vertical="top")
            longest = max(
                [len(str(ws.cell(row=1, column=j).value))]
                + [len(str(v)) for v in frame[col].head(200).tolist()]
            )
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 60)
            fmt = (
                "0.0"
                if col.startswith("pct") or col == "skor"
                else ("#,##0" if col.startswith("n_") else None)
            )
            if fmt:
                for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    row[0].number_format = fmt
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions

    sheet(
        t["summary"],
        pd.DataFrame(_summary_rows(data, lang), columns=[t["param"], t["value"]]),
        headers=False,
    )
    sheet("Prioritas" if lang != "en" else "Priorities", priority_table(data))
    sheet("Target OPD" if lang != "en" else "Agency targets", _table_frame(data.opd_targets))
    sheet("Cakupan" if lang != "en" else "Coverage", _table_frame(data.coverage))
    sheet("Kantong" if lang != "en" else "Pockets", _table_frame(data.pockets))
    sheet(t["targets_sheet"], target_table(data, lang))
    sheet(t["desa_sheet"], _table_frame(data.desa))
    ws = wb.create_sheet("Metode" if lang != "en" else "Method")
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 100
    ws.append([t["method"]])
    ws["A1"].font = Font(bold=True, size=13)
    for para in pick(METHOD, lang):
        ws.append(["", para])
        ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True)
    ws.append([])
    ws.append([t["param"], t["value"]])
    ws.cell(row=ws.max_row, column=1).font = head_font
    ws.cell(row=ws.max_row, column=2).font = head_font
    for name, val in _flatten(data.params):
        ws.append([name, val])
    ws.append([])
    ws.append(
        [
            t["attribution"],
            pick(ATTRIBUTION, lang).format(sumber=data.sumber, versi=data.version),
        ]
    )
    ws.cell(row=ws.max_row, column=2).alignment = Alignment(wrap_text=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | tuple | dict) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value)
    return value
