"""Field files for officers: the sample list as XLSX (drop-down status, instructions), CSV
(UTF-8 with BOM) and an offline GeoPackage for QField; one file per desa or officer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.errors import InvalidInputError
from geo_service.i18n import msg, teks
from geo_service.io.export import print_setup
from geo_service.io.gpkg_lapangan import outline_codes, write_field_gpkg

LAYER_POINTS = "keluarga_sampel"


LAYER_DESA = "batas_desa"


LAYER_DOCS = "keterangan_kolom"


LAYER_INFO = "info_sampel"


# column -> (type, filled by the officer?, Bahasa Indonesia, English)
FIELD_DOCS: dict[str, tuple[str, bool, str, str]] = {
    "urutan": (
        "integer",
        False,
        "Nomor urut dalam daftar (keluarga berbendera lebih dulu)",
        "Position in the list (flagged families first)",
    ),
    S.ID: (
        "text",
        False,
        "ID keluarga (pseudonim DTSEN); jangan diubah",
        "Family id (DTSEN pseudonym); do not change",
    ),
    S.KODE_DESA: (
        "text",
        True,
        "Kode desa terdaftar; ubah hanya bila keluarga pindah (status 'pindah')",
        "Registered desa code; change only when the family moved (status 'pindah')",
    ),
    "nama_desa": ("text", False, "Nama desa terdaftar", "Registered desa name"),
    "kode_desa_lokasi": (
        "text",
        False,
        "Desa tempat titik geotag berada",
        "Desa the geotag lies in",
    ),
    "lat": ("real", False, "Lintang geotag saat ini (WGS84)", "Current geotag latitude (WGS84)"),
    "lon": ("real", False, "Bujur geotag saat ini (WGS84)", "Current geotag longitude (WGS84)"),
    "ada_geotag": (
        "integer",
        False,
        "1 = keluarga punya geotag, 0 = tidak (titik kosong)",
        "1 = family has a geotag, 0 = none (empty point)",
    ),
    "jumlah_art": (
        "integer",
        True,
        "Jumlah anggota keluarga; perbaiki bila berbeda",
        "Number of family members; correct if different",
    ),
    "desil": (
        "integer",
        False,
        "Desil DTSEN (dihitung pusat, tidak diubah)",
        "DTSEN decile (computed centrally, not edited)",
    ),
    **{
        c: ("integer", True, f"{c}: 0/1; perbaiki bila berbeda", f"{c}: 0/1; correct if different")
        for c in S.FLAG_COLUMNS
    },
    "jenis": (
        "text",
        False,
        "'acak' = sampel acak (untuk taksiran galat), 'bendera' = dipilih karena ada alasan",
        "'acak' = random sample (for error estimates), 'bendera' = chosen for a reason",
    ),
    "alasan": ("text", False, "Kode alasan bendera (dipisah ';')", "Flag reason codes (';')"),
    "alasan_teks": ("text", False, "Alasan bendera dalam kalimat", "Flag reasons in words"),
    "strata": ("text", False, "Strata desil sampel acak", "Desil stratum of the random part"),
    "kantong": ("text", False, "ID kantong kemiskinan (bila ada)", "Poverty pocket id, if any"),
    "petugas": (
        "text",
        True,
        "Nama petugas/pendamping yang mengunjungi",
        "Officer/facilitator who visits",
    ),
    "status": (
        "text",
        True,
        "Hasil kunjungan: " + ", ".join(G.STATUSES),
        "Visit result: " + ", ".join(G.STATUSES),
    ),
    "tanggal": ("text", True, "Tanggal kunjungan, YYYY-MM-DD", "Visit date, YYYY-MM-DD"),
    "lat_baru": (
        "real",
        True,
        "Lintang geotag baru (kosongkan bila tetap)",
        "New geotag latitude (leave empty if unchanged)",
    ),
    "lon_baru": (
        "real",
        True,
        "Bujur geotag baru (kosongkan bila tetap)",
        "New geotag longitude (leave empty if unchanged)",
    ),
    "catatan": (
        "text",
        True,
        "Catatan petugas (tanpa NIK/nama)",
        "Officer's note (no NIK or names)",
    ),
}


EXPORT_COLUMNS: tuple[str, ...] = tuple(FIELD_DOCS)


# The GeoPackage takes the new geotag from the point itself, not from lat_baru/lon_baru.
GPKG_COLUMNS: tuple[str, ...] = tuple(
    c for c in EXPORT_COLUMNS if c not in ("lat_baru", "lon_baru")
)


RESULT_FILL = ("petugas", "status", "tanggal", "lat_baru", "lon_baru", "catatan")


def field_docs(lang: str = "id", columns: Iterable[str] = EXPORT_COLUMNS) -> pd.DataFrame:
    """The column documentation as a table (``kolom``, ``tipe``, ``diisi_petugas``,
    ``keterangan``)."""
    rows = [
        (
            c,
            FIELD_DOCS[c][0],
            int(FIELD_DOCS[c][1]),
            teks((FIELD_DOCS[c][2], FIELD_DOCS[c][3]), lang),
        )
        for c in columns
    ]
    return pd.DataFrame(rows, columns=["kolom", "tipe", "diisi_petugas", "keterangan"])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", str(text)).strip("_") or "tanpa_nama"


def export_frame(
    daftar: pd.DataFrame, desa: pd.DataFrame | None = None, *, lang: str = "id"
) -> pd.DataFrame:
    """The sample list as officers see it (``EXPORT_COLUMNS``), result columns empty."""
    out = daftar.copy()
    if desa is not None and "nama" in desa.columns:
        names = pd.Series(desa["nama"].to_numpy(), index=desa["kode"].astype(str))
        out["nama_desa"] = out[S.KODE_DESA].astype(str).map(names)
    else:
        out["nama_desa"] = None
    out["ada_geotag"] = (out["lat"].notna() & out["lon"].notna()).astype(np.int64)
    out["alasan_teks"] = [
        "; ".join(G.flag_text(c, lang) for c in str(a).split(";") if c)
        if isinstance(a, str)
        else ""
        for a in out["alasan"]
    ]
    for c in ("status", "tanggal", "lat_baru", "lon_baru", "catatan"):
        out[c] = None
    for c in S.FLAG_COLUMNS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    out["lat_baru"] = out["lat_baru"].astype("float64")
    out["lon_baru"] = out["lon_baru"].astype("float64")
    return out[list(EXPORT_COLUMNS)].sort_values("urutan", kind="stable").reset_index(drop=True)


def _groups(frame: pd.DataFrame, per: str) -> list[tuple[str, pd.DataFrame]]:
    if per not in ("desa", "petugas"):
        raise InvalidInputError(
            "--per harus 'desa' atau 'petugas'", "--per must be 'desa' or 'petugas'"
        )
    key = S.KODE_DESA if per == "desa" else "petugas"
    labels = frame[key].astype(object).where(frame[key].notna(), "tanpa_petugas")
    return [(str(k), frame[labels == k]) for k in sorted(labels.unique(), key=str)]


def export_sample(
    daftar: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    out_dir: Path,
    *,
    per: str = "desa",
    formats: Iterable[str] = ("xlsx", "csv", "gpkg"),
    info: dict | None = None,
    lang: str = "id",
) -> list[Path]:
    """Write the sample per desa (or per officer) in the chosen formats; return the files.

    Also writes ``ringkasan_uji_petik.csv``: one row per group with its file stem and counts.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    formats = tuple(formats)
    bad = [f for f in formats if f not in ("xlsx", "csv", "gpkg")]
    if bad:
        raise InvalidInputError(
            f"Format tidak dikenal: {', '.join(bad)}", f"Unknown format: {', '.join(bad)}"
        )
    frame = export_frame(daftar, desa, lang=lang)
    info = dict(info or {})
    written: list[Path] = []
    summary = []
    for label, part in _groups(frame, per):
        stem = f"uji_petik_{_slug(label)}"  # desa codes hold dots: never with_suffix
        if "csv" in formats:
            written.append(_write_csv(part, out_dir / f"{stem}.csv"))
        if "xlsx" in formats:
            written.append(write_sample_xlsx(part, out_dir / f"{stem}.xlsx", info=info, lang=lang))
        if "gpkg" in formats:
            # Every desa a family is registered in or lies in (its geotag).
            outline = desa[desa["kode"].astype(str).isin(outline_codes(part))]
            written.append(
                write_sample_gpkg(part, outline, out_dir / f"{stem}.gpkg", info=info, lang=lang)
            )
        summary.append(
            {
                "grup": label,
                "berkas": stem,
                "n_keluarga": len(part),
                "n_acak": int((part["jenis"] == G.JENIS_ACAK).sum()),
                "n_bendera": int((part["jenis"] == G.JENIS_BENDERA).sum()),
                "n_desa": int(part[S.KODE_DESA].nunique()),
            }
        )
    written.append(_write_csv(pd.DataFrame(summary), out_dir / "ringkasan_uji_petik.csv"))
    return written


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_sample_xlsx(
    frame: pd.DataFrame, path: Path, *, info: dict | None = None, lang: str = "id"
) -> Path:
    """One officer's workbook: ``daftar`` (drop-down for status), ``petunjuk``, ``info``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "daftar"
    cols = list(frame.columns)
    ws.append(cols)
    for rec in frame.itertuples(index=False):
        ws.append([_xl(v) for v in rec])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for j, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = bold
        if c in RESULT_FILL:
            cell.fill = fill
        # Wide enough for the longest value (the full family id is never cut off).
        longest = max([len(c) + 4, *(len(str(v)) + 2 for v in frame[c].head(2000))])
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(60, longest))
    ws.freeze_panes = "C2"
    # Printing: landscape, one page wide, header row on every page, one desa per page.
    print_setup(ws)
    if S.KODE_DESA in cols:
        codes = frame[S.KODE_DESA].astype(str).tolist()
        for i in range(1, len(codes)):
            if codes[i] != codes[i - 1]:
                ws.row_breaks.append(Break(id=i + 1))  # after sheet row i + 1 (row 1: header)
    n = max(len(frame), 1) + 1
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(G.STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=msg("lapangan_status_salah", lang),
        error=msg("lapangan_pilih_salah_satu", lang, pilihan=", ".join(G.STATUSES)),
    )
    col = get_column_letter(cols.index("status") + 1)
    dv.add(f"{col}2:{col}{max(n, 500)}")
    ws.add_data_validation(dv)

    doc = wb.create_sheet("petunjuk")
    doc.append(
        [
            msg("lapangan_kolom", lang),
            msg("lapangan_tipe", lang),
            msg("lapangan_diisi_petugas", lang),
            msg("lapangan_keterangan", lang),
        ]
    )
    for rec in field_docs(lang, cols).itertuples(index=False):
        doc.append(
            [
                rec.kolom,
                rec.tipe,
                msg("ya", lang) if rec.diisi_petugas else "",
                rec.keterangan,
            ]
        )
    doc.append([])
    doc.append(
        [
            "status",
            "",
            "",
            "; ".join(f"{k} = {teks(v, lang)}" for k, v in G.STATUS_HASIL.items()),
        ]
    )
    for c in doc[1]:
        c.font = bold
    doc.column_dimensions["A"].width = 22
    doc.column_dimensions["D"].width = 90

    meta = wb.create_sheet("info")
    for k, v in (info or {}).items():
        meta.append([str(k), _xl(v if not isinstance(v, dict | list) else json.dumps(v))])
    path = Path(path)
    wb.save(path)
    return path


def _xl(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def write_sample_gpkg(
    frame: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    path: Path,
    *,
    info: dict | None = None,
    lang: str = "id",
) -> Path:
    """The QField-ready GeoPackage of one group (:mod:`geo_service.io.gpkg_lapangan`): family
    points (families without a geotag at a flagged point inside their desa), desa outlines,
    column docs, sample info, stored styles and a ``.qgz`` project beside it."""
    cols = [c for c in ("kode", "nama", "kode_kec", "nama_kec") if c in desa.columns]
    outline = gpd.GeoDataFrame(
        desa[cols].rename(columns={"kode": S.KODE_DESA, "nama": "nama_desa"}),
        geometry=desa.geometry.to_numpy(),
        crs=desa.crs,
    )
    types = {c: "date" if c == "tanggal" else FIELD_DOCS[c][0] for c in GPKG_COLUMNS}
    docs = field_docs(lang, GPKG_COLUMNS)
    docs.loc[docs["kolom"] == "tanggal", "tipe"] = "date"
    return write_field_gpkg(
        frame[list(GPKG_COLUMNS)],
        outline,
        path,
        layers=(LAYER_POINTS, LAYER_DESA, LAYER_DOCS, LAYER_INFO),
        types=types,
        docs=docs,
        statuses={k: teks(v, lang) for k, v in G.STATUS_HASIL.items()},
        editable=[c for c in GPKG_COLUMNS if FIELD_DOCS[c][1]],
        info=info,
        lang=lang,
    )
