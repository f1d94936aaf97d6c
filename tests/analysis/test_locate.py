import h3
import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import schema as S
from geo_service.analysis.locate import (
    cell_to_parent,
    cells_to_str,
    h3_cells,
    locate_keluarga,
    utm_epsg,
)
from tests.fixtures import LOCATION_CASES, location_desa, location_families


@pytest.fixture(scope="module")
def located():
    fam = location_families()
    return fam, locate_keluarga(fam, location_desa())


@pytest.mark.parametrize("case", LOCATION_CASES, ids=[c[0] for c in LOCATION_CASES])
def test_each_family_lands_where_the_rule_says(located, case):
    name, _, _, _, want_kode, want_status, want_flag, want_dist = case
    fam, loc = located
    row = loc[fam["id_keluarga"] == name].iloc[0]
    got = None if pd.isna(row["kode_desa_lokasi"]) else row["kode_desa_lokasi"]
    assert got == want_kode
    assert row["status_lokasi"] == want_status
    assert bool(row["lokasi_tidak_sesuai"]) is want_flag
    if np.isnan(want_dist):
        assert np.isnan(row["jarak_m"])
    else:
        assert row["jarak_m"] == pytest.approx(want_dist, abs=0.05)


def test_result_is_aligned_with_input_index():
    fam = location_families()
    fam.index = fam.index * 10 + 3
    loc = locate_keluarga(fam, location_desa())
    assert loc.index.equals(fam.index)
    assert set(loc["status_lokasi"]) <= set(S.LOCATION_STATUSES)


def test_distance_limit_is_a_parameter():
    fam = location_families()
    loc = locate_keluarga(fam, location_desa(), max_distance_m=100)
    by_name = dict(zip(fam["id_keluarga"], loc["status_lokasi"], strict=True))
    assert by_name["below_A_240m"] == "di_luar_batas"
    assert by_name["hole_of_D"] == "di_luar_batas"
    assert by_name["gap_nearer_A"] == "terdekat"


def test_desa_must_be_wgs84():
    with pytest.raises(ValueError, match="4326"):
        locate_keluarga(location_families(), location_desa().to_crs(32749))


def test_utm_zone_of_indonesian_places():
    assert utm_epsg(110.2, -6.95) == 32749  # Kendal
    assert utm_epsg(103.5, -3.8) == 32748  # Lahat
    assert utm_epsg(95.3, 5.5) == 32646  # Sabang, north of the equator


@pytest.mark.parametrize("res", [6, 7, 8, 9, 10])
def test_vectorised_h3_equals_h3_py(res):
    rng = np.random.default_rng(res)
    lat = rng.uniform(-7.3, -6.7, 2000)
    lon = rng.uniform(109.9, 110.5, 2000)
    got = cells_to_str(h3_cells(lat, lon, res))
    want = [h3.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)]
    assert list(got) == want


def test_missing_coordinates_get_no_cell():
    cells = h3_cells(np.array([np.nan, -6.9]), np.array([110.2, 110.2]), 8)
    assert cells[0] == 0 and cells[1] != 0


@pytest.mark.parametrize("res", [6, 7, 8, 9])
def test_parent_by_bits_equals_h3_py(res):
    rng = np.random.default_rng(1)
    cells = h3_cells(rng.uniform(-8, -3, 500), rng.uniform(103, 111, 500), 10)
    got = cells_to_str(cell_to_parent(cells, res))
    assert list(got) == [h3.cell_to_parent(c, res) for c in cells_to_str(cells)]


def test_families_in_border_desa_are_analysed_not_rejected():
    """Real desa reach beyond the old box -11..6 / 95..141 (Merauke and Keerom at the
    Papua New Guinea border, Pulau Weh in Sabang, Aceh Besar, Rote Ndao): a family in
    the part of such a desa outside the old box is valid and counted in its desa."""
    import geopandas as gpd
    import shapely

    from geo_service.analysis.boundaries import check_boundaries
    from geo_service.analysis.pipeline import compute_indicators
    from tests.analysis.test_boundaries import BORDER_LAYER

    desa = check_boundaries(gpd.read_parquet(BORDER_LAYER)).desa
    old_box = shapely.box(95.0, -11.0, 141.0, 6.0)
    beyond = desa[~desa.geometry.within(old_box)]
    assert {"11.06", "11.72", "53.14", "91.11", "93.01"} <= set(beyond["kode_kab"])
    pts = shapely.point_on_surface(beyond.geometry.difference(old_box).to_numpy())
    raw = pd.DataFrame(
        {
            "id_keluarga": [f"B{i}" for i in range(len(beyond))],
            "periode": "2025-03",
            "kode_desa": beyond["kode"].to_numpy(),
            "lat": shapely.get_y(pts),
            "lon": shapely.get_x(pts),
            "jumlah_art": 3,
            "desil": 1,
        }
    )
    assert not old_box.contains(shapely.points(raw["lon"], raw["lat"])).any()
    result = compute_indicators(raw, desa)
    assert result.validation.problems.empty
    fam = result.keluarga
    assert (fam["status_lokasi"] == S.STATUS_DALAM_DESA).all()
    assert fam["kode_desa_lokasi"].tolist() == raw["kode_desa"].tolist()
    assert int(result.desa["n_jiwa"].sum()) == 3 * len(raw)
