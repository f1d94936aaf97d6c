"""Import profiles on disk (``data/profil/*.toml`` or a user's file) and reading a source
file the way its profile says (CSV with "," or ";", XLSX sheet and header row, Parquet).

The mapping itself is pure and lives in :mod:`geo_service.analysis.profil`.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from geo_service.analysis.profil import Profil, find_header_row, profil_from_dict
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.settings import PROJECT_ROOT

PROFIL_DIR = PROJECT_ROOT / "data" / "profil"
SOURCE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
DEFAULT_PROFIL = "kontrak"


def available_profiles(folder: Path = PROFIL_DIR) -> list[str]:
    """Names of the profiles shipped with the project."""
    return sorted(p.stem for p in folder.glob("*.toml"))


def load_profil(name_or_path: str | Path, *, folder: Path = PROFIL_DIR) -> Profil:
    """A profile by name (``data/profil/NAME.toml``) or from a TOML file path."""
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix.lower() == ".toml" and path.exists()):
        path = folder / f"{text}.toml"
    if not path.exists():
        names = ", ".join(available_profiles(folder))
        raise NotFoundError(
            f"Profil impor tidak ditemukan: {text} (tersedia: {names}, atau jalur berkas .toml)",
            f"Import profile not found: {text} (available: {names}, or a .toml file path)",
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"Profil {path.name} bukan TOML yang sah: {exc}",
            f"Profile {path.name} is not valid TOML: {exc}",
        ) from exc
    return profil_from_dict(data, nama=path.stem)


def _sniff_separator(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        head = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_source(path: str | Path, profil: Profil) -> tuple[pd.DataFrame, int]:
    """The source's rows as raw cells, and the ``row_offset`` that makes the validator's
    ``baris`` equal to the spreadsheet row (header on row 3: first family on row 4).

    XLSX cells keep their type (numbers, dates, text): dates stored as Excel dates arrive
    as ``datetime``; CSV cells are text. Rows above the header row (the profile's
    ``baris_header``, or the row that matches most of its headers when that is
    ``"otomatis"``) are skipped; empty rows at the end (spreadsheets often carry formatted
    blank rows) are dropped, an empty row in between is kept (the validator reports it,
    and row numbers stay those of the sheet).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise InvalidInputError(
            f"Format berkas tidak dikenal: {path.name} (gunakan .csv, .xlsx atau .parquet)",
            f"Unknown file format: {path.name} (use .csv, .xlsx or .parquet)",
        )
    if not path.exists():
        raise NotFoundError(f"Berkas tidak ditemukan: {path}", f"File not found: {path}")
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path), 0
        if suffix == ".csv":
            sep = profil.pemisah or _sniff_separator(path)
            grid = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep, header=None
            )
            rows = grid.astype(object).where(grid != "", None).values.tolist()
        else:
            rows = _xlsx_rows(path, profil.sheet)
    except (
        UnicodeDecodeError,
        pd.errors.ParserError,
        OSError,
        ValueError,
        KeyError,
        CalamineError,
    ) as exc:
        raise InvalidInputError(
            f"Berkas tidak dapat dibaca dengan profil {profil.nama}: {path.name}",
            f"File cannot be read with profile {profil.nama}: {path.name}",
            detail=str(exc),
        ) from exc
    if not rows:
        return pd.DataFrame(), 0
    skip = find_header_row(profil, rows) if profil.baris_header is None else profil.baris_header - 1
    header = rows[skip] if skip < len(rows) else []
    names = [
        str(h).strip() if h is not None and str(h).strip() else f"kolom_{i + 1}"
        for i, h in enumerate(header)
    ]
    body = [list(r[: len(names)]) + [None] * (len(names) - len(r)) for r in rows[skip + 1 :]]
    frame = pd.DataFrame(body, columns=names, dtype=object)
    if len(frame):
        empty = frame.apply(lambda col: col.isna() | (col.astype(str).str.strip() == ""))
        filled = ~empty.all(axis=1).to_numpy()
        last = int(filled.nonzero()[0].max()) + 1 if filled.any() else 0
        frame = frame.iloc[:last].reset_index(drop=True)
    return frame, skip


def _xlsx_rows(path: Path, sheet: str | int | None) -> list[list]:
    """Every row of one sheet as Python values (calamine: ~100x faster than openpyxl on a
    large export; dates arrive as ``date``/``datetime``, empty cells as ``None``)."""
    wb = CalamineWorkbook.from_path(str(path))
    names = list(wb.sheet_names)
    if sheet is None:
        sheet = 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InvalidInputError(
                f"Lembar ke-{sheet} tidak ada dalam {path.name} (ada: {', '.join(names)})",
                f"Sheet {sheet} is not in {path.name} (found: {', '.join(names)})",
            )
        ws = wb.get_sheet_by_index(sheet)
    else:
        if sheet not in names:
            raise InvalidInputError(
                f"Lembar {sheet!r} tidak ada dalam {path.name} (ada: {', '.join(names)})",
                f"Sheet {sheet!r} is not in {path.name} (found: {', '.join(names)})",
            )
        ws = wb.get_sheet_by_name(sheet)
    return [[None if v == "" else v for v in row] for row in ws.to_python(skip_empty_area=False)]
