"""Field lists with names (for ``admin``/``analis`` and a ``pendamping``): the families of a
ground-check sample with the head's name, NIK/KK number and address, one desa per page.

- XLSX: one sheet per desa (title: code and name), printed landscape, one page wide, the
  header repeated on every page; NIK and KK cells are text (Excel would round 16 digits);
- PDF: one desa per page (continued pages repeat the desa title and the header);
- GeoPackage: the offline field package of :mod:`geo_service.io.uji_petik` with the name
  and address columns added to its points layer;
- OpenSID: an XLSX in the columns an OpenSID operator matches on (see ``docs/opensid.md``).

The caller (``services/identitas.py``) has already checked the role and written the audit
row. Results coming back are read with :func:`read_named_results`, which drops every
identity column before anything else sees the rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from geo_service.analysis import schema as S
from geo_service.errors import InvalidInputError
from geo_service.i18n import pick
from geo_service.io.uji_petik import LAYER_POINTS, export_frame, write_sample_gpkg

IDENTITY_COLUMNS: tuple[str, ...] = ("nama_kk", "nik", "no_kk", "alamat", "dusun", "rt", "rw")
TEXT_NUMBERS = ("nik", "no_kk")
# Columns of the printed list, in order (the full sample columns follow in the XLSX).
PRINT_COLUMNS: tuple[str, ...] = (
    "urutan",
    "nama_kk",
    "nik",
    "no_kk",
    "alamat",
    "dusun",
    "rt",
    "rw",
    "jenis",
    "alasan_teks",
    "status",
    "tanggal",
    "catatan",
)
HEADERS = {
    "id": {
        "urutan": "No",
        "nama_kk": "Nama kepala keluarga",
        "nik": "NIK",
        "no_kk": "No. KK",
        "alamat": "Alamat",
        "dusun": "Dusun",
        "rt": "RT",
        "rw": "RW",
        "jenis": "Jenis",
        "alasan_teks": "Alasan",
        "status": "Status",
        "tanggal": "Tanggal",
        "catatan": "Catatan",
    },
    "en": {
        "urutan": "No",
        "nama_kk": "Head of family",
        "nik": "NIK",
        "no_kk": "Family card no.",
        "alamat": "Address",
        "dusun": "Dusun",
        "rt": "RT",
        "rw": "RW",
        "jenis": "Kind",
        "alasan_teks": "Reason",
        "status": "Status",
        "tanggal": "Date",
        "catatan": "Note",
    },
}
NON_SHEETS = ("petunjuk", "info")


def named_frame(
    named: pd.DataFrame, desa: pd.DataFrame | None, *, lang: str = "id"
) -> pd.DataFrame:
    """The sample list as officers see it (``export_frame``) with the identity columns,
    sorted by desa, dusun, RW, RT and name (the order a facilitator walks)."""
    base = export_frame(
        named.drop(columns=list(IDENTITY_COLUMNS), errors="ignore"), desa, lang=lang
    )
    ident = named[[S.ID, *[c for c in IDENTITY_COLUMNS if c in named.columns]]]
    out = base.merge(ident, on=S.ID, how="left")
    for c in IDENTITY_COLUMNS:
        if c not in out:
            out[c] = None
    order = [S.KODE_DESA, "dusun", "rw", "rt", "nama_kk", "urutan"]
    out = out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    front = [S.KODE_DESA, "nama_desa", *IDENTITY_COLUMNS]
    return out[front + [c for c in out.columns if c not in front]]


def _desa_groups(frame: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    out = []
    for kode, part in frame.groupby(S.KODE_DESA, sort=True):
        name = part["nama_desa"].dropna()
        out.append((str(kode), str(name.iloc[0]) if len(name) else "", part))
    return out


def write_named_xlsx(
    frame: pd.DataFrame, path: Path, *, info: dict | None = None, lang: str = "id"
) -> Path:
    """One sheet per desa; landscape, fit to one page wide, header on every page."""
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    cols = list(frame.columns)
    for kode, nama, part in _desa_groups(frame):
        ws = wb.create_sheet(title=f"{kode} {nama}"[:31].replace("/", "-"))
        title = f"Desa {nama} ({kode})"  # the same in both languages
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(cols)
        for cell in ws[2]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for rec in part.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in rec])
        for j, c in enumerate(cols, start=1):
            letter = get_column_letter(j)
            if c in TEXT_NUMBERS:
                for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].number_format = "@"
            if c in ("status", "tanggal", "catatan", "petugas"):
                for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                    row[0].fill = fill
            ws.column_dimensions[letter].width = (
                24 if c in ("nama_kk", "alamat", "alasan_teks") else 14
            )
        ws.freeze_panes = "A3"
        ws.print_title_rows = "2:2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    meta = wb.create_sheet("info")
    for k, v in (info or {}).items():
        meta.append([str(k), str(v)])
    wb.save(path)
    return path


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def write_named_pdf(frame: pd.DataFrame, path: Path, *, title: str, lang: str = "id") -> Path:
    """One desa per page (long desa continue on following pages, header repeated)."""
    path = Path(path)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8)
    heads = pick(HEADERS, lang)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
    )
    story: list = []
    groups = _desa_groups(frame)
    widths = [9, 36, 29, 29, 40, 20, 8, 8, 13, 36, 15, 16, 0]  # mm; the note takes the rest
    widths[-1] = 277 - sum(widths[:-1])
    for i, (kode, nama, part) in enumerate(groups):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(f"{title} — Desa {nama} ({kode})", styles["Heading3"]))
        story.append(Spacer(1, 2 * mm))
        rows = [[Paragraph(heads[c], small) for c in PRINT_COLUMNS]]
        for rec in part[list(PRINT_COLUMNS)].itertuples(index=False, name=None):
            rows.append([Paragraph("" if _cell(v) is None else str(_cell(v)), small) for v in rec])
        table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    if not groups:
        story.append(Paragraph(title, styles["Heading3"]))
    doc.build(story)
    return path


def write_named_gpkg(
    frame: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    path: Path,
    *,
    info: dict | None = None,
    lang: str = "id",
) -> Path:
    """The offline field GeoPackage with name and address columns in its points layer."""
    path = Path(path)
    base = frame.drop(columns=list(IDENTITY_COLUMNS))
    codes = set(frame[S.KODE_DESA].astype(str))
    outline = desa[desa["kode"].astype(str).isin(codes)]
    write_sample_gpkg(base, outline, path, info=info, lang=lang)
    con = sqlite3.connect(path)
    # GDAL's R-tree triggers name ST_* functions that only GDAL defines. Updating attribute
    # columns never runs them (their WHEN needs a changed fid or an UPDATE OF geom), but
    # SQLite resolves every name when it prepares the statement: stand-ins that are never
    # called let it prepare.
    for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(fn, 1, _never_called)
    try:
        for c in IDENTITY_COLUMNS:
            con.execute(f'ALTER TABLE "{LAYER_POINTS}" ADD COLUMN "{c}" TEXT')
        values = [
            (*[None if pd.isna(r[c]) else str(r[c]) for c in IDENTITY_COLUMNS], str(r[S.ID]))
            for _, r in frame.iterrows()
        ]
        sets = ", ".join(f'"{c}" = ?' for c in IDENTITY_COLUMNS)
        con.executemany(f'UPDATE "{LAYER_POINTS}" SET {sets} WHERE "{S.ID}" = ?', values)
        con.commit()
    finally:
        con.close()
    return path


def _never_called(_geom):
    raise RuntimeError("GeoPackage R-tree trigger ran outside GDAL")


def write_opensid_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """An OpenSID exchange list: one sheet ``opensid``; NIK, KK, RT, RW and codes as text."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "opensid"
    cols = list(frame.columns)
    ws.append(cols)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for rec in frame.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in rec])
    for j, c in enumerate(cols, start=1):
        if c in ("nik", "no_kk", "kode_desa", "rt", "rw"):
            for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                row[0].number_format = "@"
                if row[0].value is not None:
                    row[0].value = str(row[0].value)
        ws.column_dimensions[get_column_letter(j)].width = 20
    ws.freeze_panes = "A2"
    wb.save(path)
    return path


