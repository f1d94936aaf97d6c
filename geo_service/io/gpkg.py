"""GeoPackage files QGIS 3.22 / GDAL 3.6 (Debian stable) and QField open cleanly.

- GeoPackage **1.2** (``VERSION=1.2``; newer GDAL writes 1.4 by default, which GDAL 3.6 and
  QGIS 3.22 warn about);
- typed fields: real ``DATE`` columns, 32-bit integers, text codes (written through Arrow so
  the GeoPackage column types are exact);
- areas as ``MultiPolygon`` (one geometry type per layer);
- enum constraints and column descriptions (GeoPackage schema extension: GDAL reads the
  enum as a coded field domain);
- layer styles in ``layer_styles`` (the table QGIS reads a layer's default style from), and a
  QGIS project (``.qgz``) beside the file that opens the layers with the same styles.

Styles are QGIS QML documents built here (:func:`qml`), with the edit widgets QField uses:
a value map (drop-down) for coded fields, a date picker for dates, hidden and read-only
fields.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio

from geo_service.io.geojson import rfc7946_geometries, to_wgs84

GPKG_VERSION = "1.2"
QGIS_VERSION = "3.22.16-Białowieża"
WGS84_WKT = (
    'GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,'
    '298.257223563,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",'
    '0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],'
    'ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],'
    'ANGLEUNIT["degree",0.0174532925199433]],USAGE[SCOPE["Horizontal component of 3D '
    'system."],AREA["World."],BBOX[-90,-180,90,180]],ID["EPSG",4326]]'
)


def typed(frame: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """Columns cast to exact GeoPackage types: ``integer`` (32-bit), ``integer64``, ``real``,
    ``date``, ``text``; other columns unchanged."""
    out = frame.copy()
    for col, kind in types.items():
        if col not in out.columns:
            continue
        s = out[col]
        if kind == "integer":
            out[col] = pd.to_numeric(s, errors="coerce").astype("Int32")
        elif kind == "integer64":
            out[col] = pd.to_numeric(s, errors="coerce").astype("Int64")
        elif kind == "real":
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif kind == "date":
            dates = pd.to_datetime(s, errors="coerce").dt.date
            out[col] = pd.array(
                [None if pd.isna(d) else d for d in dates], dtype=pd.ArrowDtype(pa.date32())
            )
        elif kind == "text":
            out[col] = (
                s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))
            )
    return out


def whole_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells (e.g. the desa of a pocket) as one text ``"a; b; c"``, whole: a GeoPackage
    text field has no length limit (a Shapefile cuts at 254 characters)."""
    out = frame
    for col in frame.columns:
        if frame[col].dtype != object or col == getattr(frame, "_geometry_column_name", None):
            continue
        if frame[col].map(lambda v: isinstance(v, list | tuple | np.ndarray)).any():
            if out is frame:
                out = frame.copy()
            out[col] = frame[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
            )
    return out


def write_layer(
    frame: pd.DataFrame,
    path: Path,
    layer: str,
    *,
    types: Mapping[str, str] | None = None,
    description: str | None = None,
    geometry_type: str | None = None,
) -> None:
    """Add one layer (spatial when ``frame`` is a GeoDataFrame) to a GeoPackage 1.2."""
    path = Path(path)
    frame = typed(whole_lists(frame), types or {})
    options = {"DESCRIPTION": description} if description else {}
    kwargs: dict = {}
    if isinstance(frame, gpd.GeoDataFrame):
        frame = to_wgs84(frame)
        geoms, kind = rfc7946_geometries(frame.geometry.to_numpy(), precision=None)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=4326))
        kwargs["geometry_type"] = geometry_type or kind or "Unknown"
    pyogrio.write_dataframe(
        frame,
        path,
        layer=layer,
        driver="GPKG",
        use_arrow=True,
        append=False,
        dataset_options={"VERSION": GPKG_VERSION} if not path.exists() else None,
        layer_options=options,
        **kwargs,
    )


def write_gpkg(
    layers: Mapping[str, pd.DataFrame],
    path: Path,
    *,
    descriptions: Mapping[str, str] | None = None,
) -> Path:
    """A new GeoPackage 1.2 with ``layers`` (name -> frame), replacing an old file."""
    path = Path(path)
    if path.exists():
        path.unlink()
    for name, frame in layers.items():
        write_layer(frame, path, name, description=(descriptions or {}).get(name))
    return path


GPKG_MEDIA = "application/geopackage+sqlite3"


def gpkg_bytes(layers: Mapping[str, pd.DataFrame]) -> bytes:
    """A GeoPackage 1.2 of ``layers`` as bytes (for a download), built in a temporary file."""
    with tempfile.TemporaryDirectory(prefix="geo-gpkg-") as tmp:
        path = write_gpkg(layers, Path(tmp) / "unduhan.gpkg")
        return path.read_bytes()


# --------------------------------------------------------------------------- schema extension


