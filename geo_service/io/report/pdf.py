"""The meeting pack as a PDF (A4, reportlab); the maps come in as PNG bytes.

Layout rules a meeting reads by:

- numbers are never wrapped: numeric cells are plain strings (a reportlab table cell that is
  a string does not wrap) in columns at least as wide as their widest number, right-aligned;
- words are never split: every text column is at least as wide as its longest word, so
  reportlab's long-word splitting ("Peringka / t") never fires; the rest of the width goes
  to long texts such as reasons;
- a table too wide for a portrait page gets a landscape page;
- numbers, percentages and dates come from the one formatter of :mod:`geo_service.i18n`;
- a pack built from generated families says "DATA SINTETIS — bukan data nyata" on every page.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from geo_service.i18n import fmt_periode, pick
from geo_service.io.report.content import (
    ATTRIBUTION,
    METHOD,
    PDF_MAX_ROWS,
    TEXT,
    ReportData,
    _flatten,
    _fmt,
    _summary_rows,
    coverage_table,
    header,
    opd_summary,
    pocket_table,
    priority_table,
    target_paragraphs,
)

MARGIN = 1.5 * cm
CELL_FONT_SIZE = 7.5
CELL_PAD = 6 * 2 + 2  # reportlab's default left+right cell padding (6 each), plus a little air
MAX_TEXT_COL = 9 * cm  # a text column wider than this wraps instead
SHORT_TEXT = 26  # characters: a column of texts no longer than this never wraps
# A space between a number and its unit that must not become a line break.
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(%|jiwa|keluarga|persons|families|km)\b)")


def _fonts() -> tuple[str, str]:
    regular = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    bold = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if regular.exists() and bold.exists():
        if "GsSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("GsSans", str(regular)))
            pdfmetrics.registerFont(TTFont("GsSans-Bold", str(bold)))
        return "GsSans", "GsSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def keep_numbers(text: str) -> str:
    """``text`` with no-break spaces between a number and its unit (``40,2 %``)."""
    return _UNIT_SPACE.sub("\u00a0", text)


def _is_numeric(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and bool(
        values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).all()
        or pd.api.types.is_numeric_dtype(series)
    )


class _Layout:
    """Tables sized by their content for a page of a given width."""

    def __init__(self, lang: str, font: str, bold: str, cell: ParagraphStyle, head: ParagraphStyle):
        self.lang, self.font, self.bold, self.cell, self.head = lang, font, bold, cell, head

    def _w(self, text: str, font: str | None = None) -> float:
        return pdfmetrics.stringWidth(text, font or self.font, CELL_FONT_SIZE)

    def plan(
        self, frame: pd.DataFrame
    ) -> tuple[list[bool], list[list[str]], list[float], list[float]]:
        """Per column: numeric or not, the shown texts, the least width (widest number or
        longest word) and the width it would like (its longest line)."""
        numeric, texts, least, wish = [], [], [], []
        for col in frame.columns:
            num = _is_numeric(frame[col])
            shown = [_fmt(v, self.lang, col) for v in frame[col]]
            head = header(col, self.lang)
            head_word = max((self._w(w, self.bold) for w in head.split()), default=0)
            if num:
                widest = max([self._w(s) for s in shown] + [head_word])
                lo = hi = widest + CELL_PAD
            elif max(map(len, shown), default=0) <= SHORT_TEXT:
                # Short texts (names, pocket names, "p < 0,0001") stay on one line.
                lo = hi = max([self._w(s) for s in shown] + [head_word]) + CELL_PAD
            else:
                words = [w for s in shown for w in s.split()]
                lo = max([self._w(w) for w in words] + [head_word]) + CELL_PAD
                hi = max([self._w(s) for s in shown] + [self._w(head, self.bold)]) + CELL_PAD
                hi = max(lo, min(hi, MAX_TEXT_COL))
            numeric.append(num)
            texts.append(shown)
            least.append(lo)
            wish.append(hi)
        return numeric, texts, least, wish

    @staticmethod
    def widths(
        numeric: list[bool], least: list[float], wish: list[float], room: float
    ) -> list[float]:
        """Numbers get exactly their width; text columns share what is left in proportion to
        what they would like, never below their longest word."""
        if sum(wish) <= room:
            return wish
        fixed = sum(w for w, n in zip(least, numeric, strict=True) if n)
        text_wish = sum(w for w, n in zip(wish, numeric, strict=True) if not n)
        left = room - fixed
        out = []
        for lo, hi, n in zip(least, wish, numeric, strict=True):
            out.append(lo if n else max(lo, left * hi / text_wish if text_wish else lo))
        # Text columns at their least may overshoot: take it from the widest text columns.
        over = sum(out) - room
        while over > 0.5:
            flexible = [i for i, n in enumerate(numeric) if not n and out[i] > least[i] + 0.5]
            if not flexible:
                break
            i = max(flexible, key=lambda j: out[j] - least[j])
            cut = min(over, out[i] - least[i])
            out[i] -= cut
            over -= cut
        return out

    def needs_landscape(self, frame: pd.DataFrame, portrait_room: float) -> bool:
        if frame.empty:
            return False
        numeric, _, least, wish = self.plan(frame.head(PDF_MAX_ROWS))
        return sum(least) > portrait_room or sum(wish) > portrait_room * 1.15

    def table(self, frame: pd.DataFrame, room: float) -> Table:
        numeric, texts, least, wish = self.plan(frame)
        col_widths = self.widths(numeric, least, wish, room)
        rows: list[list] = [
            [Paragraph(html.escape(header(c, self.lang)), self.head) for c in frame.columns]
        ]
        for i in range(len(frame)):
            rows.append(
                [
                    texts[j][i]
                    if numeric[j] or least[j] == wish[j]
                    else Paragraph(html.escape(keep_numbers(texts[j][i])), self.cell)
                    for j in range(len(frame.columns))
                ]
            )
        tbl = Table(rows, colWidths=col_widths, repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 1), (-1, -1), self.font),
            ("FONTSIZE", (0, 1), (-1, -1), CELL_FONT_SIZE),
        ]
        style += [("ALIGN", (j, 1), (j, -1), "RIGHT") for j, n in enumerate(numeric) if n]
        tbl.setStyle(TableStyle(style))
        return tbl


class _Story:
    """The flowables of the pack, page by page (portrait, or landscape for wide tables)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.t = pick(TEXT, lang)
        self.font, self.bold = _fonts()
        base = getSampleStyleSheet()
        self.h1 = ParagraphStyle(
            "h1", parent=base["Heading1"], fontName=self.bold, fontSize=18, leading=22
        )
        self.h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=self.bold, fontSize=14)
        self.body = ParagraphStyle(
            "body", parent=base["BodyText"], fontName=self.font, fontSize=9.5, leading=12.5
        )
        self.warn = ParagraphStyle(
            "warn", parent=self.body, textColor=colors.HexColor("#b00020"), fontName=self.bold
        )
        cell = ParagraphStyle("cell", parent=self.body, fontSize=CELL_FONT_SIZE, leading=9)
        head = ParagraphStyle("head", parent=cell, fontName=self.bold)
        self.layout = _Layout(lang, self.font, self.bold, cell, head)
        self.portrait_room = A4[0] - 2 * MARGIN
        self.landscape_room = landscape(A4)[0] - 2 * MARGIN
        self.flow: list = []
        self.current = "portrait"

    def page(self, kind: str) -> None:
        """Start a new page of ``kind`` (portrait or landscape)."""
        self.flow += [NextPageTemplate(kind), PageBreak()]
        self.current = kind

    def para(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.flow.append(Paragraph(text, style or self.body))

    def space(self, height: float) -> None:
        self.flow.append(Spacer(1, height))

    def section(
        self, title: str, frame: pd.DataFrame, *, new_page: bool = True, intro: str | None = None
    ) -> None:
        if new_page:
            wide = self.layout.needs_landscape(frame, self.portrait_room)
            self.page("landscape" if wide else "portrait")
        self.para(html.escape(title), self.h2)
        if intro:
            self.para(html.escape(intro))
            self.space(0.2 * cm)
        self.table(frame)

    def table(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            self.para(self.t["none"])
            return
        room = self.landscape_room if self.current == "landscape" else self.portrait_room
        self.flow.append(self.layout.table(frame.head(PDF_MAX_ROWS).reset_index(drop=True), room))
        if len(frame) > PDF_MAX_ROWS:
            more = self.t["more_rows"].format(n=_fmt(len(frame) - PDF_MAX_ROWS, self.lang))
            self.para(keep_numbers(more))

    def image(self, png: bytes) -> None:
        img = Image(io.BytesIO(png))
        scale = min(self.portrait_room / img.drawWidth, 21 * cm / img.drawHeight)
        img.drawWidth *= scale
        img.drawHeight *= scale
        self.flow.append(img)

    def front_page(self, data: ReportData) -> None:
        """What, when, from which data, the key figures and the target progress."""
        t = self.t
        self.para(html.escape(f"{t['title']} — {data.nama_kab}"), self.h1)
        self.para(t["subtitle"])
        self.space(0.3 * cm)
        if data.sintetis:
            self.para(html.escape(t["synthetic_note"]), self.warn)
            self.space(0.3 * cm)
        self.para(t["summary"], self.h2)
        summary = [(k, v) for k, v in _summary_rows(data, self.lang) if k != t["synthetic"]]
        self.table(pd.DataFrame(summary, columns=[t["param"], t["value"]]))
        if data.suppression_k:
            self.space(0.3 * cm)
            self.para(t["suppressed_note"].format(k=data.suppression_k))
        paragraphs = target_paragraphs(data, self.lang)
        self.space(0.3 * cm)
        self.para(t["targets"], self.h2)
        if not paragraphs:
            self.para(t["none"])
        for text in paragraphs:
            self.para(html.escape(keep_numbers(text)))
            self.space(0.15 * cm)

    def method_page(self, data: ReportData) -> None:
        t = self.t
        self.page("portrait")
        self.para(t["method"], self.h2)
        for text in pick(METHOD, self.lang):
            self.para(text)
        self.space(0.3 * cm)
        self.table(pd.DataFrame(_flatten(data.params), columns=[t["param"], t["value"]]))
        self.space(0.5 * cm)
        self.para(t["attribution"], self.h2)
        attribution = pick(ATTRIBUTION, self.lang).format(sumber=data.sumber, versi=data.version)
        self.para(html.escape(attribution))


def _build(story: _Story, data: ReportData) -> bytes:
    """Lay the story out on A4 pages with the footer and the synthetic-data banner."""
    t, font, bold = story.t, story.font, story.bold
    footer_text = f"{t['title']} — {data.nama_kab} — {fmt_periode(data.periode, story.lang)}"

    def decorate(canvas, doc) -> None:
        w, h = canvas._pagesize
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(MARGIN, 1 * cm, footer_text)
        canvas.drawRightString(w - MARGIN, 1 * cm, str(doc.page))
        if data.sintetis:
            canvas.setFillColor(colors.HexColor("#b00020"))
            canvas.setFont(bold, 10)
            canvas.drawCentredString(w / 2, h - 0.9 * cm, t["synthetic"])
            canvas.setFont(bold, 7)
            canvas.drawCentredString(w / 2, 0.55 * cm, t["synthetic"])
        canvas.restoreState()

    def template(name: str, size: tuple[float, float]) -> PageTemplate:
        frame = Frame(MARGIN, 1.6 * cm, size[0] - 2 * MARGIN, size[1] - 1.6 * cm - MARGIN, id=name)
        return PageTemplate(id=name, frames=[frame], pagesize=size, onPage=decorate)

    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        title=f"{t['title']} {data.nama_kab} {data.periode}",
        author="geo_service",
        subject=t["subtitle"],
    )
    doc.addPageTemplates([template("portrait", A4), template("landscape", landscape(A4))])
    doc.build(story.flow)
    return buf.getvalue()


def write_report_pdf(data: ReportData, *, maps: tuple[bytes, bytes], lang: str = "id") -> bytes:
    """The meeting pack as PDF bytes (A4, landscape pages for wide tables). ``maps``: the
    desa map and the pocket map as PNG bytes, drawn by the caller
    (:func:`geo_service.services.report.write_report_pdf` draws them without any tile
    server), so ``io`` does not import ``mapping``."""
    story = _Story(lang)
    t = story.t
    story.front_page(data)
    for title, png in ((t["map"], maps[0]), (t["pocket_map"], maps[1])):
        story.page("portrait")
        story.para(title, story.h2)
        story.image(png)
    story.section(t["priorities"], priority_table(data))
    story.section(t["pockets"], pocket_table(data, lang))
    story.section(t["opd"], opd_summary(data), intro=t["opd_intro"])
    story.section(t["coverage"], coverage_table(data))
    story.method_page(data)
    return _build(story, data)
