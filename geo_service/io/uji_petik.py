"""Fieldwork files: sample lists for officers (XLSX, CSV, offline GeoPackage), returned
results (CSV, XLSX or the GeoPackage), and the file-based sample store.

Exports
-------
Per desa or per officer (``petugas``), three files with the same rows and columns
(``FIELD_DOCS``, in that order):

- ``uji_petik_<grup>.xlsx``: sheet ``daftar`` (frozen header, a drop-down list for
  ``status``, result columns shaded), sheet ``petunjuk`` (every column explained), sheet
  ``info`` (sample id, seed, periode);
- ``uji_petik_<grup>.csv``: UTF-8 with BOM (Excel shows the characters right);
- ``uji_petik_<grup>.gpkg``: an offline GeoPackage for QField or other GDAL-based field apps:
  layer ``keluarga_sampel`` (points; families without a geotag have an empty geometry and
  ``ada_geotag = 0``), layer ``batas_desa`` (desa outlines), attribute tables
  ``keterangan_kolom`` (column documentation) and ``info_sampel``. Column descriptions are
  also written to ``gpkg_data_columns`` and ``status`` gets an enum constraint
  (``gpkg_data_column_constraints``, GeoPackage schema extension), which GDAL reads as a
  coded field domain so QGIS/QField can show a drop-down.

Officers fill ``status``, ``petugas``, ``tanggal`` and ``catatan``, correct contract fields
in place (``jumlah_art``, programme and deprivation flags, ``kode_desa`` when moved) and give
a new geotag in ``lat_baru``/``lon_baru`` (spreadsheets) or by moving/capturing the point
(GeoPackage).

Imports
-------
:func:`import_field_results` reads any of the three formats, checks every row
(:func:`~geo_service.analysis.uji_petik.validate_field_results`), and by default imports
nothing when any row has a problem; with ``partial=True`` the valid rows are imported and the
others reported. Results are merged per family (idempotent: the same file twice changes
nothing).

Store
-----
:class:`SampleStore` keeps one sample in a folder: ``sampel.json`` (id, kabupaten, periode,
parameters), ``daftar.parquet``, ``design.parquet``, ``hasil.parquet`` and ``impor.jsonl``
(one line per import). Every write goes to a temporary file first and replaces the old one
atomically. This is the store of the file-based CLI (``geo-service uji-petik``); the service
keeps samples and results in the database (:mod:`geo_service.db.repo.uji_petik`, which gives
back the same frames).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service import __version__
from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.errors import InvalidInputError, NotFoundError

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
            FIELD_DOCS[c][3] if lang == "en" else FIELD_DOCS[c][2],
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
            codes = set(part[S.KODE_DESA].astype(str))
            outline = desa[desa["kode"].astype(str).isin(codes)]
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
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

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
        ws.column_dimensions[get_column_letter(j)].width = max(10, min(40, len(c) + 4))
    ws.freeze_panes = "C2"
    n = max(len(frame), 1) + 1
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(G.STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status" if lang == "en" else "Status tidak valid",
        error=("Choose one of: " if lang == "en" else "Pilih salah satu: ") + ", ".join(G.STATUSES),
    )
    col = get_column_letter(cols.index("status") + 1)
    dv.add(f"{col}2:{col}{max(n, 500)}")
    ws.add_data_validation(dv)

    doc = wb.create_sheet("petunjuk")
    doc.append(
        [
            "Kolom" if lang != "en" else "Column",
            "Tipe" if lang != "en" else "Type",
            "Diisi petugas" if lang != "en" else "Filled by officer",
            "Keterangan" if lang != "en" else "Description",
        ]
    )
    for rec in field_docs(lang, cols).itertuples(index=False):
        doc.append(
            [
                rec.kolom,
                rec.tipe,
                "ya"
                if rec.diisi_petugas and lang != "en"
                else ("yes" if rec.diisi_petugas else ""),
                rec.keterangan,
            ]
        )
    doc.append([])
    doc.append(
        [
            "status",
            "",
            "",
            "; ".join(f"{k} = {v[1] if lang == 'en' else v[0]}" for k, v in G.STATUS_HASIL.items()),
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
    """An offline GeoPackage: family points, desa outlines, column docs and sample info."""
    path = Path(path)
    if path.exists():
        path.unlink()
    pts = frame[list(GPKG_COLUMNS)].copy()
    geom = [
        shapely.Point(x, y) if pd.notna(x) and pd.notna(y) else None
        for x, y in zip(frame["lon"], frame["lat"], strict=True)
    ]
    for c in pts.columns:
        kind = FIELD_DOCS[c][0]
        if kind == "integer":
            pts[c] = pd.to_numeric(pts[c], errors="coerce").astype("Int64")
        elif kind == "real":
            pts[c] = pd.to_numeric(pts[c], errors="coerce").astype("float64")
        else:
            pts[c] = pts[c].astype(object).where(pts[c].notna(), None)
    gdf = gpd.GeoDataFrame(pts, geometry=geom, crs=4326)
    desc_pts = "Keluarga sampel uji petik" if lang != "en" else "Ground-check sample families"
    pyogrio.write_dataframe(
        gdf,
        path,
        layer=LAYER_POINTS,
        driver="GPKG",
        geometry_type="Point",
        layer_options={"DESCRIPTION": desc_pts},
    )
    cols = [c for c in ("kode", "nama", "kode_kec", "nama_kec") if c in desa.columns]
    outline = gpd.GeoDataFrame(
        desa[cols].rename(columns={"kode": S.KODE_DESA, "nama": "nama_desa"}),
        geometry=desa.geometry.to_numpy(),
        crs=desa.crs,
    ).to_crs(4326)
    outline["geometry"] = [
        shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in outline.geometry
    ]
    pyogrio.write_dataframe(
        outline,
        path,
        layer=LAYER_DESA,
        driver="GPKG",
        geometry_type="MultiPolygon",
        append=False,
        layer_options={"DESCRIPTION": "Batas desa" if lang != "en" else "Desa outlines"},
    )
    pyogrio.write_dataframe(field_docs(lang, GPKG_COLUMNS), path, layer=LAYER_DOCS, driver="GPKG")
    meta = pd.DataFrame(
        {
            "kunci": [str(k) for k in (info or {})],
            "nilai": [
                json.dumps(v) if isinstance(v, dict | list) else str(v)
                for v in (info or {}).values()
            ],
        }
    )
    pyogrio.write_dataframe(meta, path, layer=LAYER_INFO, driver="GPKG")
    _gpkg_schema(path, lang)
    return path


def _gpkg_schema(path: Path, lang: str) -> None:
    """Column titles/descriptions and the status enum (GeoPackage schema extension)."""
    con = sqlite3.connect(path)
    try:
        con.executescript("""
            CREATE TABLE IF NOT EXISTS gpkg_data_columns (
              table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
              description TEXT, mime_type TEXT, constraint_name TEXT,
              CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
              CONSTRAINT gdc_tn UNIQUE (table_name, name));
            CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
              constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
              min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
              description TEXT,
              CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
            CREATE TABLE IF NOT EXISTS gpkg_extensions (
              table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
              definition TEXT NOT NULL, scope TEXT NOT NULL,
              CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        """)
        for name, (text_id, text_en) in G.STATUS_HASIL.items():
            con.execute(
                "INSERT OR REPLACE INTO gpkg_data_column_constraints (constraint_name, "
                "constraint_type, value, description) VALUES (?, 'enum', ?, ?)",
                ("status_uji_petik", name, text_en if lang == "en" else text_id),
            )
        for c in GPKG_COLUMNS:
            kind, _, text_id, text_en = FIELD_DOCS[c]
            con.execute(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, "
                "name, title, description, constraint_name) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    LAYER_POINTS,
                    c,
                    c,
                    c,
                    text_en if lang == "en" else text_id,
                    "status_uji_petik" if c == "status" else None,
                ),
            )
        for table, column in (("gpkg_data_columns", None), ("gpkg_data_column_constraints", None)):
            con.execute(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_schema', "
                "'http://www.geopackage.org/spec/#extension_schema', 'read-write')",
                (table, column),
            )
        con.commit()
    finally:
        con.close()


# --- reading results --------------------------------------------------------------------


def read_field_results(path: str | Path) -> pd.DataFrame:
    """Rows of a returned result file (CSV, XLSX sheet ``daftar``, or the GeoPackage).

    CSV cells are read as text, XLSX cells as typed by Excel (dates, numbers), both turned
    into text by the checks for exact problem reports; a GeoPackage's point positions become
    ``lat``/``lon`` (so a moved or newly captured point is a new geotag).
    """
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"Berkas hasil tidak ditemukan: {path}", f"Result file not found: {path}"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if suffix == ".xlsx":
            return pd.read_excel(path, sheet_name="daftar", dtype=object)
        if suffix == ".gpkg":
            gdf = pyogrio.read_dataframe(path, layer=LAYER_POINTS)
            frame = pd.DataFrame(gdf.drop(columns="geometry"))
            has = gdf.geometry.notna() & ~gdf.geometry.is_empty
            frame.loc[has.to_numpy(), "lat"] = gdf.geometry[has].y.to_numpy()
            frame.loc[has.to_numpy(), "lon"] = gdf.geometry[has].x.to_numpy()
            return frame
    except (ValueError, OSError, KeyError, pyogrio.errors.DataSourceError) as exc:
        raise InvalidInputError(
            f"Berkas hasil tidak dapat dibaca: {path.name}",
            f"Result file cannot be read: {path.name}",
            detail=str(exc),
        ) from exc
    raise InvalidInputError(
        f"Format berkas hasil tidak dikenal: {path.name} (gunakan .csv, .xlsx atau .gpkg)",
        f"Unknown result file format: {path.name} (use .csv, .xlsx or .gpkg)",
    )


# --- the store --------------------------------------------------------------------------


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return out


class SampleStore:
    """One ground-check sample and its results in a folder (see the module docstring)."""

    META = "sampel.json"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def create(
        cls,
        folder: Path,
        sample: G.GroundCheckSample,
        *,
        kode_kab: str,
        periode: str,
        sample_id: str | None = None,
    ) -> SampleStore:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        store = cls(folder)
        meta = {
            "id": sample_id or G.sample_id(kode_kab, periode, sample.params),
            "kode_kab": kode_kab,
            "periode": periode,
            "dibuat": datetime.now(UTC).isoformat(timespec="seconds"),
            "geo_service": __version__,
            "parameter": sample.params.to_dict(),
            "n_keluarga": len(sample.daftar),
            "n_acak": len(sample.acak),
            "n_bendera": sample.n_bendera,
            "n_bendera_dipotong": sample.n_bendera_dipotong,
        }
        _atomic_write(
            folder / "daftar.parquet",
            lambda p: _parquet_safe(sample.daftar).to_parquet(p, index=False),
        )
        _atomic_write(folder / "design.parquet", lambda p: sample.design.to_parquet(p, index=False))
        _atomic_write(
            folder / cls.META,
            lambda p: p.write_text(
                json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
            ),
        )
        return store

    @property
    def meta(self) -> dict:
        path = self.folder / self.META
        if not path.exists():
            raise NotFoundError(
                f"Bukan folder sampel uji petik: {self.folder}",
                f"Not a ground-check sample folder: {self.folder}",
            )
        return json.loads(path.read_text(encoding="utf-8"))

    def sample(self) -> G.GroundCheckSample:
        meta = self.meta
        daftar = pd.read_parquet(self.folder / "daftar.parquet")
        design = pd.read_parquet(self.folder / "design.parquet")
        return G.GroundCheckSample(
            daftar=daftar,
            design=design,
            params=G.SampleParams.from_dict(meta["parameter"]),
            n_bendera=meta["n_bendera"],
            n_bendera_dipotong=meta["n_bendera_dipotong"],
        )

    def results(self) -> pd.DataFrame | None:
        path = self.folder / "hasil.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def save_results(self, frame: pd.DataFrame) -> None:
        _atomic_write(
            self.folder / "hasil.parquet", lambda p: _parquet_safe(frame).to_parquet(p, index=False)
        )

    def imports(self) -> list[dict]:
        path = self.folder / "impor.jsonl"
        if not path.exists():
            return []
        return [
            json.loads(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def log_import(self, entry: dict) -> None:
        lines = [json.dumps(e, ensure_ascii=False) for e in self.imports()]
        lines.append(json.dumps(entry, ensure_ascii=False))
        _atomic_write(
            self.folder / "impor.jsonl",
            lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"),
        )


@dataclass
class ImportOutcome:
    """What an import of field results did."""

    berkas: str
    sha256: str
    check: G.FieldResultCheck
    summary: G.MergeSummary | None
    diimpor: bool
    alasan: str = ""
    entry: dict = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_field_results(
    path: str | Path,
    store: SampleStore,
    *,
    partial: bool = False,
    today: date | None = None,
    lang: str = "id",
) -> ImportOutcome:
    """Check a result file against the stored sample and merge it into the results.

    By default nothing is imported when any row has a problem (``diimpor`` False, the
    report in ``check.problems``); ``partial=True`` imports the valid rows. Every import
    attempt is logged in ``impor.jsonl`` with its file hash and counts.
    """
    path = Path(path)
    raw = read_field_results(path)
    sample = store.sample()
    check = G.validate_field_results(raw, sample.daftar, today=today or date.today(), lang=lang)
    digest = _sha256(path)
    entry = {
        "waktu": datetime.now(UTC).isoformat(timespec="seconds"),
        "berkas": path.name,
        "sha256": digest,
        "baris": len(raw),
        "baris_kosong": check.n_kosong,
        "masalah": len(check.problems),
        "baris_sah": len(check.valid),
        "partial": partial,
    }
    if not check.ok and not partial:
        entry |= {"diimpor": False, "alasan": "ada_masalah"}
        store.log_import(entry)
        return ImportOutcome(path.name, digest, check, None, False, "ada_masalah", entry)
    merged, summary = G.merge_results(store.results(), check.valid)
    if summary.berubah:
        store.save_results(merged)
    entry |= {
        "diimpor": True,
        "baru": summary.baru,
        "diperbarui": summary.diperbarui,
        "sama": summary.sama,
        "diabaikan_lebih_lama": summary.diabaikan_lebih_lama,
    }
    store.log_import(entry)
    return ImportOutcome(path.name, digest, check, summary, True, "", entry)