def add_enum(
    path: Path,
    table: str,
    column: str,
    constraint: str,
    values: Mapping[str, str],
    *,
    descriptions: Mapping[str, str] | None = None,
) -> None:
    """An enum constraint on ``table.column`` (value -> description) and the column
    descriptions of ``table`` (GeoPackage schema extension)."""
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
        for value, text in values.items():
            con.execute(
                "INSERT OR REPLACE INTO gpkg_data_column_constraints (constraint_name, "
                "constraint_type, value, description) VALUES (?, 'enum', ?, ?)",
                (constraint, value, text),
            )
        docs = dict(descriptions or {})
        docs.setdefault(column, "")
        for col, text in docs.items():
            con.execute(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, "
                "description, constraint_name) VALUES (?, ?, ?, ?, ?, ?)",
                (table, col, col, col, text, constraint if col == column else None),
            )
        for tbl in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            con.execute(
                "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_schema', "
                "'http://www.geopackage.org/spec/#extension_schema', 'read-write')",
                (tbl,),
            )
        con.commit()
    finally:
        con.close()


# --------------------------------------------------------------------------- QGIS styles


@dataclass(frozen=True)
class Category:
    value: str | None  # None: the NULL category
    label: str
    color: str  # "r,g,b"


@dataclass(frozen=True)
class Style:
    """A QGIS layer style: symbology and the attribute form QField shows."""

    geometry: str  # "point" or "polygon"
    color: str = "31,120,180"
    categorize_by: str | None = None
    categories: Sequence[Category] = ()
    value_maps: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    dates: Sequence[str] = ()
    hidden: Sequence[str] = ()
    read_only: Sequence[str] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    label_field: str | None = None


def _opt(name: str, value: str, kind: str = "QString") -> str:
    return f"<Option name={quoteattr(name)} value={quoteattr(value)} type={quoteattr(kind)}/>"


def _symbol(name: str, geometry: str, color: str, *, hollow: bool = False) -> str:
    if geometry == "point":
        layer = (
            '<layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">'
            + _opt("color", f"{color},255")
            + _opt("name", "circle")
            + _opt("outline_color", "35,35,35,255")
            + _opt("outline_width", "0.4")
            + _opt("size", "3.2")
            + _opt("size_unit", "MM")
            + "</Option></layer>"
        )
        kind = "marker"
    else:
        layer = (
            '<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
            + _opt("color", f"{color},{0 if hollow else 60}")
            + _opt("style", "no" if hollow else "solid")
            + _opt("outline_color", f"{color},255")
            + _opt("outline_width", "0.6")
            + _opt("outline_width_unit", "MM")
            + "</Option></layer>"
        )
        kind = "fill"
    return (
        f'<symbol name={quoteattr(name)} type="{kind}" alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{layer}</symbol>'
    )


def _renderer(style: Style) -> str:
    if style.categorize_by and style.categories:
        cats = "".join(
            f'<category symbol="{i}" value={quoteattr("" if c.value is None else c.value)} '
            f'label={quoteattr(c.label)} render="true"/>'
            for i, c in enumerate(style.categories)
        )
        syms = "".join(
            _symbol(str(i), style.geometry, c.color) for i, c in enumerate(style.categories)
        )
        return (
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(style.categorize_by)} '
            'symbollevels="0" enableorderby="0" forceraster="0">'
            f"<categories>{cats}</categories><symbols>{syms}</symbols></renderer-v2>"
        )
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_symbol('0', style.geometry, style.color, hollow=style.geometry != 'point')}"
        "</symbols></renderer-v2>"
    )


def _widget(style: Style, col: str) -> str:
    if col in style.value_maps:
        entries = "".join(
            f'<Option type="Map">{_opt(label, value)}</Option>'
            for value, label in style.value_maps[col]
        )
        return (
            '<editWidget type="ValueMap"><config><Option type="Map">'
            f'<Option name="map" type="List">{entries}</Option>'
            "</Option></config></editWidget>"
        )
    if col in style.dates:
        return (
            '<editWidget type="DateTime"><config><Option type="Map">'
            + _opt("allow_null", "true", "bool")
            + _opt("calendar_popup", "true", "bool")
            + _opt("display_format", "yyyy-MM-dd")
            + _opt("field_format", "yyyy-MM-dd")
            + _opt("field_iso_format", "false", "bool")
            + "</Option></config></editWidget>"
        )
    if col in style.hidden:
        return '<editWidget type="Hidden"><config><Option/></config></editWidget>'
    return (
        '<editWidget type="TextEdit"><config><Option type="Map">'
        + _opt("IsMultiline", "false", "bool")
        + _opt("UseHtml", "false", "bool")
        + "</Option></config></editWidget>"
    )


