"""Boundary imports on both backends (zipped Shapefile in UTM 49S, .prj required, repairs,
versions) and the safety checks of zip archives."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from geo_service.db import make_session_factory
from geo_service.db.repo import (
    Scope,
    desa_of_kabupaten,
    kecamatan_of_kabupaten,
    list_batches,
    list_kabupaten,
)
from geo_service.errors import AccessDeniedError, BoundaryError, InvalidInputError, TooLargeError
from geo_service.io.archive import ArchiveLimits, check_zip, extracted_zip
from geo_service.services.imports import import_boundaries
from geo_service.settings import PROJECT_ROOT

BOUNDARIES = PROJECT_ROOT / "data" / "boundaries"
KENDAL = BOUNDARIES / "desa_33.24_kendal.geojson"
LAHAT = BOUNDARIES / "desa_16.04_lahat.geojson"
UTM_49S = 32749
# Centroid of desa Blumah (33.24.01.2001) in UTM 49S, from the shipped GeoJSON.
BLUMAH = "33.24.01.2001"
BLUMAH_CENTROID_UTM = Point(383196.246, 9208869.663)


def _zip_shapefile(gdf: gpd.GeoDataFrame, folder: Path, *, with_prj: bool = True) -> Path:
    shp_dir = folder / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "desa_kendal.shp")
    out = folder / "desa_kendal_utm49s.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(shp_dir.iterdir()):
            if with_prj or f.suffix.lower() != ".prj":
                zf.write(f, f"desa_kendal/{f.name}")
    return out


def _session(engine):
    return make_session_factory(engine)()


def _zip_tmpdirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("geo-service-zip-*")}


def test_zipped_shapefile_in_utm49s_lands_in_place(db_engine, db_settings, tmp_path):
    utm = gpd.read_file(KENDAL).to_crs(UTM_49S)
    archive = _zip_shapefile(utm, tmp_path)
    before = _zip_tmpdirs()
    report = import_boundaries(db_engine, archive, settings=db_settings)
    assert _zip_tmpdirs() == before  # the extraction folder is gone
    assert report.status == "selesai" and report.kabupaten == ["33.24"]
    assert "32749" in report.pesan
    with _session(db_engine) as s:
        desa = desa_of_kabupaten(s, "33.24", scope=Scope.all())
        kec = kecamatan_of_kabupaten(s, "33.24", scope=Scope.all())
        kab = list_kabupaten(s, scope=Scope.all())
    assert desa.crs.to_epsg() == 4326 and len(desa) == 286 and len(kec) == 20
    blumah = desa[desa["kode"] == BLUMAH].to_crs(UTM_49S).geometry.iloc[0]
    assert blumah.centroid.distance(BLUMAH_CENTROID_UTM) < 1.0
    assert blumah.centroid.distance(utm[utm["kode"] == BLUMAH].geometry.iloc[0].centroid) < 1.0
    assert desa.loc[desa["kode"] == BLUMAH, "nama"].item() == "Blumah"
    assert kab[["kode", "n_desa"]].values.tolist() == [["33.24", 286]]


def test_shapefile_without_prj_is_refused(db_engine, db_settings, tmp_path):
    archive = _zip_shapefile(gpd.read_file(KENDAL).to_crs(UTM_49S), tmp_path, with_prj=False)
    with pytest.raises(BoundaryError) as err:
        import_boundaries(db_engine, archive, settings=db_settings)
    assert ".prj" in err.value.pesan and "desa_kendal.shp" in err.value.pesan
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM desa")).scalar() == 0
    with _session(db_engine) as s:
        batches = list_batches(s, scope=Scope.all())
    assert batches["status"].tolist() == ["gagal"]
    assert ".prj" in batches["alasan"].iloc[0]


def test_invalid_rings_are_repaired_and_named(db_engine, db_settings):
    report = import_boundaries(db_engine, LAHAT, settings=db_settings)
    assert len(report.diperbaiki) >= 2
    assert any("Nanjungan" in d for d in report.diperbaiki)
    assert any("Sengkuang" in d for d in report.diperbaiki)
    with db_engine.connect() as conn:
        n_invalid = conn.execute(text("SELECT count(*) FROM desa WHERE NOT ST_IsValid(geom)"))
        assert n_invalid.scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM desa")).scalar() == 378


def test_same_file_twice_is_one_import_and_new_file_is_a_new_version(
    db_engine, db_settings, tmp_path
):
    first = import_boundaries(db_engine, KENDAL, settings=db_settings)
    again = import_boundaries(db_engine, KENDAL, settings=db_settings)
    assert again.status == "sudah_ada" and again.batch_id == first.batch_id
    gpkg = tmp_path / "kendal.gpkg"
    gpd.read_file(KENDAL).to_file(gpkg, driver="GPKG")
    second = import_boundaries(db_engine, gpkg, settings=db_settings)
    assert second.status == "selesai"
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM desa")).scalar() == 286
        assert conn.execute(text("SELECT count(DISTINCT versi_id) FROM desa")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM batas_versi")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM kecamatan")).scalar() == 20


def test_bad_codes_are_refused(db_engine, db_settings, tmp_path):
    gdf = gpd.read_file(KENDAL)
    gdf.loc[0, "kode"] = "33.24.01"
    path = tmp_path / "kode_salah.geojson"
    gdf.to_file(path)
    with pytest.raises(BoundaryError) as err:
        import_boundaries(db_engine, path, settings=db_settings)
    assert "salah format" in err.value.pesan
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM desa")).scalar() == 0


def test_scope_is_enforced_on_wilayah(db_engine, db_settings):
    import_boundaries(db_engine, KENDAL, settings=db_settings)
    with _session(db_engine) as s:
        assert list_kabupaten(s, scope=Scope.of("33.20")).empty
        with pytest.raises(AccessDeniedError):
            desa_of_kabupaten(s, "33.24", scope=Scope.of("33.20"))
        assert len(desa_of_kabupaten(s, "33.24", scope=Scope.of("33.24"))) == 286


# --- zip safety (no database) ---------------------------------------------------------


def _zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


UNSAFE = {
    "parent_path": [("desa.shp", b"x"), ("../../etc/evil.sh", b"x")],
    "absolute_path": [("/tmp/evil.sh", b"x")],
    "windows_drive": [("C:/evil.sh", b"x")],
    "backslash_parent": [("a\\..\\..\\evil.sh", b"x")],
    "symlink": [(_symlink_info("desa.prj"), b"/etc/passwd")],
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_members_are_refused_before_extraction(tmp_path, case):
    archive = _zip(tmp_path / f"{case}.zip", UNSAFE[case])
    root = tmp_path / "extract"
    root.mkdir()
    with pytest.raises(InvalidInputError) as err, extracted_zip(archive, tmp_root=root):
        pass
    assert "Tidak ada berkas yang diekstrak" in err.value.pesan
    assert list(root.iterdir()) == []
    assert not (tmp_path.parent / "etc").exists()


def test_zip_bomb_is_refused_before_extraction(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("desa.shp", b"\0" * 50_000_000)])
    assert archive.stat().st_size < 200_000
    root = tmp_path / "extract"
    root.mkdir()
    with pytest.raises(TooLargeError) as err, extracted_zip(archive, tmp_root=root):
        pass
    assert "zip bomb" in err.value.pesan
    assert list(root.iterdir()) == []


def test_size_and_count_limits(tmp_path):
    many = _zip(tmp_path / "many.zip", [(f"f{i}.txt", b"x") for i in range(11)])
    with pytest.raises(TooLargeError):
        check_zip(many, ArchiveLimits(max_files=10))
    big = _zip(tmp_path / "big.zip", [("a.bin", bytes(range(256)) * 8)])
    with pytest.raises(TooLargeError):
        check_zip(big, ArchiveLimits(max_bytes=1_000))
    assert len(check_zip(big, ArchiveLimits(max_bytes=10_000))) == 1


def test_safe_archive_is_extracted_then_removed(tmp_path):
    archive = _zip(tmp_path / "ok.zip", [("desa/desa.shp", b"abc"), ("desa/desa.prj", b"p")])
    root = tmp_path / "extract"
    root.mkdir()
    with extracted_zip(archive, tmp_root=root) as folder:
        assert (folder / "desa" / "desa.shp").read_bytes() == b"abc"
    assert list(root.iterdir()) == []


def test_archive_inside_the_archive_is_refused(tmp_path):
    inner = _zip(tmp_path / "inner.zip", [("desa.shp", b"abc")])
    outer = _zip(tmp_path / "outer.zip", [("desa.zip", inner.read_bytes())])
    with pytest.raises(InvalidInputError) as err:
        check_zip(outer)
    assert "arsip di dalam arsip" in err.value.pesan


def test_not_a_zip_is_refused(tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError):
        check_zip(fake)


def test_bomb_upload_through_the_importer_records_a_failed_batch(db_engine, db_settings, tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("desa.shp", b"\0" * 50_000_000)])
    before = _zip_tmpdirs()
    with pytest.raises(TooLargeError):
        import_boundaries(db_engine, archive, settings=db_settings)
    assert _zip_tmpdirs() == before
    with _session(db_engine) as s:
        assert list_batches(s, scope=Scope.all())["status"].tolist() == ["gagal"]
