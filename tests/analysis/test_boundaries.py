import geopandas as gpd
import pytest
import shapely

from geo_service.errors import BoundaryError, NotFoundError
from geo_service.io.boundaries import BoundaryRepairWarning, boundary_files, read_boundaries
from tests.fixtures import DATA


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
