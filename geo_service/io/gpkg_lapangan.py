"""The QField-ready GeoPackage of a ground-check (uji petik) list, and reading it back.

What the file holds (GeoPackage 1.2, :mod:`geo_service.io.gpkg`):

- ``keluarga_sampel``: one point per family. Families **without a geotag** sit at a point
  inside their registered desa (``representative_point`` of the outline) with
  ``lokasi_perkiraan = 1`` and that position in ``lon_perkiraan``/``lat_perkiraan``, so
  an officer sees them, can open their form and can capture the real position by moving
  the point; a point left there is *not* read back as a new geotag;
- ``tanggal`` is a real ``DATE`` field (date picker in QField), integers are 32-bit
  integers, codes are text; ``status`` has a value map (drop-down, in the file's language)
  and an enum constraint (GDAL coded field domain);
- ``batas_desa``: outlines of **every** desa a sampled family is registered in or lies in
  (its geotag), as MultiPolygon;
- the layers' default styles in ``layer_styles`` (categorised by status, value map, date
  widget, hidden and read-only fields) and a QGIS project ``<name>.qgz`` beside the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service.i18n import teks
from geo_service.io.gpkg import (
    Category,
    ProjectLayer,
    Style,
    add_enum,
    add_styles,
    qml,
    write_layer,
    write_qgz,
)

PLACEHOLDER = "lokasi_perkiraan"
PLACEHOLDER_XY = ("lon_perkiraan", "lat_perkiraan")
STATUS_COLORS = ("51,160,44", "255,127,0", "31,120,180", "106,61,154", "227,26,28")


def qgz_path(gpkg: Path) -> Path:
    """The project beside a GeoPackage (names hold dots: never ``with_suffix``)."""
    gpkg = Path(gpkg)
    return gpkg.parent / (gpkg.name[: -len(".gpkg")] + ".qgz")


def anchors(outlines: gpd.GeoDataFrame, key: str) -> dict[str, shapely.Point]:
    """A point inside each outline, by code."""
    pts = shapely.point_on_surface(outlines.geometry.to_numpy())
    return dict(zip(outlines[key].astype(str), pts, strict=True))


def outline_codes(points: pd.DataFrame) -> set[str]:
    """Every desa a family is registered in (``kode_desa``) or lies in (``kode_desa_lokasi``,
    its geotag): the outlines the field file needs so no flagged point falls outside them."""
    codes = set(points["kode_desa"].dropna().astype(str))
    if "kode_desa_lokasi" in points.columns:
        codes |= set(points["kode_desa_lokasi"].dropna().astype(str))
    return codes


def write_field_gpkg(
    points: pd.DataFrame,
    outlines: gpd.GeoDataFrame,
    path: Path,
    *,
    layers: tuple[str, str, str, str],
    types: Mapping[str, str],
    docs: pd.DataFrame,
    statuses: Mapping[str, str],
    editable: Iterable[str],
    info: Mapping | None = None,
    lang: str = "id",
) -> Path:
    """Write the field GeoPackage and its ``.qgz`` project.

    Parameters
    ----------
    points
        One row per family: the columns to publish plus ``lon``/``lat`` (NaN: no geotag) and
        ``kode_desa`` (registered desa).
    outlines
        Desa outlines with ``kode_desa`` (and names); every desa of ``points`` should be here.
    layers
        Names of the points, outlines, column-docs and info tables.
    types
        Column -> ``integer``/``real``/``date``/``text``.
    statuses
        Status value -> label (the value map and the enum constraint).
    editable
        Columns an officer fills or corrects; every other column is read-only in the form.
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    lyr_pts, lyr_desa, lyr_docs, lyr_info = layers
    outlines = (
        outlines.to_crs(4326) if outlines.crs and outlines.crs.to_epsg() != 4326 else outlines
    )
    where = anchors(outlines, "kode_desa")
    lon = pd.to_numeric(points["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(points["lat"], errors="coerce").to_numpy(dtype=float)
    tagged = np.isfinite(lon) & np.isfinite(lat)
    spot = [
        None if t else where.get(str(k)) for t, k in zip(tagged, points["kode_desa"], strict=True)
    ]
    geoms = [
        shapely.Point(x, y) if t else s for t, x, y, s in zip(tagged, lon, lat, spot, strict=True)
    ]
    pts = pd.DataFrame(points).copy()
    pts[PLACEHOLDER] = [int(s is not None) for s in spot]
    pts[PLACEHOLDER_XY[0]] = [s.x if s is not None else np.nan for s in spot]
    pts[PLACEHOLDER_XY[1]] = [s.y if s is not None else np.nan for s in spot]
    all_types = {
        **types,
        PLACEHOLDER: "integer",
        PLACEHOLDER_XY[0]: "real",
        PLACEHOLDER_XY[1]: "real",
    }
    write_layer(
        gpd.GeoDataFrame(pts, geometry=geoms, crs=4326),
        path,
        lyr_pts,
        types=all_types,
        geometry_type="Point",
        description=teks(("Keluarga sampel uji petik", "Ground-check sample families"), lang),
    )
    write_layer(
        outlines[
            [c for c in outlines.columns if c != outlines.geometry.name] + [outlines.geometry.name]
        ],
        path,
        lyr_desa,
        types={"kode_desa": "text"},
        geometry_type="MultiPolygon",
        description=teks(("Batas desa", "Desa outlines"), lang),
    )
    extra_docs = pd.DataFrame(
        [
            (
                PLACEHOLDER,
                "integer",
                0,
                teks(
                    (
                        "1 = tanpa geotag: titik hanya di dalam desa terdaftar; geser ke rumah keluarga",
                        (
                            "1 = no geotag: the point is only inside the "
                            "registered desa; move it to the family's house"
                        ),
                    ),
                    lang,
                ),
            ),
        ],
        columns=["kolom", "tipe", "diisi_petugas", "keterangan"],
    )
    write_layer(pd.concat([docs, extra_docs], ignore_index=True), path, lyr_docs)
    meta = pd.DataFrame(
        {
            "kunci": [str(k) for k in (info or {})],
            "nilai": [
                json.dumps(v) if isinstance(v, dict | list) else str(v)
                for v in (info or {}).values()
            ],
        }
    )
    write_layer(meta, path, lyr_info)
    doc_text = dict(zip(docs["kolom"], docs["keterangan"], strict=True))
    add_enum(
        path,
        lyr_pts,
        "status",
        "status_uji_petik",
        statuses,
        descriptions={c: doc_text.get(c, "") for c in pts.columns if c in doc_text},
    )
    columns = list(pts.columns)
    allowed = set(editable)
    unset = teks(("(belum dikunjungi)", "(not yet visited)"), lang)
    point_style = Style(
        geometry="point",
        categorize_by="status",
        categories=[Category(None, unset, "160,160,160")]
        + [
            Category(value, label, STATUS_COLORS[i % len(STATUS_COLORS)])
            for i, (value, label) in enumerate(statuses.items())
        ],
        value_maps={"status": list(statuses.items())},
        dates=[c for c, t in types.items() if t == "date"],
        hidden=list(PLACEHOLDER_XY),
        read_only=[c for c in columns if c not in allowed],
    )
    outline_cols = [c for c in outlines.columns if c != outlines.geometry.name]
    desa_style = Style(
        geometry="polygon",
        color="90,90,90",
        label_field="nama_desa" if "nama_desa" in outline_cols else None,
        read_only=outline_cols,
    )
    add_styles(
        path,
        {
            lyr_pts: ("uji_petik", qml(point_style, columns)),
            lyr_desa: ("batas_desa", qml(desa_style, outline_cols)),
        },
    )
    title = teks(("Uji petik", "Ground check"), lang)
    write_qgz(
        qgz_path(path),
        path,
        [
            ProjectLayer(
                lyr_pts,
                teks(("Keluarga sampel", "Sample families"), lang),
                "Point",
                point_style,
                columns,
            ),
            ProjectLayer(
                lyr_desa,
                teks(("Batas desa", "Desa outlines"), lang),
                "MultiPolygon",
                desa_style,
                outline_cols,
            ),
        ],
        title=f"{title} — {path.name}",
    )
    return path


def read_field_points(path: Path, layer: str) -> pd.DataFrame:
    """The points layer as a table: point positions become ``lat``/``lon`` (a moved or newly
    captured point is a new geotag); a family left at its placeholder keeps no geotag."""
    gdf = pyogrio.read_dataframe(path, layer=layer)
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    for col in frame.columns:  # DATE fields: ISO text, empty (never "NaT") when not filled
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = [None if pd.isna(v) else v.date().isoformat() for v in frame[col]]
    geom = gdf.geometry
    has = (geom.notna() & ~geom.is_empty).to_numpy()
    x = np.full(len(gdf), np.nan)
    y = np.full(len(gdf), np.nan)
    x[has] = shapely.get_x(geom[has].to_numpy())
    y[has] = shapely.get_y(geom[has].to_numpy())
    if PLACEHOLDER in frame.columns:
        px = pd.to_numeric(frame.get(PLACEHOLDER_XY[0]), errors="coerce").to_numpy(dtype=float)
        py = pd.to_numeric(frame.get(PLACEHOLDER_XY[1]), errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            left = (np.abs(x - px) < 1e-7) & (np.abs(y - py) < 1e-7)
        x[left] = np.nan
        y[left] = np.nan
        frame = frame.drop(columns=[PLACEHOLDER, *PLACEHOLDER_XY], errors="ignore")
    moved = np.isfinite(x) & np.isfinite(y)
    if "lat" in frame.columns:
        frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce").astype("float64")
        frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce").astype("float64")
    frame.loc[moved, "lat"] = y[moved]
    frame.loc[moved, "lon"] = x[moved]
    return frame
