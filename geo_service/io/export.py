"""Exports a person opens: CSV for Excel (UTF-8 BOM), GeoJSON, and all-or-nothing output folders."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo_service.io import geojson


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """CSV that Excel opens with the right characters (UTF-8 with BOM)."""
    frame = frame.drop(columns="geometry", errors="ignore")
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, precision: int = 6) -> Path:
    """RFC 7946 GeoJSON (EPSG:4326, no ``crs``, right-hand rule, one geometry type per layer,
    coordinates rounded to ``precision`` decimals): :func:`geo_service.io.geojson.write_geojson`."""
    return geojson.write_geojson(gdf, path, precision=precision)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> Path:
    """A formatted workbook: bold frozen header, auto filter, column widths by content."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame = frame.drop(columns="geometry", errors="ignore")
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            ws.freeze_panes = "A2"
            if len(frame):
                ws.auto_filter.ref = ws.dimensions
            for cell in ws[1]:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDDDDD")
            for i, col in enumerate(frame.columns, start=1):
                longest = max([len(str(col)), *(len(str(v)) for v in frame[col].head(500))])
                ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 80)
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
