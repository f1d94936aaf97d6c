"""Priority desa: quadrants, composite score, bootstrap intervals, reasons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.analysis.planning import PlanningParams, compute_planning
from geo_service.analysis.prioritas import (
    Bobot,
    compute_priorities,
    fmt_number,
    percentile_position,
    quadrant,
)

SMALL, LARGE = 7, 20  # desa index of the 5-families-at-100% desa and the 400-persons desa


def _grid_desa(nx=6, ny=6, size=0.02):
    xs = np.round(110.0 + size * np.arange(nx + 1), 6)
    ys = np.round(-7.0 + size * np.arange(ny + 1), 6)
    rows = []
    for j in range(ny):
        for i in range(nx):
            k = j * nx + i
            kec = 1 if k < nx * ny // 2 else 2
            rows.append(
                {
                    "kode": f"33.24.0{kec}.{2001 + k}",
                    "nama": f"Desa {k:02d}",
                    "kode_kec": f"33.24.0{kec}",
                    "nama_kec": f"Kecamatan {kec}",
                    "kode_kab": "33.24",
                    "nama_kab": "Kendal",
                    "jenis": "desa",
                    "geometry": shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _families(desa: gpd.GeoDataFrame, seed=0) -> pd.DataFrame:
    """150 families of 3 per desa at about 8% extreme poor; the SMALL desa has 5 families,
    all extreme poor (15 persons, 100%); the LARGE desa 333 families of 4 of which 100 are
    extreme poor (400 persons of 1,332, 30%)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, d in enumerate(desa.itertuples()):
        minx, miny, maxx, maxy = d.geometry.bounds
        if k == SMALL:
            n, art, desil = 5, 3, np.ones(5, int)
        elif k == LARGE:
            n, art = 333, 4
            desil = np.r_[np.ones(100, int), rng.integers(2, 11, 233)]
        else:
            n, art = 150, 3
            desil = np.where(rng.random(n) < 0.08, 1, rng.integers(2, 11, n))
        for f in range(n):
            ek = desil[f] == 1
            rows.append(
                {
                    "id_keluarga": f"F{k:02d}-{f:04d}",
                    "periode": "2025-03",
                    "kode_desa": d.kode,
                    "lat": rng.uniform(miny + 1e-4, maxy - 1e-4),
                    "lon": rng.uniform(minx + 1e-4, maxx - 1e-4),
                    "jumlah_art": art,
                    "desil": int(desil[f]),
                    "pengeluaran_kapita": int(
                        rng.uniform(300_000, 450_000) if ek else rng.uniform(450_000, 2_000_000)
                    ),
                    "penerima_pkh": int(rng.random() < (0.6 if ek else 0.03)),
                    "penerima_bpnt": int(rng.random() < (0.6 if ek else 0.03)),
                    "penerima_pbi_jk": int(rng.random() < (0.8 if ek else 0.1)),
                    "penerima_blt": 0,
                    **{
                        c: int(rng.random() < (0.4 if ek else 0.1))
                        for c in (
                            "rumah_tidak_layak",
                            "tanpa_jamban",
                            "air_minum_tidak_layak",
                            "tanpa_listrik",
                            "kk_tidak_tamat_sd",
                            "anak_tidak_sekolah",
                            "kk_tidak_bekerja",
                        )
                    },
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fixture_result():
    desa = _grid_desa()
    return compute_indicators(_families(desa), desa, AnalysisParams())


@pytest.fixture(scope="module")
def planning(fixture_result):
    return compute_planning(fixture_result, PlanningParams(n_teratas=5), seed=3)


def test_small_desa_at_100_percent_ranks_below_large_desa_at_30_percent(planning):
    pr = planning.priorities.set_index("kode_desa")
    desa = _grid_desa()
    a = pr.loc[desa["kode"].iloc[SMALL]]
    b = pr.loc[desa["kode"].iloc[LARGE]]
    assert (a.n_keluarga, a.n_jiwa_ekstrem, a.pct_jiwa_ekstrem) == (5, 15, 100.0)
    assert (b.n_jiwa_ekstrem, round(b.pct_jiwa_ekstrem, 1)) == (400, 30.0)
    a_surely_better = a.peringkat_rentang_atas < b.peringkat_rentang_bawah
    why = (
        f"\n5 keluarga 100%: peringkat {a.peringkat} (rentang {a.peringkat_rentang_bawah}-"
        f"{a.peringkat_rentang_atas}), skor {a.skor:.3f}, tingkat EB {a.pct_jiwa_ekstrem_eb:.1f}%"
        f", skor jumlah {a.skor_jumlah:.2f}, skor tingkat {a.skor_tingkat:.2f}\n  {a.alasan}"
        f"\n400 jiwa 30%: peringkat {b.peringkat} (rentang {b.peringkat_rentang_bawah}-"
        f"{b.peringkat_rentang_atas}), skor {b.skor:.3f}, tingkat EB {b.pct_jiwa_ekstrem_eb:.1f}%"
        f", skor jumlah {b.skor_jumlah:.2f}, skor tingkat {b.skor_tingkat:.2f}\n  {b.alasan}"
    )
    assert b.peringkat < a.peringkat or a_surely_better, why
    # Why: the rate of five families is shrunk towards the kabupaten (EB), so it does not
    # beat 30% on 1,332 persons; and 15 persons is the smallest number of all.
    assert a.pct_jiwa_ekstrem_eb < b.pct_jiwa_ekstrem_eb, why
    assert b.peringkat == 1 and b.status_teratas == "teratas_kokoh", why
    assert a.skor_jumlah < 0.05, why
    # Five families say little: the rank interval of the small desa is wide.
    assert a.peringkat_rentang_atas - a.peringkat_rentang_bawah >= 5, why


def test_quadrants_against_kabupaten_values(planning, fixture_result):
    pr = planning.priorities
    kab_rate = 100 * pr["n_jiwa_ekstrem"].sum() / pr["n_jiwa"].sum()
    mean_count = pr["n_jiwa_ekstrem"].mean()
    high_rate = pr["pct_jiwa_ekstrem"] >= kab_rate
    high_count = pr["n_jiwa_ekstrem"] >= mean_count
    expected = np.where(
        high_rate, np.where(high_count, "I", "IV"), np.where(high_count, "II", "III")
    )
    assert (pr["kuadran"].to_numpy() == expected).all()
    small = pr[pr["n_keluarga"] == 5].iloc[0]
    assert small.kuadran == "IV" and small.kuadran_keterangan.startswith("IV: persentase tinggi")
    assert quadrant(
        np.array([10.0, 1.0, 1.0, 10.0]), np.array([50, 50, 1, 1]), 5.0, 10.0
    ).tolist() == ["I", "II", "III", "IV"]


def test_rank_intervals_and_status_are_consistent(planning):
    pr = planning.priorities
    assert pr["peringkat"].tolist() == list(range(1, len(pr) + 1))
    lo, hi = pr["peringkat_rentang_bawah"], pr["peringkat_rentang_atas"]
    assert (lo <= hi).all() and (lo >= 1).all() and (hi <= len(pr)).all()
    top = 5
    sure = pr["status_teratas"] == "teratas_kokoh"
    assert ((pr["peringkat"] <= top) & (hi <= top))[sure].all()
    maybe = pr["status_teratas"] == "teratas_belum_pasti"
    assert ((pr["peringkat"] <= top) & (hi > top))[maybe].all()
    could = pr["status_teratas"] == "mungkin_teratas"
    assert ((pr["peringkat"] > top) & (lo <= top))[could].all()
    assert (sure | maybe).sum() == top
    assert pr["peluang_teratas"].between(0, 1).all()
    assert (pr.loc[sure, "peluang_teratas"] >= 0.9).all()


def test_reasons_name_factors_with_numbers_in_both_languages(fixture_result):
    fam = fixture_result.keluarga
    none = np.zeros(len(fam), dtype=bool)
    pid = np.full(len(fam), None, dtype=object)
    ind = compute_priorities(
        fam,
        fixture_result.desa,
        in_pocket=none,
        pocket_of_family=pid,
        bootstrap=50,
        n_teratas=5,
        seed=1,
        lang="id",
    )
    en = compute_priorities(
        fam,
        fixture_result.desa,
        in_pocket=none,
        pocket_of_family=pid,
        bootstrap=50,
        n_teratas=5,
        seed=1,
        lang="en",
    )
    first = ind.iloc[0]
    assert first.n_jiwa_ekstrem == 400
    assert "400 jiwa miskin ekstrem (terbanyak ke-1 dari 36 desa)" in first.alasan
    assert "tingkat kemiskinan ekstrem 30,0 %" in first.alasan
    assert "Peringkat 1 (rentang 90 %:" in first.alasan
    assert "400 persons in extreme poverty" in en.iloc[0].alasan
    assert "extreme-poverty rate 30.0%" in en.iloc[0].alasan
    # Every row names 2 or 3 factors (separated by "; ") before the rank sentence.
    for text in ind["alasan"]:
        factors = text.split(". Peringkat")[0].split("; ")
        assert 2 <= len(factors) <= 4, text
    # Same seed, same table.
    again = compute_priorities(
        fam,
        fixture_result.desa,
        in_pocket=none,
        pocket_of_family=pid,
        bootstrap=50,
        n_teratas=5,
        seed=1,
        lang="id",
    )
    pd.testing.assert_frame_equal(ind, again)


def test_weights_change_the_order_and_are_validated(fixture_result):
    fam = fixture_result.keluarga
    none = np.zeros(len(fam), dtype=bool)
    only_number = Bobot(
        jumlah=1, tingkat=0, kedalaman=0, keparahan=0, deprivasi=0, kantong=0, celah=0
    )
    pr = compute_priorities(
        fam, fixture_result.desa, in_pocket=none, bobot=only_number, bootstrap=0
    )
    counts = pr["n_jiwa_ekstrem"].to_numpy()
    assert (np.diff(counts) <= 0).all(), "ranked by number of extreme-poor persons"
    with pytest.raises(ValueError):
        Bobot(jumlah=-1)
    with pytest.raises(ValueError):
        Bobot(jumlah=0, tingkat=0, kedalaman=0, keparahan=0, deprivasi=0, kantong=0, celah=0)


def test_depth_and_severity_with_a_poverty_line():
    desa = _grid_desa(2, 1)
    rows = []
    # Desa 0: two families of 2, expenditure 250k and 500k against a 500k line:
    # gaps 0.5 and 0 -> P1 = (2*0.5 + 2*0) / 4 = 0.25, P2 = (2*0.25) / 4 = 0.125.
    for f, y in enumerate([250_000, 500_000]):
        rows.append(
            {
                "id_keluarga": f"A{f}",
                "periode": "2025-03",
                "kode_desa": desa.kode[0],
                "lat": -6.99,
                "lon": 110.01,
                "jumlah_art": 2,
                "desil": 1 if f == 0 else 5,
                "pengeluaran_kapita": y,
            }
        )
    for f in range(3):
        rows.append(
            {
                "id_keluarga": f"B{f}",
                "periode": "2025-03",
                "kode_desa": desa.kode[1],
                "lat": -6.99,
                "lon": 110.03,
                "jumlah_art": 3,
                "desil": 6,
                "pengeluaran_kapita": pd.NA if f == 0 else 900_000,
            }
        )
    result = compute_indicators(pd.DataFrame(rows), desa, AnalysisParams())
    none = np.zeros(len(result.keluarga), dtype=bool)
    pr = compute_priorities(
        result.keluarga, result.desa, in_pocket=none, garis_kemiskinan=500_000, bootstrap=0
    ).set_index("kode_desa")
    assert pr.loc[desa.kode[0], "p1"] == pytest.approx(0.25)
    assert pr.loc[desa.kode[0], "p2"] == pytest.approx(0.125)
    assert pr.loc[desa.kode[1], "p1"] == 0.0
    # Without a line P1/P2 are not computed and their weights drop out.
    no_line = compute_priorities(result.keluarga, result.desa, in_pocket=none, bootstrap=0)
    assert no_line["p1"].isna().all() and no_line["skor_kedalaman"].isna().all()


def test_percentile_position_and_number_format():
    np.testing.assert_allclose(
        percentile_position(np.array([5.0, 1.0, 5.0, 3.0, np.nan])),
        [2 / 3, 0.0, 2 / 3, 1 / 3, np.nan],
    )
    assert fmt_number(1234.5, 1) == "1.234,5"
    assert fmt_number(1234.5, 1, "en") == "1,234.5"
    assert fmt_number(30, 0) == "30"
