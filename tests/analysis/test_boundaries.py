import geopandas as gpd
import pytest
import shapely

from geo_service.errors import BoundaryError, NotFoundError
from geo_service.io.boundaries import BoundaryRepairWarning, boundary_files, read_boundaries
from tests.fixtures import DATA, ROOT


def test_invalid_rings_repaired_with_a_warning_naming_the_desa():
    with pytest.warns(BoundaryRepairWarning) as caught:
        desa = read_boundaries(DATA / "boundaries" / "desa_16.04_lahat.geojson")
    msg = str(caught[0].message)
    assert "Nanjungan" in msg and "Sengkuang" in msg
    assert desa.geometry.is_valid.all()
    assert set(desa.geom_type) <= {"Polygon", "MultiPolygon"}
    assert len(desa) == 378


def test_reprojected_file_comes_back_in_wgs84(tmp_path):
    src = gpd.read_file(DATA / "boundaries" / "desa_33.24_kendal.geojson")
    path = tmp_path / "utm.gpkg"
    src.to_crs(32749).to_file(path)
    desa = read_boundaries(path)
    assert desa.crs.to_epsg() == 4326
    a = src.to_crs(32749).geometry.centroid
    b = desa.to_crs(32749).geometry.centroid
    assert a.distance(b, align=False).max() < 1.0  # metres


def test_file_without_crs_is_refused(tmp_path):
    src = gpd.read_file(DATA / "boundaries" / "desa_33.24_kendal.geojson").head(3)
    path = tmp_path / "nocrs.parquet"
    src.set_crs(None, allow_override=True).to_parquet(path)
    with pytest.raises(BoundaryError, match="CRS"):
        read_boundaries(path)


def test_swapped_axes_are_refused(tmp_path):
    src = gpd.read_file(DATA / "boundaries" / "desa_33.24_kendal.geojson").head(5)
    src["geometry"] = shapely.transform(src.geometry.to_numpy(), lambda c: c[:, ::-1])
    path = tmp_path / "swapped.geojson"
    src.to_file(path)
    with pytest.raises(BoundaryError, match="tertukar"):
        read_boundaries(path)


def test_duplicate_codes_are_refused(tmp_path):
    src = gpd.read_file(DATA / "boundaries" / "desa_33.24_kendal.geojson").head(4)
    src.loc[1, "kode"] = src.loc[0, "kode"]
    path = tmp_path / "dup.geojson"
    src.to_file(path)
    with pytest.raises(BoundaryError, match="ganda"):
        read_boundaries(path)


def test_shipped_kabupaten_and_unknown_one():
    files = boundary_files(DATA, "33.20")
    assert files["desa"].name == "desa_33.20_jepara.geojson" and "kecamatan" in files
    with pytest.raises(NotFoundError, match="16.04"):
        boundary_files(DATA, "11.01")


# Desa of 8 kecamatan from the national layer (indonesia_desa.parquet, unchanged geometry):
# Kota Mataram kec. Ampenan (Ampenan Selatan has a collapsed 4-point ring), all of Kota
# Sabang, and border kecamatan of Aceh Besar, Rote Ndao, Keerom and Merauke.
BORDER_LAYER = ROOT / "tests" / "fixtures" / "batas_perbatasan.parquet"


def test_ampenan_selatan_collapsed_ring_is_repaired_with_a_warning():
    raw = gpd.read_parquet(BORDER_LAYER, filters=[("kode", "=", "52.71.01.1004")])
    with pytest.raises(shapely.errors.GEOSException, match="mixed-dimension"):
        shapely.make_valid(raw.geometry.iloc[0])  # the defect, as GEOS reports it
    with pytest.warns(BoundaryRepairWarning, match="Ampenan Selatan"):
        desa = read_boundaries(BORDER_LAYER, kode_kab="52.71")
    assert len(desa) == 10 and desa.geometry.is_valid.all()
    fixed = desa.set_index("kode").geometry["52.71.01.1004"]
    assert fixed.geom_type in ("Polygon", "MultiPolygon")
    assert fixed.area == pytest.approx(raw.geometry.iloc[0].buffer(0).area, rel=1e-9)


def test_geometry_that_cannot_be_repaired_is_a_domain_error(tmp_path):
    src = gpd.read_file(DATA / "boundaries" / "desa_33.24_kendal.geojson").head(3)
    p = (110.1, -7.0)
    src.loc[1, "geometry"] = shapely.Polygon([p, p, p, p])  # a ring with no area at all
    assert not src.geometry.iloc[1].is_valid
    path = tmp_path / "collapsed.parquet"
    src.to_parquet(path)
    with pytest.raises(BoundaryError, match="tidak dapat diperbaiki") as caught:
        read_boundaries(path)
    assert src.loc[1, "kode"] in caught.value.text("id")


def test_one_kabupaten_of_a_larger_layer():
    sabang = read_boundaries(BORDER_LAYER, kode_kab="11.72")
    assert len(sabang) == 18 and set(sabang["kode_kab"]) == {"11.72"}
    with pytest.raises(NotFoundError, match="33.24"):
        read_boundaries(BORDER_LAYER, kode_kab="33.24")


def test_prepared_layer_has_one_row_group_per_kabupaten_and_their_indexes(tmp_path):
    import pyarrow.parquet as pq

    from geo_service.analysis.fastjoin import boundary_fingerprint
    from geo_service.io.boundaries import prepare_layer, read_index

    out = tmp_path / "indonesia_desa.parquet"
    done = []
    info = prepare_layer(BORDER_LAYER, out, index_dir=tmp_path / "indeks", on_kabupaten=done.append)
    kabs = sorted(gpd.read_parquet(BORDER_LAYER)["kode_kab"].unique())
    assert info["kabupaten"] == len(kabs) == len(done) and info["diperbaiki"] == 1
    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == len(kabs)
    for g in range(meta.num_row_groups):  # each row group holds exactly one kabupaten
        col = pq.ParquetFile(out).read_row_group(g, columns=["kode_kab"])["kode_kab"]
        assert len(set(col.to_pylist())) == 1
    mataram = read_boundaries(out, kode_kab="52.71")  # repaired already: no warning
    assert mataram.geometry.is_valid.all()
    index = read_index(tmp_path / "indeks", "52.71")
    assert index is not None and index.fingerprint == boundary_fingerprint(mataram)
    assert read_index(tmp_path / "indeks", "33.24") is None
