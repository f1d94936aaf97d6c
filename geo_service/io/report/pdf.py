"""The meeting pack as a PDF (A4, reportlab); the maps come in as PNG bytes."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pandas as pd

from geo_service.i18n import pick
from geo_service.io.report.content import (
    ATTRIBUTION,
    METHOD,
    PDF_MAX_ROWS,
    POCKET_COLUMNS,
    TEXT,
    ReportData,
    _flatten,
    _fmt,
    _summary_rows,
    _table_frame,
    coverage_table,
    header,
    opd_summary,
    priority_table,
    target_paragraphs,
)


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    bold = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if regular.exists() and bold.exists():
        if "GsSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("GsSans", str(regular)))
            pdfmetrics.registerFont(TTFont("GsSans-Bold", str(bold)))
        return "GsSans", "GsSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def write_report_pdf(data: ReportData, *, maps: tuple[bytes, bytes], lang: str = "id") -> bytes:
    """The meeting pack as PDF bytes (A4). ``maps``: the desa map and the pocket map as PNG
    bytes, drawn by the caller (:func:`geo_service.services.report.write_report_pdf` draws
    them without any tile server), so ``io`` does not import ``mapping``."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    t = pick(TEXT, lang)
    font, bold = _fonts()
    base = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=base["Heading1"], fontName=bold, fontSize=18)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=14)
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12.5
    )
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9)
    width = A4[0] - 3 * cm

    def widths(frame: pd.DataFrame) -> list[float]:
        """Column widths by content (long texts such as reasons get the most room)."""
        weights = []
        for c in frame.columns:
            longest = max(
                [min(len(header(c, lang)), 9)] + [len(_fmt(v)) for v in frame[c].head(60)]
            )
            weights.append(min(max(longest + 2, 7), 45))
        total = sum(weights)
        return [width * w / total for w in weights]

    def table(frame: pd.DataFrame, col_widths: list[float] | None = None):
        if frame.empty:
            return Paragraph(t["none"], body)
        shown = frame.head(PDF_MAX_ROWS)
        col_widths = col_widths or widths(shown)
        rows = [[Paragraph(f"<b>{header(c, lang)}</b>", cell) for c in shown.columns]]
        rows += [[Paragraph(_fmt(v), cell) for v in rec] for rec in shown.itertuples(index=False)]
        tbl = Table(rows, colWidths=col_widths, repeatRows=1)
        tbl.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out = [tbl]
        if len(frame) > PDF_MAX_ROWS:
            out.append(Paragraph(t["more_rows"].format(n=len(frame) - PDF_MAX_ROWS), body))
        return out

    def add(story, item):
        story.extend(item if isinstance(item, list) else [item])

    def image(png: bytes):
        img = Image(io.BytesIO(png))
        scale = min(width / img.drawWidth, 17 * cm / img.drawHeight)
        img.drawWidth *= scale
        img.drawHeight *= scale
        return img

    story: list = [
        Paragraph(f"{t['title']} — {data.nama_kab}", h1),
        Paragraph(t["subtitle"], body),
        Spacer(1, 0.4 * cm),
        Paragraph(t["summary"], h2),
    ]
    add(story, table(pd.DataFrame(_summary_rows(data, lang), columns=[t["param"], t["value"]])))
    if data.suppression_k:
        story += [
            Spacer(1, 0.3 * cm),
            Paragraph(t["suppressed_note"].format(k=data.suppression_k), body),
        ]
    story += [
        PageBreak(),
        Paragraph(t["map"], h2),
        image(maps[0]),
    ]
    pri = priority_table(data)
    story += [PageBreak(), Paragraph(t["pocket_map"], h2), image(maps[1])]
    story += [PageBreak(), Paragraph(t["priorities"], h2)]
    add(story, table(pri))
    story += [PageBreak(), Paragraph(t["opd"], h2)]
    add(story, table(opd_summary(data)))
    story += [PageBreak(), Paragraph(t["coverage"], h2)]
    add(story, table(coverage_table(data)))
    if data.pockets is not None and len(data.pockets):
        story += [Spacer(1, 0.5 * cm), Paragraph(t["pockets"], h2)]
        add(story, table(_table_frame(data.pockets, POCKET_COLUMNS)))
    story += [PageBreak(), Paragraph(t["targets"], h2)]
    paragraphs = target_paragraphs(data, lang)
    if not paragraphs:
        story.append(Paragraph(t["none"], body))
    for para in paragraphs:
        story += [Paragraph(html.escape(para), body), Spacer(1, 0.2 * cm)]
    story += [PageBreak(), Paragraph(t["method"], h2)]
    story += [Paragraph(p, body) for p in pick(METHOD, lang)]
    story.append(Spacer(1, 0.3 * cm))
    add(story, table(pd.DataFrame(_flatten(data.params), columns=[t["param"], t["value"]])))
    story += [
        Spacer(1, 0.5 * cm),
        Paragraph(t["attribution"], h2),
        Paragraph(
            pick(ATTRIBUTION, lang).format(sumber=data.sumber, versi=data.version),
            body,
        ),
    ]

    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(1.5 * cm, 1 * cm, f"{t['title']} — {data.nama_kab} — {data.periode}")
        canvas.drawRightString(A4[0] - 1.5 * cm, 1 * cm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.6 * cm,
        title=f"{t['title']} {data.nama_kab} {data.periode}",
        author="geo_service",
        subject=t["subtitle"],
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
