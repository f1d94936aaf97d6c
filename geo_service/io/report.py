"""The TKPK meeting pack: a PDF (maps, ranked priorities, OPD targets, coverage gaps, method)
and an XLSX workbook with the same tables and a sheet explaining the method.

Inputs are frames already prepared for the reader (suppressed for non-privileged roles by the
caller); this module only lays them out.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

ATTRIBUTION = {
    "id": (
        "Batas wilayah: cahyadsn/wilayah_boundaries (MIT), kode Kemendagri. Angka kemiskinan "
        "kabupaten: BPS. Data keluarga: DTSEN ({sumber}). Dibuat dengan geo_service {versi}."
    ),
    "en": (
        "Boundaries: cahyadsn/wilayah_boundaries (MIT), Kemendagri codes. District poverty "
        "figures: BPS. Family data: DTSEN ({sumber}). Made with geo_service {versi}."
    ),
}

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "title": "Paket Rapat TKPK",
        "subtitle": "Kantong kemiskinan ekstrem dan lokasi prioritas",
        "kabupaten": "Kabupaten",
        "periode": "Periode data",
        "data_date": "Tanggal data",
        "made": "Dibuat",
        "summary": "Ringkasan",
        "map": "Peta persentase jiwa miskin ekstrem per desa",
        "pocket_map": "Peta kantong kemiskinan dan desa prioritas",
        "priorities": "Daftar desa prioritas (berperingkat, dengan alasan)",
        "opd": "Target per OPD",
        "coverage": "Kesenjangan cakupan program",
        "pockets": "Kantong kemiskinan",
        "targets": "Capaian target",
        "targets_source": "Sumber target",
        "targets_note": "Catatan target",
        "targets_sheet": "Capaian target",
        "method": "Metode dan parameter",
        "attribution": "Sumber dan atribusi",
        "none": "Tidak ada data untuk bagian ini.",
        "suppressed_note": (
            "Angka di bawah {k} (atau yang selisihnya dengan total di bawah {k}) "
            "disembunyikan (tanda '-') untuk melindungi data pribadi."
        ),
        "desa_sheet": "Indikator desa",
        "param": "Parameter",
        "value": "Nilai",
        "more_rows": "… dan {n} baris lagi (lihat lampiran XLSX).",
    },
    "en": {
        "title": "TKPK meeting pack",
        "subtitle": "Extreme-poverty pockets and priority locations",
        "kabupaten": "District",
        "periode": "Data period",
        "data_date": "Data date",
        "made": "Made",
        "summary": "Summary",
        "map": "Share of persons in extreme poverty by village",
        "pocket_map": "Poverty pockets and priority villages",
        "priorities": "Priority villages (ranked, with reasons)",
        "opd": "Targets per agency (OPD)",
        "coverage": "Programme coverage gaps",
        "pockets": "Poverty pockets",
        "targets": "Progress towards targets",
        "targets_source": "Target source",
        "targets_note": "Target note",
        "targets_sheet": "Targets",
        "method": "Method and parameters",
        "attribution": "Sources and attribution",
        "none": "No data for this section.",
        "suppressed_note": (
            "Counts below {k} (or whose difference from the total is below {k}) "
            "are suppressed ('-') to protect personal data."
        ),
        "desa_sheet": "Village indicators",
        "param": "Parameter",
        "value": "Value",
        "more_rows": "… and {n} more rows (see the XLSX workbook).",
    },
}

METHOD = {
    "id": [
        "Keluarga miskin ekstrem: keluarga desil 1 DTSEN (atau pengeluaran per kapita di bawah "
        "garis ekstrem bila diberikan). Persentase dihitung atas jumlah jiwa.",
        "Lokasi: keluarga bergeotag ditempatkan pada desa yang memuat titiknya (desa terdekat "
        "dalam jarak maksimum bila di celah batas); tanpa geotag memakai kode desa terdaftar.",
        "Kantong kemiskinan: statistik Getis-Ord Gi* pada sel H3 atas persentase yang "
        "distabilkan (empirical Bayes), inferensi permutasi dengan benih tetap, koreksi FDR "
        "Benjamini-Hochberg; kantong = sel panas signifikan yang bersambung.",
        "Desa prioritas: metode kuadran (persentase dan jumlah jiwa miskin ekstrem terhadap "
        "nilai kabupaten) dan skor komposit berbobot; interval peringkat dari bootstrap.",
        "Target OPD: tiap deprivasi dipetakan ke OPD dan programnya (tabel di data/).",
        "Cakupan program: keluarga miskin ekstrem yang tidak menerima PKH/BPNT/PBI-JK "
        "(exclusion) dan keluarga desil 6-10 yang menerima (inclusion).",
    ],
    "en": [
        "Extreme-poor family: DTSEN decile 1 (or per-capita expenditure below the extreme "
        "line when given). Rates are per person.",
        "Location: geotagged families go to the village containing the point (nearest village "
        "within the distance limit in boundary gaps); others use the registered village code.",
        "Pockets: Getis-Ord Gi* on H3 cells over empirical-Bayes stabilised rates, permutation "
        "inference with a fixed seed, Benjamini-Hochberg FDR; a pocket is a connected group of "
        "significant hot cells.",
        "Priority villages: quadrant method (rate and number of extreme-poor persons against "
        "the district value) and a weighted composite score; rank intervals by bootstrap.",
        "Agency targets: each deprivation maps to the agency and programme that addresses it.",
        "Programme coverage: extreme-poor families without PKH/BPNT/PBI-JK (exclusion) and "
        "decile 6-10 families receiving them (inclusion).",
    ],
}

# Column headers a person reads (Bahasa Indonesia / English); unknown columns keep their name.
HEADERS: dict[str, tuple[str, str]] = {
    "peringkat": ("Peringkat", "Rank"),
    "kode_desa": ("Kode desa", "Village code"),
    "nama_desa": ("Desa", "Village"),
    "kode_kec": ("Kode kec.", "District code"),
    "nama_kec": ("Kecamatan", "Sub-district"),
    "kuadran": ("Kuadran", "Quadrant"),
    "skor": ("Skor", "Score"),
    "n_keluarga": ("Keluarga", "Families"),
    "n_jiwa": ("Jiwa", "Persons"),
    "n_keluarga_ekstrem": ("Keluarga miskin ekstrem", "Extreme-poor families"),
    "n_jiwa_ekstrem": ("Jiwa miskin ekstrem", "Extreme-poor persons"),
    "pct_jiwa_ekstrem": ("% jiwa ekstrem", "% persons extreme"),
    "alasan": ("Alasan", "Reasons"),
    "opd": ("OPD", "Agency"),
    "program": ("Program", "Programme"),
    "deprivasi": ("Deprivasi", "Deprivation"),
    "n_desa": ("Jumlah desa", "Villages"),
    "n_keluarga_sasaran": ("Keluarga sasaran", "Target families"),
    "id_kantong": ("Kantong", "Pocket"),
    "disembunyikan": ("Disembunyikan", "Suppressed"),
    "n_desa_sasaran": ("Desa sasaran", "Target villages"),
    "desa_teratas": ("Desa sasaran utama", "Main target villages"),
    "nama_kebutuhan": ("Kebutuhan", "Need"),
    "n_ekstrem_tanpa_bansos": ("Keluarga ekstrem tanpa bansos", "Extreme-poor without aid"),
    "pct_eksklusi_pkh": ("% tanpa PKH", "% without PKH"),
    "pct_eksklusi_bpnt": ("% tanpa BPNT", "% without BPNT"),
    "pct_eksklusi_pbi_jk": ("% tanpa PBI-JK", "% without PBI-JK"),
    "pct_inklusi_pkh": ("% desil 6-10 menerima PKH", "% decile 6-10 with PKH"),
    "nomor": ("No.", "No."),
    "nama_desa_utama": ("Desa utama", "Main village"),
    "nama_kec_utama": ("Kecamatan utama", "Main sub-district"),
    "n_sel": ("Sel H3", "H3 cells"),
    "luas_km2": ("Luas km²", "Area km²"),
    "rasio_kabupaten": ("× kabupaten", "× district"),
    "label": ("Indikator", "Indicator"),
    "nilai_sekarang": ("Nilai sekarang", "Current value"),
    "waktu_sekarang": ("Per", "As of"),
    "nilai_target": ("Target", "Target"),
    "tahun_target": ("Tahun target", "Target year"),
    "laju_diperlukan": ("Laju diperlukan per tahun", "Pace needed per year"),
    "laju_teramati": ("Laju teramati per tahun", "Observed pace per year"),
    "proyeksi": ("Proyeksi", "Projection"),
    "status_teks": ("Status", "Status"),
    "teks": ("Keterangan", "Description"),
    "sumber_target": ("Sumber target", "Target source"),
    "catatan_target": ("Catatan target", "Target note"),
}

PRIORITY_COLUMNS = [
    "peringkat",
    "nama_desa",
    "nama_kec",
    "kuadran",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "skor",
    "alasan",
]
COVERAGE_COLUMNS = [
    "nama_desa",
    "nama_kec",
    "n_keluarga_ekstrem",
    "n_ekstrem_tanpa_bansos",
    "pct_eksklusi_pkh",
    "pct_eksklusi_bpnt",
    "pct_eksklusi_pbi_jk",
    "pct_inklusi_pkh",
]
POCKET_COLUMNS = [
    "nomor",
    "nama_desa_utama",
    "nama_kec_utama",
    "n_sel",
    "luas_km2",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "rasio_kabupaten",
]
TARGET_COLUMNS = [
    "kabupaten",
    "label",
    "nilai_sekarang",
    "waktu_sekarang",
    "nilai_target",
    "tahun_target",
    "laju_diperlukan",
    "laju_teramati",
    "proyeksi",
    "status_teks",
    "teks",
    "sumber_target",
    "catatan_target",
]
PDF_MAX_ROWS = 30


@dataclass
class ReportData:
    """Everything the meeting pack shows, prepared by the caller.

    Parameters
    ----------
    nama_kab, kode_kab
        The kabupaten.
    periode
        Data period (YYYY-MM).
    desa
        Desa indicators with geometry (suppressed if the reader's role requires it).
    kabupaten
        One-row kabupaten totals.
    priorities, opd_targets, coverage, pockets
        Planning tables; ``None`` when not computed (the section says so).
    targets
        Progress towards the kabupaten's targets, one row per target as
        :func:`geo_service.analysis.target.progress_table` gives it (``teks``,
        ``sumber_target``, ``catatan_target`` and the numbers); ``None`` or empty: the
        section says there is no data.
    params
        Method parameters as recorded with the run (flat or nested dict).
    data_date
        When the data were taken (e.g. import date).
    suppression_k
        ``k`` of the small-cell suppression applied, or ``None`` when not applied.
    """

    nama_kab: str
    kode_kab: str
    periode: str
    desa: gpd.GeoDataFrame
    kabupaten: pd.DataFrame
    priorities: pd.DataFrame | None = None
    opd_targets: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    pockets: gpd.GeoDataFrame | None = None
    targets: pd.DataFrame | None = None
    params: dict[str, Any] = field(default_factory=dict)
    data_date: str | None = None
    sumber: str = "DTSEN"
    version: str = ""
    suppression_k: int | None = None
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def _t(lang: str) -> dict[str, str]:
    return TEXT["en" if lang == "en" else "id"]


def header(col: str, lang: str) -> str:
    """The readable header of a column."""
    pair = HEADERS.get(col)
    return (pair[1] if lang == "en" else pair[0]) if pair else col


def _flatten(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, val in params.items():
        name = f"{prefix}{key}"
        if isinstance(val, dict):
            rows += _flatten(val, name + ".")
        else:
            rows.append((name, "" if val is None else str(val)))
    return rows


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1 and value != 0 else f"{value:,.1f}"
    if isinstance(value, int | bool):
        return f"{value:,}" if not isinstance(value, bool) else ("ya" if value else "tidak")
    if hasattr(value, "item"):
        return _fmt(value.item())
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _table_frame(frame: pd.DataFrame | None, preferred: list[str] | None = None) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame()
    frame = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    if preferred:
        cols = [c for c in preferred if c in frame.columns]
        if cols:
            frame = frame[cols]
    return frame.reset_index(drop=True)


def priority_table(data: ReportData) -> pd.DataFrame:
    """Ranked priorities as shown (the preferred columns that exist)."""
    frame = _table_frame(data.priorities)
    if len(frame) and "peringkat" not in frame.columns:
        frame.insert(0, "peringkat", range(1, len(frame) + 1))
    if "skor" in frame.columns:
        frame["skor"] = pd.to_numeric(frame["skor"], errors="coerce").round(3)
    return _table_frame(frame, PRIORITY_COLUMNS)


def opd_summary(data: ReportData) -> pd.DataFrame:
    """Per OPD and programme: number of target desa, target families, the main desa."""
    frame = _table_frame(data.opd_targets)
    if frame.empty or not {"opd", "program"} <= set(frame.columns):
        return frame
    rows = []
    for (opd, program), grp in frame.groupby(["opd", "program"], sort=True):
        if "peringkat" in grp.columns:
            grp = grp.sort_values("peringkat", na_position="last")
        fams = (
            pd.to_numeric(grp.get("n_keluarga_sasaran"), errors="coerce")
            if "n_keluarga_sasaran" in grp.columns
            else None
        )
        total = None if fams is None or fams.isna().any() else int(fams.sum())
        names = grp["nama_desa"].astype(str).head(5).tolist() if "nama_desa" in grp else []
        rows.append(
            {
                "opd": opd,
                "program": program,
                "n_desa_sasaran": len(grp),
                "n_keluarga_sasaran": total,
                "desa_teratas": ", ".join(names),
            }
        )
    return pd.DataFrame(rows)


def coverage_table(data: ReportData) -> pd.DataFrame:
    """Coverage gaps, the desa with most extreme-poor families without any aid first."""
    frame = _table_frame(data.coverage)
    if "n_ekstrem_tanpa_bansos" in frame.columns:
        key = pd.to_numeric(frame["n_ekstrem_tanpa_bansos"], errors="coerce")
        frame = frame.loc[key.sort_values(ascending=False, na_position="last").index]
    return _table_frame(frame, COVERAGE_COLUMNS)


def _targets_in(data: ReportData, lang: str) -> pd.DataFrame:
    """The target rows with label, status and sentence in ``lang`` (rebuilt from the numbers
    when the rows carry them, so the pack's language decides, not the caller's)."""
    from dataclasses import fields

    from geo_service.analysis.target import INDICATORS, STATUS_TEXT, TargetProgress, progress_text

    frame = _table_frame(data.targets)
    names = [f.name for f in fields(TargetProgress)]
    if frame.empty or not set(names) <= set(frame.columns):
        return frame
    frame = frame.copy()
    i = 1 if lang == "en" else 0
    values = frame[names].astype(object).where(frame[names].notna(), None)
    frame["teks"] = [
        progress_text(TargetProgress(**rec), lang) for rec in values.to_dict("records")
    ]
    frame["label"] = [INDICATORS[x][i] for x in frame["indikator"]]
    frame["status_teks"] = [STATUS_TEXT[x][i] for x in frame["status"]]
    return frame


def target_table(data: ReportData, lang: str = "id") -> pd.DataFrame:
    """Target progress as shown in the workbook (the preferred columns that exist)."""
    return _table_frame(_targets_in(data, lang), TARGET_COLUMNS)


def target_paragraphs(data: ReportData, lang: str) -> list[str]:
    """The "Capaian target" section as paragraphs: each target's sentence (as
    :func:`geo_service.analysis.target.progress_text` writes it) and its source or note."""
    t = _t(lang)
    frame = _targets_in(data, lang)
    out = []
    for rec in frame.to_dict("records"):
        text = str(rec.get("teks") or "")
        if not text:
            continue
        src, note = rec.get("sumber_target"), rec.get("catatan_target")
        if isinstance(src, str) and src:
            text += f" {t['targets_source']}: {src}"
        elif isinstance(note, str) and note:
            text += f" {t['targets_note']}: {note}"
        out.append(text)
    return out


def _summary_rows(data: ReportData, lang: str) -> list[tuple[str, str]]:
    t = _t(lang)
    rows = [(t["kabupaten"], f"{data.nama_kab} ({data.kode_kab})"), (t["periode"], data.periode)]
    if data.data_date:
        rows.append((t["data_date"], data.data_date))
    rows.append((t["made"], data.made_at.strftime("%Y-%m-%d %H:%M UTC")))
    if len(data.kabupaten):
        kab = data.kabupaten.iloc[0]
        for col in (
            "n_keluarga",
            "n_jiwa",
            "n_keluarga_ekstrem",
            "n_jiwa_ekstrem",
            "pct_jiwa_ekstrem",
        ):
            if col in kab.index:
                rows.append((header(col, lang), _fmt(kab[col])))
    return rows


# ---------------------------------------------------------------- PDF


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


def write_report_pdf(data: ReportData, *, lang: str = "id") -> bytes:
    """The meeting pack as PDF bytes (A4; maps drawn without any tile server)."""
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

    from geo_service.mapping.static_map import choropleth_png, pocket_png

    t = _t(lang)
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
        image(
            choropleth_png(
                data.desa, judul=f"{data.nama_kab} — {data.periode}", sumber=data.sumber, lang=lang
            )
        ),
    ]
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
    story += [
        PageBreak(),
        Paragraph(t["pocket_map"], h2),
        image(
            pocket_png(
                data.desa,
                data.pockets,
                priority_desa=top[:10],
                judul=f"{data.nama_kab} — {data.periode}",
                sumber=data.sumber,
                lang=lang,
            )
        ),
    ]
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
    story += [Paragraph(p, body) for p in METHOD["en" if lang == "en" else "id"]]
    story.append(Spacer(1, 0.3 * cm))
    add(story, table(pd.DataFrame(_flatten(data.params), columns=[t["param"], t["value"]])))
    story += [
        Spacer(1, 0.5 * cm),
        Paragraph(t["attribution"], h2),
        Paragraph(
            ATTRIBUTION["en" if lang == "en" else "id"].format(
                sumber=data.sumber, versi=data.version
            ),
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


# ---------------------------------------------------------------- XLSX


def write_report_xlsx(data: ReportData, *, lang: str = "id") -> bytes:
    """The same tables as an XLSX workbook (bold frozen headers, filters, widths, method sheet)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    t = _t(lang)
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
    for para in METHOD["en" if lang == "en" else "id"]:
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
            ATTRIBUTION["en" if lang == "en" else "id"].format(
                sumber=data.sumber, versi=data.version
            ),
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
