"""Response bodies in the formats a person opens: GeoJSON, JSON rows, CSV (UTF-8 BOM), XLSX."""

from __future__ import annotations

import io
import json
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from geo_service.analysis._util import jsonable
from geo_service.i18n import teks
from geo_service.io import geojson, gpkg
from geo_service.io.cells import neutralise_frame
from geo_service.io.export import csv_text
from geo_service.io.report import header

CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON_MEDIA = "application/geo+json"
GPKG_MEDIA = gpkg.GPKG_MEDIA

Format = Literal["json", "geojson", "csv", "xlsx", "gpkg"]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (missing values as ``null``), geometry dropped."""
    frame = frame.drop(columns="geometry", errors="ignore")
    cols = list(frame.columns)
    return [
        {c: jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def feature_collection(
    gdf: gpd.GeoDataFrame, *, precision: int = 6, simplify_deg: float | None = None
) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection (EPSG:4326, no ``crs``, right-hand rule, one geometry
    type, coordinates rounded): :func:`geo_service.io.geojson.feature_collection`."""
    return geojson.feature_collection(gdf, precision=precision, simplify_deg=simplify_deg)


def gpkg_response(frame: pd.DataFrame, filename: str, *, layer: str) -> Response:
    """A GeoPackage 1.2 download (one layer; field names and list values whole, unlike a
    Shapefile), next to every GeoJSON: :func:`geo_service.io.gpkg.gpkg_bytes`."""
    return Response(
        gpkg.gpkg_bytes({layer: frame}),
        media_type=gpkg.GPKG_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_response(frame: pd.DataFrame, filename: str, *, convention: str = "standar") -> Response:
    """CSV with a UTF-8 BOM so Excel shows the characters right, text quoted so codes stay
    text; ``convention`` ``standar`` (``,`` and ``.``) or ``id`` (``;`` and ``,``)."""
    body = csv_text(frame, convention=convention)
    return Response(
        ("\ufeff" + body).encode("utf-8"),
        media_type=CSV_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def xlsx_response(
    frame: pd.DataFrame,
    filename: str,
    *,
    sheet: str = "Data",
    notes: list[str] | None = None,
    lang: str = "id",
) -> Response:
    """A formatted one-table workbook (bold frozen header, filter, widths) plus a notes sheet."""

    frame = neutralise_frame(frame.drop(columns="geometry", errors="ignore"))
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    cols = list(frame.columns)
    ws.append([header(c, lang) for c in cols])
    for row in records(frame):
        ws.append(
            [
                (
                    "; ".join(map(str, v))
                    if isinstance(v, list)
                    else (json.dumps(v) if isinstance(v, dict) else v)
                )
                for v in row.values()
            ]
        )
    for j, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8E8E8")
        width = max([len(str(cell.value))] + [len(str(v)) for v in frame[col].head(200)])
        ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
        if col.startswith(("pct", "skor")):
            for r in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                r[0].number_format = "0.0"
    ws.freeze_panes = "A2"
    if cols:
        ws.auto_filter.ref = ws.dimensions
    if notes:
        info = wb.create_sheet(teks(("Keterangan", "Notes"), lang))
        info.column_dimensions["A"].width = 110
        for line in notes:
            info.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(
        buf.getvalue(),
        media_type=XLSX_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