def read_named_results(path: str | Path) -> pd.DataFrame:
    """Results returned on a named list (XLSX: every desa sheet; CSV) WITHOUT the identity
    columns, ready for the ground-check result import. OpenSID files are read by
    :func:`read_opensid`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        wb = load_workbook(path, read_only=True, data_only=True)
        parts = []
        try:
            for ws in wb.worksheets:
                if ws.title in NON_SHEETS:
                    continue
                rows = list(ws.iter_rows(min_row=2, values_only=True))
                if not rows:
                    continue
                parts.append(
                    pd.DataFrame(rows[1:], columns=[str(h) for h in rows[0]], dtype=object)
                )
        finally:
            wb.close()
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    else:
        raise InvalidInputError(
            f"Format berkas hasil tidak dikenal: {path.name} (gunakan .xlsx atau .csv)",
            f"Unknown result file format: {path.name} (use .xlsx or .csv)",
        )
    return frame.drop(columns=[c for c in IDENTITY_COLUMNS if c in frame.columns])


def read_opensid(path: str | Path) -> pd.DataFrame:
    """An OpenSID exchange file as text cells (NIK/KK kept exactly; the caller hashes them
    and drops them at once)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None, engine="python"
        )
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    raise InvalidInputError(
        f"Format berkas OpenSID tidak dikenal: {path.name} (gunakan .xlsx atau .csv)",
        f"Unknown OpenSID file format: {path.name} (use .xlsx or .csv)",
    )
