"""Exports a person opens: CSV for spreadsheets (UTF-8 BOM, text quoted), formatted XLSX
workbooks, GeoJSON, and all-or-nothing output folders.

CSV conventions (``convention``):

- ``"standar"`` (default): ``,`` between fields and ``.`` as decimal mark; for programs,
  and for spreadsheets set to English (US) or any ``.``-decimal locale.
- ``"id"``: ``;`` between fields and ``,`` as decimal mark, the convention of a spreadsheet
  set to Bahasa Indonesia (its decimals then open as numbers, not text).

In both, every text value (codes such as ``kode_kab`` ``33.20``, names) is quoted and
numbers are not, so a spreadsheet that keeps quoted fields as text (LibreOffice: "Format
quoted field as text"; Excel: Data > From Text/CSV with the code columns as Text) never
turns ``33.20`` into ``33.2``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo_service.i18n import column_description, column_header, pick
from geo_service.io import geojson
from geo_service.io.cells import FORMULA_START, neutralise

CSV_CONVENTIONS: dict[str, tuple[str, str]] = {"standar": (",", "."), "id": (";", ",")}
#: Other names a person may type for a convention (``--csv-gaya intl``).
CSV_ALIASES = {"intl": "standar", "en": "standar", "us": "standar", "indonesia": "id"}
#: The environment variable that sets the default convention (``geo-service --csv-gaya``).
CSV_ENV = "GEO_CSV_GAYA"


def csv_convention(name: str | None = None) -> str:
    """The CSV convention called ``name`` (``standar``/``intl`` or ``id``); without a name
    the one set in ``GEO_CSV_GAYA`` (``geo-service --csv-gaya id ...``), else ``standar``."""
    raw = (name if name is not None else os.environ.get(CSV_ENV, "")) or "standar"
    conv = CSV_ALIASES.get(raw.strip().lower(), raw.strip().lower())
    if conv not in CSV_CONVENTIONS:
        raise ValueError(f"CSV convention must be one of standar, intl, id (got {raw!r})")
    return conv


def csv_text(frame: pd.DataFrame, *, convention: str | None = None) -> str:
    """The CSV body of ``frame`` (no BOM): text quoted so codes stay text, numbers plain
    with the decimal mark of ``convention``, CRLF line ends.

    Column by column (each column's fields as one list of strings, then one join per row),
    the same text as :func:`_csv_text` / :func:`_csv_number` field by field."""
    sep, decimal = CSV_CONVENTIONS[csv_convention(convention)]
    keep = [j for j, c in enumerate(frame.columns) if c != "geometry"]
    fields = [_csv_column(frame.iloc[:, j], decimal) for j in keep]
    lines = [sep.join(_csv_text(frame.columns[j]) for j in keep)]
    lines += [sep.join(row) for row in zip(*fields, strict=True)] if fields else [""] * len(frame)
    return "\r\n".join(lines) + "\r\n"


def _csv_column(col: pd.Series, decimal: str) -> list[str]:
    """The CSV fields of one column: numbers (not booleans) plain, all else quoted text."""
    dtype = col.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return _csv_text_column(col)
    plain = dtype if isinstance(dtype, np.dtype) else getattr(dtype, "numpy_dtype", None)
    if plain is None or plain.kind not in "iuf":
        return [_csv_number(v, decimal) for v in col]  # complex, ...
    if isinstance(dtype, np.dtype):
        values, missing = col.to_numpy(), []
    else:  # nullable (Int64, Float64, Arrow): the values, and where they are missing
        values = col.to_numpy(dtype=plain, na_value=0)
        missing = np.flatnonzero(col.isna().to_numpy()).tolist()
    if plain.kind == "f":  # repr, as :func:`_csv_number`; NaN empty
        text = list(map(repr, values.tolist()))
        missing += np.flatnonzero(np.isnan(values)).tolist()
    else:
        text = list(map(str, values.tolist()))
    if decimal != ".":
        text = [t.replace(".", decimal) for t in text]
    for i in missing:
        text[i] = ""
    return text


def _csv_text_column(col: pd.Series) -> list[str]:
    """:func:`_csv_text` of every value of a column: missing values empty, the rest quoted
    (with quotes doubled) after :func:`~geo_service.io.cells.neutralise`."""
    dtype = col.dtype
    if (isinstance(dtype, np.dtype) and dtype.kind in "Ob") or isinstance(dtype, pd.StringDtype):
        values = col.to_numpy().tolist()  # the values the Series yields, in one step
    else:
        values = list(col)
    text = [v if type(v) is str else str(v) for v in values]
    for i, t in enumerate(text):
        if t[:1] in FORMULA_START:
            text[i] = str(neutralise(t))
    text = ['"' + t.replace('"', '""') + '"' if '"' in t else '"' + t + '"' for t in text]
    for i in np.flatnonzero(col.isna().to_numpy()).tolist():
        if not isinstance(values[i], str | list | tuple):
            text[i] = ""
    return text


def write_csv(frame: pd.DataFrame, path: Path, *, convention: str | None = None) -> Path:
    """CSV that spreadsheets open right: UTF-8 with BOM, text quoted (codes stay text),
    numbers plain; ``convention`` ``"standar"`` (``,`` and ``.``) or ``"id"`` (``;`` and
    ``,``, the Indonesian spreadsheet convention); None: :func:`csv_convention`."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(csv_text(frame, convention=convention))
    return path


def _csv_text(value: Any) -> str:
    """A text field, always quoted (so codes stay text); missing values empty."""
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return ""
    return '"' + str(neutralise(str(value))).replace('"', '""') + '"'


def _csv_number(value: Any, decimal: str) -> str:
    """A number unquoted, with ``decimal`` as decimal mark; missing values empty."""
    if pd.isna(value):
        return ""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = repr(value)
    else:
        text = str(value)
    return text.replace(".", decimal) if decimal != "." else text


def number_format(col: str, series: pd.Series) -> str | None:
    """The XLSX number format of a numeric column (``None`` for text): counts
    ``#,##0``, percentages ``0.0``, p-values ``0.0000``, scores ``0.000``, other decimals
    ``#,##0.0##``. Shown with the separators of the reader's spreadsheet locale."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if col.startswith("pct") or col.startswith("persen"):
        return "0.0"
    if col in ("p_value", "gi_p", "gi_q") or col.startswith(("gi_p", "gi_q")):
        return "0.0000"
    if col.startswith("skor") or col in ("stabilitas", "peluang_teratas"):
        return "0.000"
    values = series.dropna()
    if pd.api.types.is_integer_dtype(series) or (len(values) and (values % 1 == 0).all()):
        return "#,##0"
    return "#,##0.0##"


def xlsx_value(value: Any) -> Any:
    """A cell value: numbers stay numbers, missing values empty, lists joined."""
    kind = type(value)  # the common plain types first, without pd.isna per cell
    if kind is str:
        return neutralise(value)
    if kind is int or kind is bool:
        return value
    if kind is float:
        return None if value != value else value
    if value is None or (not isinstance(value, str | list | tuple | dict) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return neutralise("; ".join(str(v) for v in value))
    if isinstance(value, dict):
        return neutralise(str(value))
    return neutralise(value)


def fill_sheet(ws: Any, frame: pd.DataFrame, *, lang: str = "id", translate: bool = True) -> None:
    """Write ``frame`` into worksheet ``ws`` for reading and printing: catalogue headers
    (bold, frozen, filtered), numbers as numbers with formats, column widths by content,
    landscape, fit to one page wide, header row repeated on every printed page."""
    frame = frame.drop(columns="geometry", errors="ignore")
    cols = list(frame.columns)
    ws.append([column_header(c, lang) if translate else c for c in cols])
    for rec in frame.itertuples(index=False):
        ws.append([xlsx_value(v) for v in rec])
    for j, col in enumerate(cols, start=1):
        head = ws.cell(row=1, column=j)
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor="E8E8E8")
        head.alignment = Alignment(wrap_text=True, vertical="top")
        longest = max(
            [min(len(str(head.value)), 24)]
            + [len(str(v)) for v in frame[col].head(300).tolist() if v is not None]
        )
        ws.column_dimensions[get_column_letter(j)].width = min(max(9, longest + 2), 60)
        fmt = number_format(col, frame[col])
        if fmt:
            for (c,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                c.number_format = fmt
    ws.freeze_panes = "A2"
    if len(frame):
        ws.auto_filter.ref = ws.dimensions
    print_setup(ws)


def print_setup(ws: Any) -> None:
    """Landscape A4, one page wide, header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


COLUMN_SHEET = {
    "id": {"title": "Keterangan kolom", "head": ["Kolom", "Nama teknis", "Arti"]},
    "en": {"title": "Columns", "head": ["Column", "Name", "Meaning"]},
}


def column_sheet(wb: Any, columns: list[str], *, lang: str = "id") -> None:
    """A sheet explaining each column (header, column name, meaning) from the catalogue."""
    t = pick(COLUMN_SHEET, lang)
    title = t["title"]
    ws = wb.create_sheet(title)
    ws.append(t["head"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    seen = set()
    for col in columns:
        if col in seen or col == "geometry":
            continue
        seen.add(col)
        ws.append([column_header(col, lang), col, column_description(col, lang)])
        ws.cell(row=ws.max_row, column=3).alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 80
    ws.freeze_panes = "A2"
    print_setup(ws)


def write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, precision: int = 6) -> Path:
    """RFC 7946 GeoJSON (EPSG:4326, no ``crs``, right-hand rule, one geometry type per layer,
    coordinates rounded to ``precision`` decimals): :func:`geo_service.io.geojson.write_geojson`."""
    return geojson.write_geojson(gdf, path, precision=precision)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, *, lang: str = "id") -> Path:
    """A formatted workbook (:func:`fill_sheet` per sheet) with a sheet explaining the
    columns (:func:`column_sheet`)."""
    wb = Workbook()
    wb.remove(wb.active)
    columns: list[str] = []
    for name, frame in sheets.items():
        fill_sheet(wb.create_sheet(name[:31]), frame, lang=lang)
        columns += [c for c in frame.columns if c != "geometry"]
    column_sheet(wb, columns, lang=lang)
    wb.save(path)
    return path


def write_json(obj: dict, path: Path) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


@contextmanager
def output_dir(target: Path) -> Iterator[Path]:
    """A temporary folder whose files move into ``target`` only if the block succeeds.

    On any error the temporary folder is removed and ``target`` is left as it was. Files
    in ``target`` that the block does not write are left alone.
    """
    target = Path(target)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".geo-service-", dir=target))
    try:
        yield tmp
        for item in sorted(tmp.iterdir()):
            os.replace(item, target / item.name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
