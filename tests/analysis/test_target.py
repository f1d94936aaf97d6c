"""Targets per kabupaten: the seeds' examples, paces worked out by hand, and the text."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from geo_service.analysis import compute_indicators
from geo_service.analysis import target as TG
from geo_service.errors import InvalidInputError
from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.synth import calibration_from_bps, generate_keluarga
from tests.fixtures import DATA

SEED_TARGETS = DATA / "targets.csv"


@pytest.fixture(scope="module")
def targets():
    return TG.targets_from_frame(pd.read_csv(SEED_TARGETS, dtype={"kode_kab": str}))


@pytest.fixture(scope="module")
def bps_obs():
    return TG.observations_from_bps(read_bps(DATA))


def test_seed_targets_are_in_the_table(targets):
    got = {(t.kode_kab, t.indikator, t.tahun_target, t.nilai_target) for t in targets}
    assert got == {
        ("33.24", "pct_miskin_ekstrem", 2026, 0.0),
        ("33.24", "pct_miskin", 2029, 4.5),
        ("16.04", "jiwa_miskin_ekstrem", 2029, 50_000.0),
    }
    lahat = next(t for t in targets if t.kode_kab == "16.04")
    assert lahat.nilai_dasar == 60_000 and lahat.tahun_dasar == 2024
    for t in targets:
        assert t.sumber or t.catatan  # every target says where it comes from


def test_kendal_poverty_pace_by_hand(targets, bps_obs):
    kendal = next(t for t in targets if t.indikator == "pct_miskin")
    p = TG.target_progress(kendal, bps_obs)
    # BPS P0 2022-2025: 9.48, 9.39, 9.35, 8.40; OLS slope over years 0..3 = -1.64 / 5.
    assert p.nilai_sekarang == pytest.approx(8.40)
    assert p.waktu_sekarang == "2025"
    assert p.laju_teramati == pytest.approx(-0.328, abs=1e-9)
    assert p.sisa_tahun == pytest.approx(4.0)
    assert p.laju_diperlukan == pytest.approx((4.5 - 8.40) / 4)
    assert p.proyeksi == pytest.approx(8.40 - 0.328 * 4)
    assert p.rasio_laju == pytest.approx(0.328 / 0.975)
    assert p.status == "tidak_sesuai_jalur" and not p.sesuai_jalur
    assert p.n_observasi == 4


def _obs(kode, indikator, points):
    return pd.DataFrame(
        [(kode, indikator, lbl, TG.periode_to_years(lbl), v, "uji") for lbl, v in points],
        columns=["kode_kab", "indikator", "label_waktu", "waktu", "nilai", "sumber"],
    )


@pytest.mark.parametrize(
    ("points", "target_year", "status"),
    [
        ([("2024-03", 10.0), ("2025-03", 8.0)], 2027, "sesuai_jalur"),
        ([("2024-03", 10.0), ("2025-03", 5.9)], 2026, "sesuai_jalur"),
        ([("2024-03", 10.0), ("2025-03", 9.5)], 2026, "tidak_sesuai_jalur"),
        ([("2024-03", 10.0), ("2025-03", 6.0)], 2024, "tenggat_lewat"),
        ([("2025-03", 8.0)], 2027, "data_kurang"),
        ([("2024-03", 10.0), ("2025-03", 4.0)], 2027, "tercapai"),
    ],
)
def test_status_rules(points, target_year, status):
    target = TG.Target("99.01", "Uji", "pct_miskin_ekstrem", target_year, 5.0)
    p = TG.target_progress(target, _obs("99.01", "pct_miskin_ekstrem", points))
    if status == "sesuai_jalur" and target_year == 2027:
        # 8.0 at 2025.17, target moment 2027.92: needs (5-8)/2.75 = -1.09/yr; observed -2/yr.
        assert p.laju_diperlukan == pytest.approx(-3 / (2027 + 11 / 12 - 2025 - 2 / 12))
        assert p.laju_teramati == pytest.approx(-2.0)
    assert p.status == status


def test_increasing_target_and_per_periode_pace():
    target = TG.Target("99.01", "Uji", "jiwa_miskin_ekstrem", 2026, 1000.0, 2024, 400.0)
    obs = _obs("99.01", "jiwa_miskin_ekstrem", [("2025-01", 700.0)])
    p = TG.target_progress(target, obs, bulan_per_periode=6)
    # Baseline (2024.0, 400) + one observation: +300 per year, needs +300/1.917 per year.
    assert p.laju_teramati == pytest.approx(300.0)
    assert p.laju_diperlukan == pytest.approx(300 / (2026 + 11 / 12 - 2025))
    assert p.laju_teramati_per_periode == pytest.approx(150.0)
    assert p.status == "sesuai_jalur"


def test_unknown_indicator_refused():
    with pytest.raises(InvalidInputError):
        TG.Target("33.24", "Kendal", "pct_bahagia", 2030, 90.0)


def test_number_format():
    """Values and paces come from the one formatter (i18n): Indonesian percentages with a
    space before %, English without."""
    assert TG._value(60190, "jiwa_miskin", "id") == "60.190 jiwa"
    assert TG._value(60190, "jiwa_miskin", "en") == "60,190 persons"
    assert TG._value(8.4, "pct_miskin", "id") == "8,40 %"
    assert TG._value(8.4, "pct_miskin", "en") == "8.40%"
    assert TG._pace(-1234.5, "jiwa_miskin", "id") == "turun 1.234 jiwa per tahun"
    assert TG._pace(0.25, "pct_miskin", "en") == "rise 0.25 points a year"


def test_meeting_pack_text_for_the_seed_examples(targets, bps_obs):
    """Progress of the three seed targets, with DTSEN observations from two generated
    snapshots per kabupaten (small, calibrated to BPS), rendered in both languages."""
    obs = [bps_obs]
    for kode, file in [
        ("33.24", "desa_33.24_kendal.geojson"),
        ("16.04", "desa_16.04_lahat.geojson"),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Lahat has known invalid rings, repaired
            desa = read_boundaries(DATA / "boundaries" / file)
        calib = calibration_from_bps(read_bps(DATA), kode)
        runs = {}
        for periode, seed in [("2025-03", 1), ("2025-09", 2)]:
            data = generate_keluarga(desa, calib, n_keluarga=4000, periode=periode, seed=seed)
            runs[periode] = compute_indicators(data.keluarga, desa).kabupaten.iloc[0]
        obs.append(TG.observations_from_runs(runs))
    obs = pd.concat(obs, ignore_index=True)
    table = TG.progress_table(targets, obs)
    assert len(table) == 3 and table["nilai_sekarang"].notna().all()
    kendal_ext = table[table["indikator"] == "pct_miskin_ekstrem"].iloc[0]
    # Desil-1 person share is calibrated to P0 (8.40%): far from 0% with a year to go.
    assert kendal_ext["nilai_sekarang"] == pytest.approx(8.4, abs=1.0)
    assert kendal_ext["status"] == "tidak_sesuai_jalur"
    text = TG.progress_report(table)
    assert text.startswith("Capaian target")
    assert (
        "Kendal — Persentase penduduk miskin (P0, BPS): 8,40 % (2025); target 4,50 % pada 2029"
        in text
    )
    assert "Perlu turun 0,98 poin per tahun" in text
    assert "Lahat — Jumlah jiwa miskin ekstrem (DTSEN desil 1)" in text
    assert "target 50.000 jiwa pada 2029" in text
    assert "target 0,00 % pada 2026" in text
    assert "%" not in text.replace(" %", ""), "every % has a space"
    # Readers get the reader-facing note, never the maintainers' one.
    assert "Keterangan target: Contoh target, belum dari dokumen resmi" in text
    assert "brief proyek" not in text and "issue" not in text
    assert text.count("Status: ") == 3
    en = TG.progress_report(TG.progress_table(targets, obs, lang="en"), "en")
    assert "target 4.50% in 2029" in en and "Status: off track." in en
    assert "Target note: Example target" in en and "dasar" not in en


def test_cli_target(tmp_path):
    from typer.testing import CliRunner

    from geo_service.cli import app

    r = CliRunner().invoke(app, ["target", "--kabupaten", "33.24", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "Capaian target" in r.output and "Lahat" not in r.output
    table = pd.read_csv(tmp_path / "target_progres.csv", encoding="utf-8-sig")
    assert set(table["indikator"]) == {"pct_miskin", "pct_miskin_ekstrem"}
    text = (tmp_path / "target_progres.txt").read_text(encoding="utf-8")
    assert "target 4,50 % pada 2029" in text
    en = CliRunner().invoke(app, ["target", "--lang", "en"])
    assert en.exit_code == 0 and "Progress towards targets" in en.output
