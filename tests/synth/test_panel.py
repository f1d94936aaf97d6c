"""Generator panel mode (known transitions) and corruption mode (known wrong records)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geo_service.synth import generate_keluarga
from geo_service.synth.panel import (
    JENIS_SALAH,
    PanelParams,
    corrupt_register,
    generate_panel,
    simulate_field_results,
    true_share,
)
from tests.conftest import kendal_kecamatan

PERIODES = ["2025-03", "2025-09", "2026-03"]


@pytest.fixture(scope="module")
def desa(kendal_desa):
    return kendal_kecamatan(kendal_desa, 2)


@pytest.fixture(scope="module")
def calib(kendal_calib):
    return kendal_calib


@pytest.fixture(scope="module")
def panel(desa, calib):
    return generate_panel(desa, calib, n_keluarga=3000, periodes=PERIODES, seed=5)


def test_same_seed_same_panel(desa, calib, panel):
    again = generate_panel(desa, calib, n_keluarga=3000, periodes=PERIODES, seed=5)
    for p in PERIODES:
        pd.testing.assert_frame_equal(panel.snapshots[p], again.snapshots[p])
    assert json.dumps(panel.truth, sort_keys=True, default=str) == json.dumps(
        again.truth, sort_keys=True, default=str
    )
    other = generate_panel(desa, calib, n_keluarga=3000, periodes=PERIODES[:2], seed=6)
    assert not other.snapshots[PERIODES[1]]["id_keluarga"].equals(
        panel.snapshots[PERIODES[1]]["id_keluarga"]
    )


def test_truth_agrees_with_the_snapshots(panel):
    for step in panel.truth["langkah"]:
        before = panel.snapshots[step["dari"]].set_index("id_keluarga")
        after = panel.snapshots[step["ke"]].set_index("id_keluarga")
        gone = {it["id_keluarga"] for it in step["meninggal"]}
        new = {it["id_keluarga"] for it in step["baru"]}
        assert gone == set(before.index) - set(after.index)
        assert new == set(after.index) - set(before.index)
        for it in step["lulus_desil1"]:
            assert before.loc[it["id_keluarga"], "desil"] == 1
            assert after.loc[it["id_keluarga"], "desil"] == it["desil_akhir"] >= 2
        for it in step["jatuh_desil1"]:
            assert 2 <= before.loc[it["id_keluarga"], "desil"] <= 4
            assert after.loc[it["id_keluarga"], "desil"] == 1
        for it in step["pindah"]:
            assert before.loc[it["id_keluarga"], "kode_desa"] == it["kode_desa_awal"]
            assert after.loc[it["id_keluarga"], "kode_desa"] == it["kode_desa_akhir"]
            assert it["kode_desa_akhir"] != it["kode_desa_awal"]
        # Everyone else kept their desil.
        touched = {
            it["id_keluarga"] for k in ("lulus_desil1", "jatuh_desil1", "geser") for it in step[k]
        }
        stay = sorted(set(before.index) & set(after.index) - touched)
        assert (before.loc[stay, "desil"].to_numpy() == after.loc[stay, "desil"].to_numpy()).all()
        assert step["jumlah"]["lulus_desil1"] == len(step["lulus_desil1"])


def test_transition_shares_follow_the_parameters(desa, calib):
    params = PanelParams(p_lulus_desil1=0.3, p_meninggal=0.02, p_baru=0.05)
    big = generate_panel(desa, calib, n_keluarga=6000, periodes=PERIODES[:2], seed=9, params=params)
    step = big.truth["langkah"][0]
    base = big.snapshots[PERIODES[0]]
    n1 = int((base["desil"] == 1).sum())
    survivors_d1 = n1 - sum(1 for it in step["meninggal"] if it["desil"] == 1)
    share = step["jumlah"]["lulus_desil1"] / survivors_d1
    assert share == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / survivors_d1))
    assert step["jumlah"]["meninggal"] / len(base) == pytest.approx(0.02, abs=0.008)
    assert step["jumlah"]["baru"] / len(base) == pytest.approx(0.05, abs=0.012)


@pytest.fixture(scope="module")
def families(desa, calib):
    return generate_keluarga(desa, calib, n_keluarga=4000, periode="2025-03", seed=3).keluarga


def test_corruption_share_and_kinds_are_known(families):
    cr = corrupt_register(families, share=0.12, seed=1)
    assert cr.truth["n_keluarga"] == len(families) == len(cr.register)
    realised = (cr.kenyataan["status_sebenarnya"] != "sesuai").mean()
    assert cr.truth["share_salah"] == pytest.approx(realised)
    assert realised == pytest.approx(0.12, abs=0.025)
    assert sum(cr.truth["per_jenis"].values()) == cr.truth["n_salah"]
    assert set(cr.kenyataan["status_sebenarnya"]) <= {"sesuai", *JENIS_SALAH}
    # "kondisi_berubah" rows differ from reality exactly in the recorded fields.
    changed = cr.kenyataan[cr.kenyataan["status_sebenarnya"] == "kondisi_berubah"]
    reg = cr.register.set_index("id_keluarga")
    real = families.set_index("id_keluarga")
    for rec in changed.head(50).itertuples():
        truth = json.loads(rec.nilai_sebenarnya)
        assert truth
        for col, value in truth.items():
            assert real.loc[rec.id_keluarga, col] == value
            assert reg.loc[rec.id_keluarga, col] != value
    ok = cr.kenyataan.loc[cr.kenyataan["status_sebenarnya"] != "kondisi_berubah", "id_keluarga"]
    cols = ["jumlah_art", "rumah_tidak_layak", "penerima_pkh"]
    assert (reg.loc[ok, cols].to_numpy() == real.loc[ok, cols].to_numpy()).all()
    moved = cr.kenyataan[cr.kenyataan["status_sebenarnya"] == "pindah"]
    assert all(
        json.loads(v)["kode_desa"] != k
        for v, k in zip(moved["nilai_sebenarnya"], moved["kode_desa"], strict=True)
    )


def test_corruption_by_stratum_and_desa_variation(families):
    cr = corrupt_register(
        families,
        share={"desil_1": 0.3, "desil_2_4": 0.1, "desil_5_10": 0.02},
        seed=2,
        variasi_desa=0.0,
    )
    per = cr.truth["share_per_strata"]
    assert per["desil_1"] > per["desil_2_4"] > per["desil_5_10"]
    assert per["desil_5_10"] == pytest.approx(0.02, abs=0.01)
    varied = corrupt_register(families, share=0.1, seed=2, variasi_desa=1.0)
    rates = [s / n for s, n in varied.truth["salah_per_desa"].values() if n >= 100]
    assert np.std(rates) > 0.03  # some desa much worse than others
    k = varied.kenyataan
    some = sorted(k["kode_desa"].unique())[:3]
    assert true_share(k, some) == pytest.approx(
        (k.loc[k["kode_desa"].isin(some), "status_sebenarnya"] != "sesuai").mean()
    )


def test_simulated_officers_report_the_truth(families):
    cr = corrupt_register(families, share=0.2, seed=4)
    daftar = cr.register.sample(300, random_state=1)[["id_keluarga"]]
    sheet = simulate_field_results(daftar, cr.kenyataan, seed=4, p_dikunjungi=0.8)
    visited = sheet["status"].notna()
    assert visited.mean() == pytest.approx(0.8, abs=0.08)
    truth = cr.kenyataan.set_index("id_keluarga")["status_sebenarnya"]
    assert (
        sheet.loc[visited, "status"].to_numpy()
        == truth.loc[sheet.loc[visited, "id_keluarga"]].to_numpy()
    ).all()
    assert sheet.loc[~visited, ["petugas", "tanggal"]].isna().all().all()
