import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import AnalysisParams, compute_indicators, validate_keluarga
from geo_service.analysis import schema as S
from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.synth import generate_keluarga
from geo_service.synth.placement import MIN_POCKET_FAMILIES, _Near, metres
from tests.fixtures import DATA

N = 40_000


@pytest.fixture(scope="module")
def desa(kendal_desa):
    return kendal_desa


@pytest.fixture(scope="module")
def calib(kendal_calib):
    return kendal_calib


@pytest.fixture(scope="module")
def data(desa, calib):
    return generate_keluarga(desa, calib, n_keluarga=N, periode="2025-03", seed=11, kantong=3)


@pytest.fixture(scope="module")
def result(data, desa):
    return compute_indicators(data.keluarga, desa, AnalysisParams())


def test_calibration_uses_latest_published_figures(calib):
    assert (calib.tahun_p0, calib.p0) == (2025, 8.40)
    assert (calib.tahun_garis, calib.garis_kemiskinan) == (2024, 488_940)


def test_rows_follow_the_contract(data, desa):
    frame = data.keluarga
    assert list(frame.columns) == list(S.ALL_COLUMNS)
    res = validate_keluarga(frame, known_desa=desa["kode"])
    assert res.ok, res.counts()
    assert len(res.valid) == N


def test_same_seed_same_rows_other_seed_other_rows(data, desa, calib):
    again = generate_keluarga(desa, calib, n_keluarga=N, periode="2025-03", seed=11, kantong=3)
    pd.testing.assert_frame_equal(again.keluarga, data.keluarga)
    assert again.truth == data.truth
    other = generate_keluarga(desa, calib, n_keluarga=N, periode="2025-03", seed=12, kantong=3)
    assert not other.keluarga["desil"].equals(data.keluarga["desil"])


def test_every_family_counted_once(result):
    fam = result.keluarga
    total = int(fam["jumlah_art"].sum())
    outside = fam["status_lokasi"] == S.STATUS_DI_LUAR_BATAS
    assert int(result.desa["n_jiwa"].sum()) + int(fam.loc[outside, "jumlah_art"].sum()) == total
    assert int(result.desa["n_keluarga"].sum()) + int(outside.sum()) == N
    geotag = fam["lat"].notna()
    assert int(result.h3["n_jiwa"].sum()) == int(fam.loc[geotag, "jumlah_art"].sum())
    assert int(result.h3["n_keluarga"].sum()) == int(geotag.sum())
    assert int(result.kecamatan["n_jiwa"].sum()) == int(result.desa["n_jiwa"].sum())


def test_kabupaten_rates_within_documented_bps_targets(data, result, calib):
    tol = data.truth["target"]["toleransi_pp"]
    kab = result.kabupaten.iloc[0]
    assert abs(kab["pct_jiwa_ekstrem"] - calib.p0) <= tol
    fam = result.keluarga
    known = fam["pengeluaran_kapita"].notna()
    below = known & (fam["pengeluaran_kapita"] < calib.garis_kemiskinan)
    p0 = 100 * fam.loc[below, "jumlah_art"].sum() / fam.loc[known, "jumlah_art"].sum()
    assert abs(p0 - calib.p0) <= tol


def test_geotags_and_their_defects(data, result):
    fam = result.keluarga
    assert fam["lat"].notna().mean() == pytest.approx(0.70, abs=0.015)
    status = result.location_summary()
    assert status["terdekat"] > 0
    assert status["di_luar_batas"] >= data.truth["jumlah"]["jauh"]
    share_moved = fam["lokasi_tidak_sesuai"].sum() / fam["lat"].notna().sum()
    assert 0.02 < share_moved < 0.06


def test_poverty_clusters_in_space(result):
    """Desa rates vary far more than binomial noise would make them (spatial structure)."""
    d = result.desa[result.desa["n_jiwa"] > 200]
    p = d["n_jiwa_ekstrem"].sum() / d["n_jiwa"].sum()
    noise_var = (p * (1 - p) / d["n_jiwa"]).mean() * 3.4  # ~3.4 persons per family
    assert (d["pct_jiwa_ekstrem"] / 100).var() > 3 * noise_var


def test_planted_pockets_are_poorer(data, result):
    fam = result.keluarga
    for p in data.truth["kantong"]:
        dx = (fam["lon"] - p["lon"]) * 111_320 * np.cos(np.radians(p["lat"]))
        dy = (fam["lat"] - p["lat"]) * 111_320
        inside = np.hypot(dx, dy) < p["radius_m"]
        assert fam.loc[inside, "ekstrem"].mean() > 3 * fam["ekstrem"].mean()


