"""The PDF of a table exactly as a page shows it (landscape A4, repeated header row)."""

from __future__ import annotations

import io

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from geo_service.analysis.disclosure import SUPPRESSED_FLAG
from geo_service.api.web.render import fmt_num, is_missing
from geo_service.api.web.teks import t
from geo_service.i18n import column_header as header


def _cell(value, col: str, lang: str, hidden: bool) -> str:
    if is_missing(value):
        return t("disembunyikan", lang) if hidden else fmt_num(None, lang)
    if isinstance(value, bool):
        return t("ya", lang) if value else t("tidak", lang)
    if isinstance(value, float):
        return fmt_num(value, lang, 1)
    if isinstance(value, int):
        return fmt_num(value, lang)
    return str(value)


def table_pdf(frame: pd.DataFrame, *, title: str, notes: list[str], lang: str) -> bytes:
    """``frame`` as a PDF table with ``title`` and ``notes`` above it."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("kecil", fontSize=7, leading=8)
    cols = [c for c in frame.columns if c != SUPPRESSED_FLAG]
    hidden = (
        frame[SUPPRESSED_FLAG].fillna(False).astype(bool).to_numpy()
        if SUPPRESSED_FLAG in frame.columns
        else [False] * len(frame)
    )
    rows = [[Paragraph(header(c, lang), small) for c in cols]]
    for i, rec in enumerate(frame[cols].itertuples(index=False)):
        rows.append(
            [
                Paragraph(_cell(v, c, lang, bool(hidden[i])), small)
                for v, c in zip(rec, cols, strict=True)
            ]
        )
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
    )
    widths = None
    if "alasan" in cols:
        rest = (landscape(A4)[0] - 20 * mm) * 0.65 / max(len(cols) - 1, 1)
        widths = [(landscape(A4)[0] - 20 * mm) * 0.35 if c == "alasan" else rest for c in cols]
    table = LongTable(rows, repeatRows=1, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story = [Paragraph(title, styles["Title"])]
    story += [Paragraph(n, styles["BodyText"]) for n in notes]
    story += [Spacer(1, 4 * mm), table]
    doc.build(story)
    return buf.getvalue()
