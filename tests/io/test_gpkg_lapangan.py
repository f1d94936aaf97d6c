"""The QField GeoPackage of a ground-check list: GeoPackage 1.2 read cleanly by GDAL 3.6,
typed fields (DATE, integer, text codes), a point for every family (placeholders inside the
registered desa, not read back as geotags), outlines of every desa involved, stored styles
and a .qgz project that QGIS 3.22 (headless PyQGIS) loads."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo_service.io import gpkg_lapangan as L
from tests.fixtures import A, B, C, D, E, location_desa
from tests.fixtures.pyqgis import run_pyqgis

LAYERS = ("keluarga_sampel", "batas_desa", "keterangan_kolom", "info_sampel")
TYPES = {
    "urutan": "integer",
    "id_keluarga": "text",
    "kode_desa": "text",
    "kode_desa_lokasi": "text",
    "lat": "real",
    "lon": "real",
    "ada_geotag": "integer",
    "jumlah_art": "integer",
    "status": "text",
    "tanggal": "date",
    "catatan": "text",
}
STATUSES = {"sesuai": "Data sesuai", "pindah": "Keluarga pindah", "tidak_ditemukan": "Tidak ada"}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    desa = location_desa().rename(columns={"kode": "kode_desa", "nama": "nama_desa"})
    inside = {
        k: g.representative_point() for k, g in zip(desa["kode_desa"], desa.geometry, strict=True)
    }
    c_pt = inside[C]
    points = pd.DataFrame(
        {
            "urutan": [1, 2, 3, 4, 5, 6],
            "id_keluarga": [f"K{i}" for i in range(1, 7)],
            "kode_desa": [A, A, D, B, E, A],
            "kode_desa_lokasi": [A, C, None, None, E, None],
            "lat": [inside[A].y, c_pt.y, np.nan, np.nan, inside[E].y, np.nan],
            "lon": [inside[A].x, c_pt.x, np.nan, np.nan, inside[E].x, np.nan],
            "ada_geotag": [1, 1, 0, 0, 1, 0],
            "jumlah_art": [4, 3, 5, 2, 6, 1],
            "status": [None] * 6,
            "tanggal": [None] * 6,
            "catatan": [None] * 6,
        }
    )
    codes = L.outline_codes(points)
    outlines = desa[desa["kode_desa"].isin(codes)][["kode_desa", "nama_desa", "geometry"]]
    docs = pd.DataFrame(
        [(c, t, int(c in ("status", "tanggal")), f"kolom {c}") for c, t in TYPES.items()],
        columns=["kolom", "tipe", "diisi_petugas", "keterangan"],
    )
    folder = tmp_path_factory.mktemp("gpkg")
    path = L.write_field_gpkg(
        points,
        outlines,
        folder / "uji_petik_33.99.01.2001.gpkg",
        layers=LAYERS,
        types=TYPES,
        docs=docs,
        statuses=STATUSES,
        editable=("status", "tanggal", "jumlah_art", "catatan", "kode_desa"),
        info={"id": "UP-1", "seed": 4},
    )
    return path, points, desa


def test_outlines_cover_every_desa_a_family_is_registered_in_or_lies_in(written):
    path, points, desa = written
    outline = pyogrio.read_dataframe(path, layer="batas_desa")
    assert set(outline["kode_desa"]) == {A, B, C, D, E}
    assert set(outline.geom_type) == {"MultiPolygon"}


def test_geopackage_12_with_exact_column_types(written):
    path, _, _ = written
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
    assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
    cols = {r[1]: r[2] for r in con.execute("PRAGMA table_info(keluarga_sampel)")}
    styles = con.execute(
        "SELECT f_table_name, useAsDefault FROM layer_styles ORDER BY f_table_name"
    ).fetchall()
    con.close()
    assert cols["tanggal"] == "DATE"
    assert cols["status"] == "TEXT" and cols["kode_desa"] == "TEXT"
    assert cols["jumlah_art"] in ("MEDIUMINT", "INTEGER")
    assert styles == [("batas_desa", 1), ("keluarga_sampel", 1)]
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "gdal-bin missing (scripts/bootstrap.sh)"
    r = subprocess.run(
        [ogrinfo, "-ro", "-so", str(path), "keluarga_sampel"], capture_output=True, text=True
    )
    assert r.returncode == 0 and "Warning" not in r.stderr, r.stderr
    assert "tanggal: Date" in r.stdout and "jumlah_art: Integer (" in r.stdout
    assert "status_uji_petik" in r.stdout  # the coded field domain of status


def test_every_family_has_a_point_and_placeholders_stay_no_geotag(written, tmp_path):
    path, points, desa = written
    pts = pyogrio.read_dataframe(path, layer="keluarga_sampel")
    assert pts.geometry.notna().all() and len(pts) == len(points)
    shapes = dict(zip(desa["kode_desa"], desa.geometry, strict=True))
    flagged = pts[pts["lokasi_perkiraan"] == 1]
    assert sorted(flagged["id_keluarga"]) == ["K3", "K4", "K6"]
    for row in flagged.itertuples():
        assert shapes[row.kode_desa].contains(row.geometry)  # D: inside, not in its hole
    back = L.read_field_points(path, "keluarga_sampel")
    assert "lokasi_perkiraan" not in back.columns
    assert back["tanggal"].isna().all()  # empty DATE cells stay empty (not "NaT")
    assert back.set_index("id_keluarga").loc[["K3", "K4", "K6"], "lat"].isna().all()
    np.testing.assert_allclose(back["lon"].iloc[[0, 1, 4]], points["lon"].iloc[[0, 1, 4]])
    # An officer moves K3's point to the house: that is a new geotag.
    moved = pts.copy()
    new = shapely.Point(flagged.geometry.iloc[0].x + 0.001, flagged.geometry.iloc[0].y)
    moved.loc[moved["id_keluarga"] == "K3", "geometry"] = new
    moved.loc[moved["id_keluarga"] == "K3", "tanggal"] = pd.Timestamp("2025-06-04")
    out = tmp_path / "kembali.gpkg"
    pyogrio.write_dataframe(moved, out, layer="keluarga_sampel", driver="GPKG")
    got = L.read_field_points(out, "keluarga_sampel").set_index("id_keluarga")
    assert got.loc["K3", "lon"] == pytest.approx(new.x)
    assert got.loc["K3", "tanggal"] == "2025-06-04"
    assert np.isnan(got.loc["K4", "lon"])


def test_project_beside_the_file(written):
    path, _, _ = written
    qgz = L.qgz_path(path)
    assert qgz.name == "uji_petik_33.99.01.2001.qgz"
    with zipfile.ZipFile(qgz) as zf:
        (name,) = zf.namelist()
        qgs = zf.read(name).decode()
    assert f"./{path.name}|layername=keluarga_sampel" in qgs


QGIS_SCRIPT = """
from qgis.core import QgsVectorLayer, QgsProject
from qgis.PyQt.QtCore import QVariant
path = sys.argv[1]
layer = QgsVectorLayer(f"{path}|layername=keluarga_sampel", "pts", "ogr")
fields = {f.name(): QVariant.typeToName(f.type()) for f in layer.fields()}
status = layer.fields().indexOf("status")
tanggal = layer.fields().indexOf("tanggal")
vm = layer.editorWidgetSetup(status)
out = {
    "valid": layer.isValid(),
    "count": layer.featureCount(),
    "fields": fields,
    "renderer": layer.renderer().type(),
    "status_widget": vm.type(),
    "status_values": sorted(str(v) for m in vm.config().get("map", []) for v in m.values()),
    "date_widget": layer.editorWidgetSetup(tanggal).type(),
    "urutan_editable": not layer.editFormConfig().readOnly(layer.fields().indexOf("urutan")),
    "styles_in_db": layer.listStylesInDatabase()[0],
}
project = QgsProject.instance()
out["project_read"] = project.read(sys.argv[2])
out["project_layers"] = sorted(
    (l.name(), l.isValid(), l.featureCount()) for l in project.mapLayers().values()
)
done(out)
"""


def test_qgis_opens_file_styles_and_project(written, tmp_path):
    path, points, _ = written
    res = run_pyqgis(QGIS_SCRIPT, tmp_path, str(path), str(L.qgz_path(path)))
    assert res["valid"] and res["count"] == len(points)
    assert res["fields"]["tanggal"] == "QDate"
    assert res["fields"]["jumlah_art"] == "int" and res["fields"]["urutan"] == "int"
    assert res["fields"]["status"] == "QString" and res["fields"]["kode_desa"] == "QString"
    assert res["renderer"] == "categorizedSymbol"  # the stored default style was applied
    assert res["status_widget"] == "ValueMap"
    assert res["status_values"] == sorted(STATUSES)
    assert res["date_widget"] == "DateTime"
    assert res["urutan_editable"] is False
    assert res["styles_in_db"] >= 1
    assert res["project_read"] is True
    assert [tuple(x) for x in res["project_layers"]] == [
        ("Batas desa", True, 5),
        ("Keluarga sampel", True, len(points)),
    ]