def test_deprivations_and_programmes_follow_desil(data):
    fam = data.keluarga
    poor, rich = fam["desil"] == 1, fam["desil"] >= 6
    for col in ("rumah_tidak_layak", "tanpa_jamban", "kk_tidak_bekerja"):
        assert fam.loc[poor, col].mean() > 2 * fam.loc[rich, col].mean()
    # Targeting errors both ways: extreme-poor without PKH, better-off with PKH.
    assert 0.2 < 1 - fam.loc[poor, "penerima_pkh"].mean() < 0.6
    assert fam.loc[rich, "penerima_pkh"].sum() > 0


def test_rusak_rows_produce_every_reason_code(desa, calib):
    bad = generate_keluarga(desa, calib, n_keluarga=3000, periode="2025-03", seed=5, rusak=2)
    res = validate_keluarga(
        bad.keluarga.astype(str).replace({"nan": "", "None": "", "<NA>": ""}),
        known_desa=desa["kode"],
    )
    want = bad.truth["rusak"]
    for code in want:
        got = sorted(res.problems.loc[res.problems["kode_alasan"] == code, "baris"].astype(int))
        assert got == sorted(want[code]), code
    assert set(want) == {
        "kolom_wajib_kosong",
        "desil_di_luar_rentang",
        "kode_desa_salah_format",
        "kode_desa_tidak_dikenal",
        "jumlah_art_tidak_valid",
        "koordinat_di_luar_indonesia",
        "koordinat_tertukar",
        "id_keluarga_ganda",
        "periode_salah_format",
    }
    # Every corrupted row is rejected, and so is each original whose id was copied.
    dup_ids = res.problems.loc[res.problems["kode_alasan"] == "id_keluarga_ganda", S.ID].nunique()
    assert len(res.valid) == 3000 - dup_ids


@pytest.mark.parametrize(
    "kode_kab", ["52.71", "11.72", "93.01"], ids=["mataram", "sabang", "merauke"]
)
def test_any_kabupaten_of_the_national_layer(kode_kab):
    """Kabupaten outside the BPS table get the documented national defaults; the rows are
    valid and analysed (no geometry error, no row outside Indonesia)."""
    import warnings

    from geo_service.synth import calibration_for
    from geo_service.synth.generator import NATIONAL_P0
    from tests.analysis.test_boundaries import BORDER_LAYER

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ampenan Selatan's repair warning
        desa = read_boundaries(BORDER_LAYER, kode_kab=kode_kab)
    calib = calibration_for(read_bps(DATA), kode_kab, nama=desa["nama_kab"].iloc[0])
    assert calib.bawaan and calib.p0 == NATIONAL_P0
    data = generate_keluarga(desa, calib, n_keluarga=3_000, periode="2025-03", seed=5)
    assert data.truth["kalibrasi"]["bawaan"] is True
    res = compute_indicators(data.keluarga, desa, AnalysisParams())
    assert res.validation.ok, res.validation.counts()
    assert set(res.keluarga["kode_desa"].str[:5]) == {kode_kab}
    assert int(res.desa["n_keluarga"].sum()) + len(res.di_luar_batas) == 3_000
    assert abs(data.truth["target"]["pct_jiwa_desil_1"] - NATIONAL_P0) < 0.5


def test_published_figures_win_over_defaults(calib):
    from geo_service.synth import calibration_for

    assert calibration_for(read_bps(DATA), "33.24") == calib and not calib.bawaan


def test_pocket_neighbour_count_is_the_full_scan():
    """The grid search of plant_pockets decides as scanning every family would (dense
    towns, sparse kabupaten below the 300 needed, points on cell edges)."""
    rng = np.random.default_rng(3)
    for n, spread in [(5_000, 0.05), (2_000, 0.5), (250, 0.01), (40_000, 0.2)]:
        lon = 110.0 + rng.normal(0, spread, n)
        lat = -7.0 + rng.normal(0, spread, n)
        lon[:50] = np.round(lon[:50], 2)  # exactly on grid lines
        near = _Near(lon, lat)
        for j in rng.integers(n, size=200):
            radius = float(rng.uniform(1_200, 2_200))
            full = int((metres(lon, lat, lon[j], lat[j]) < radius).sum())
            got = near.count_within(j, radius, MIN_POCKET_FAMILIES)
            assert (got < MIN_POCKET_FAMILIES) == (full < MIN_POCKET_FAMILIES)
            if got >= MIN_POCKET_FAMILIES:
                assert got == full