def qml_body(style: Style, columns: Iterable[str]) -> str:
    """The children of a QML ``<qgis>`` element (also embedded in a project's map layer)."""
    cols = list(columns)
    fields = "".join(
        f'<field name={quoteattr(c)} configurationFlags="None">{_widget(style, c)}</field>'
        for c in cols
    )
    aliases = "".join(
        f'<alias field={quoteattr(c)} index="{i}" name={quoteattr(style.aliases.get(c, ""))}/>'
        for i, c in enumerate(cols)
    )
    editable = "".join(
        f'<field name={quoteattr(c)} editable="{0 if c in style.read_only else 1}"/>' for c in cols
    )
    labeling = ""
    if style.label_field:
        labeling = (
            '<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(style.label_field)} fontSize="9" '
            'textColor="20,20,20,255" isExpression="0"/>'
            '<placement placement="1"/></settings></labeling>'
        )
    return (
        f"{_renderer(style)}{labeling}"
        f"<fieldConfiguration>{fields}</fieldConfiguration>"
        f"<aliases>{aliases}</aliases>"
        f"<editable>{editable}</editable>"
        '<editform tolerant="1"></editform><editforminit/><editforminitcodesource>0'
        "</editforminitcodesource><editorlayout>generatedlayout</editorlayout>"
    )


def qml(style: Style, columns: Iterable[str]) -> str:
    """A QGIS style document (QML) for a layer with ``columns``."""
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="AllStyleCategories">'
        f"{qml_body(style, columns)}</qgis>"
    )


def add_styles(path: Path, styles: Mapping[str, tuple[str, str]]) -> None:
    """Store QML styles as the layers' default styles (``layer_styles``, as QGIS does):
    ``styles`` maps layer -> (style name, QML)."""
    con = sqlite3.connect(path)
    try:
        con.executescript("""
            CREATE TABLE IF NOT EXISTS layer_styles (
              id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
              f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
              styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
              description TEXT, owner TEXT(30), ui TEXT(30),
              update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));
        """)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'Gaya QGIS', "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )
        for layer, (name, doc) in styles.items():
            geom_col = con.execute(
                "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
            ).fetchone()
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'geo_service')",
                (layer, geom_col[0] if geom_col else "", name, doc, name),
            )
        con.commit()
    finally:
        con.close()


# --------------------------------------------------------------------------- QGIS project


@dataclass(frozen=True)
class ProjectLayer:
    layer: str  # table in the GeoPackage
    title: str
    geometry: str | None  # "Point", "MultiPolygon" or None (attribute table)
    style: Style | None
    columns: Sequence[str]


def write_qgz(path: Path, gpkg: Path, layers: Sequence[ProjectLayer], *, title: str) -> Path:
    """A QGIS project beside ``gpkg`` (relative paths: copy both files together, e.g. to
    QField) opening ``layers`` (first = on top) with their styles."""
    path = Path(path)
    src = f"./{Path(gpkg).name}"
    srs = (
        '<spatialrefsys nativeFormat="Wkt"><wkt>' + escape(WGS84_WKT) + "</wkt>"
        "<proj4>+proj=longlat +datum=WGS84 +no_defs</proj4><srsid>3452</srsid><srid>4326</srid>"
        "<authid>EPSG:4326</authid><description>WGS 84</description>"
        "<projectionacronym>longlat</projectionacronym><ellipsoidacronym>EPSG:7030"
        "</ellipsoidacronym><geographicflag>true</geographicflag></spatialrefsys>"
    )
    tree, maplayers, order = [], [], []
    for i, lyr in enumerate(layers):
        lid = f"{lyr.layer}_{i}"
        source = f"{src}|layername={lyr.layer}"
        tree.append(
            f"<layer-tree-layer id={quoteattr(lid)} name={quoteattr(lyr.title)} "
            f'source={quoteattr(source)} providerKey="ogr" checked="Qt::Checked" '
            'expanded="1"><customproperties/></layer-tree-layer>'
        )
        order.append(f"<item>{escape(lid)}</item>")
        geom_attr = (
            f' geometry="{"Point" if lyr.geometry == "Point" else "Polygon"}" '
            f'wkbType="{lyr.geometry}"'
            if lyr.geometry
            else ' geometry="No geometry" wkbType="NoGeometry"'
        )
        body = qml_body(lyr.style, lyr.columns) if lyr.style else ""
        maplayers.append(
            f'<maplayer type="vector"{geom_attr} readOnly="0" autoRefreshEnabled="0">'
            f"<id>{escape(lid)}</id><datasource>{escape(source)}</datasource>"
            f"<layername>{escape(lyr.title)}</layername>"
            + (f"<srs>{srs}</srs>" if lyr.geometry else "")
            + f'<provider encoding="UTF-8">ogr</provider>{body}</maplayer>'
        )
    qgs = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis projectname={quoteattr(title)} version="{QGIS_VERSION}">'
        '<homePath path=""/>'
        f"<title>{escape(title)}</title>"
        f"<projectCrs>{srs}</projectCrs>"
        f"<layer-tree-group><customproperties/>{''.join(tree)}"
        f'<custom-order enabled="0">{"".join(order)}</custom-order></layer-tree-group>'
        f"<projectlayers>{''.join(maplayers)}</projectlayers>"
        f"<layerorder>{''.join(f'<layer id={quoteattr(o[6:-7])}/>' for o in order)}</layerorder>"
        '<properties><Paths><Absolute type="bool">false</Absolute></Paths>'
        "</properties></qgis>"
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(path.with_suffix(".qgs").name, qgs.encode("utf-8"))
    return path
