"""compute_planning end to end: determinism, seed effects, structure, map layers."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.analysis import gistar as G
from geo_service.analysis.planning import (
    PlanningParams,
    PlanningResult,
    compute_planning,
    method_table,
)
from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
from geo_service.io.reference import opd_programmes_path, read_opd_programmes
from geo_service.mapping import choropleth_map
from geo_service.mapping.layers import add_planning_layers
from geo_service.settings import PathSettings
from geo_service.synth import calibration_from_bps, generate_keluarga

FRAMES = (
    "h3",
    "desa",
    "pockets",
    "pocket_desa",
    "cold_spots",
    "priorities",
    "needs_desa",
    "needs_pocket",
    "opd_targets",
    "coverage_desa",
    "coverage_pocket",
)


@pytest.fixture(scope="module")
def kendal():
    data_dir = PathSettings().data_dir
    desa = read_boundaries(boundary_files(data_dir, "33.24")["desa"])
    calib = calibration_from_bps(read_bps(data_dir), "33.24")
    data = generate_keluarga(desa, calib, n_keluarga=40_000, periode="2025-03", seed=21, kantong=3)
    result = compute_indicators(data.keluarga, desa, AnalysisParams())
    programmes = read_opd_programmes(opd_programmes_path(data_dir))
    return result, programmes


@pytest.fixture(scope="module")
def runs(kendal):
    result, programmes = kendal
    params = PlanningParams(bootstrap=100)
    a = compute_planning(result, params, seed=5, programmes=programmes)
    b = compute_planning(result, params, seed=5, programmes=programmes)
    c = compute_planning(result, params, seed=6, programmes=programmes)
    return a, b, c


def _bytes(p: PlanningResult) -> dict[str, bytes]:
    out = {}
    for name in FRAMES:
        frame = getattr(p, name)
        if "geometry" in frame.columns:
            out[name + ".geojson"] = frame.to_json(drop_id=True).encode()
        out[name + ".csv"] = (
            frame.drop(columns="geometry", errors="ignore").to_csv(index=False).encode()
        )
    out["record.json"] = json.dumps(p.record(), sort_keys=True, default=str).encode()
    return out


def test_same_input_and_seed_give_byte_identical_outputs(runs):
    a, b, _ = runs
    ba, bb = _bytes(a), _bytes(b)
    assert ba.keys() == bb.keys()
    different = [k for k in ba if ba[k] != bb[k]]
    assert not different, f"outputs differ between two runs with the same seed: {different}"


def test_another_seed_changes_only_p_values_within_monte_carlo_error(runs):
    a, _, c = runs
    for level in ("h3", "desa"):
        fa, fc = getattr(a, level), getattr(c, level)
        for col in ("pct_jiwa_ekstrem", "pct_jiwa_ekstrem_eb", "gi_nilai", "gi_z", "n_tetangga"):
            np.testing.assert_array_equal(fa[col].to_numpy(), fc[col].to_numpy(), err_msg=col)
        tested = np.isfinite(fa["gi_p"]).to_numpy()
        pa, pc = fa["gi_p_panas"].to_numpy()[tested], fc["gi_p_panas"].to_numpy()[tested]
        assert not np.array_equal(pa, pc), "the seed must drive the permutations"
        perms = np.minimum(fa["gi_n_permutasi"], fc["gi_n_permutasi"]).to_numpy()[tested]
        p = (pa + pc) / 2
        bound = 5 * np.sqrt(2 * p * (1 - p) / perms) + 2 / (perms + 1)
        excess = np.abs(pa - pc) - bound
        assert excess.max() <= 0, f"{level}: p-values differ by more than 5 MC sd"
    # Classes change only where q is close to alpha (p-values moved within MC error) ...
    ka, kc = a.h3["gi_kelas"].to_numpy(), c.h3["gi_kelas"].to_numpy()
    q = np.fmin(a.h3["gi_q"], c.h3["gi_q"]).to_numpy()
    flipped = (ka != kc) & np.isfinite(q)
    assert (q[flipped] > 0.005).all(), "a clearly significant cell changed class"
    # ... and so may pocket cells. Priority scores change only for desa whose share of
    # extreme-poor persons in pockets changed that way; the rest is seed-free.
    ra = a.priorities.set_index("kode_desa")
    rc = c.priorities.set_index("kode_desa").loc[ra.index]
    same_pocket_share = ra["pct_ekstrem_di_kantong"] == rc["pct_ekstrem_di_kantong"]
    np.testing.assert_array_equal(
        ra.loc[same_pocket_share, "skor"], rc.loc[same_pocket_share, "skor"]
    )
    changed_cells = set(
        a.h3.loc[a.h3["kantong_id"].fillna("") != c.h3["kantong_id"].fillna(""), "h3"]
    )
    assert same_pocket_share.all() or changed_cells, "scores moved without pocket changes"


def test_structure_and_consistency(runs, kendal):
    result, _ = kendal
    p = runs[0]
    assert len(p.h3) == len(result.h3) and len(p.desa) == len(result.desa)
    assert len(p.priorities) == len(result.desa)
    assert len(p.pockets) >= 1, "the planted pockets should give at least one pocket"
    # Pockets are scan clusters (issue 11), no longer made of Gi* hot cells: disjoint,
    # significant, with the relative risk of their cells against all other geotagged
    # persons; cold spot cells are Gi* cold; never both.
    pocket_cells = set(",".join(p.pockets["sel_h3"]).split(","))
    assert len(pocket_cells) == p.pockets["n_sel"].sum()
    cold_cells = set(",".join(p.cold_spots["sel_h3"]).split(",")) - {""}
    kelas = p.h3.set_index("h3")["gi_kelas"]
    assert G.PANAS in set(kelas.loc[sorted(pocket_cells)])
    assert not cold_cells or set(kelas.loc[sorted(cold_cells)]) == {G.DINGIN}
    assert (p.pockets["p_value"] <= p.params.alpha).all()
    assert list(p.pockets["nomor"]) == list(range(1, len(p.pockets) + 1))
    assert p.pockets["llr"].is_monotonic_decreasing
    big_c, big_n = p.h3["n_jiwa_ekstrem"].sum(), p.h3["n_jiwa"].sum()
    for row in p.pockets.itertuples():
        c, n = row.n_jiwa_ekstrem, row.n_jiwa
        assert row.risiko_relatif == pytest.approx((c / n) / ((big_c - c) / (big_n - n)))
        assert row.n_jiwa_ekstrem_harapan == pytest.approx(big_c * n / big_n)
    # Priority reasons cite the pocket with its relative risk and p-value.
    cited = p.priorities["alasan"].str.contains("risiko relatif", regex=False)
    assert cited.any()
    assert p.priorities.loc[cited, "alasan"].str.contains(r"p [<=] 0,", regex=True).all()
    assert not pocket_cells & cold_cells
    assert set(p.h3["kantong_id"].dropna()) == set(p.pockets["kantong_id"])
    # Pocket counts = sums over their cells; every pocket meets the floors.
    for row in p.pockets.itertuples():
        cells = p.h3[p.h3["kantong_id"] == row.kantong_id]
        assert cells["n_jiwa_ekstrem"].sum() == row.n_jiwa_ekstrem
        assert row.n_jiwa_ekstrem >= p.params.min_jiwa_ekstrem
        assert row.pct_jiwa_ekstrem >= p.params.min_rasio * p.summary["pct_jiwa_ekstrem_kabupaten"]
    assert set(p.needs_pocket["kantong_id"]) == set(p.pockets["kantong_id"])
    assert set(p.coverage_pocket["kantong_id"]) == set(p.pockets["kantong_id"])
    # OPD targets: every programme row of the table that has a target appears.
    assert len(p.opd_targets) > 0
    assert {"opd", "program", "kode_desa", "n_keluarga_sasaran", "peringkat"} <= set(
        p.opd_targets.columns
    )
    assert (p.opd_targets["n_keluarga_sasaran"] >= 1).all()
    assert p.coverage_desa["n_keluarga_ekstrem"].sum() == int(
        result.keluarga.loc[result.keluarga["kode_desa_lokasi"].notna(), "ekstrem"].sum()
    )
    assert p.summary["n_kantong"] == len(p.pockets)
    json.dumps(p.record(), default=str)


def test_english_labels_and_params_validation(kendal):
    result, programmes = kendal
    p = compute_planning(
        result, PlanningParams(bootstrap=0), seed=1, programmes=programmes, lang="en"
    )
    top = p.priorities.iloc[0]
    assert "persons in extreme poverty" in top.alasan or "extreme-poverty rate" in top.alasan
    assert top.kuadran_keterangan.split(":")[1].strip().startswith(("high", "low"))
    with pytest.raises(ValueError):
        PlanningParams(alpha=0)
    with pytest.raises(ValueError):
        PlanningParams(nilai_gi="lain")
    with pytest.raises(dataclasses.FrozenInstanceError):
        PlanningParams().alpha = 0.1  # type: ignore[misc]
    # Without a programme table: no OPD targets, everything else there.
    q = compute_planning(result, PlanningParams(bootstrap=0), seed=1)
    assert q.opd_targets.empty and len(q.needs_desa) > 0


def test_map_layers_render_offline(runs, kendal):
    result, _ = kendal
    p = runs[0]
    m = choropleth_map(result.desa)
    base = m.get_root().render()
    before = set(re.findall(r"https?://[^\s\"'<>)]+", base))
    m = choropleth_map(result.desa)
    add_planning_layers(m, p, result.desa)
    page = m.get_root().render()
    after = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert after == before, f"layers added external references: {after - before}"
    assert "<img" not in page
    # No jQuery in the offline page: the layers must not use it (folium.Popup does).
    assert page.count("$(") == base.count("$(") == 0
    assert "Lapisan perencanaan" in page  # the legend
    for name in (
        "Kantong kemiskinan",
        "Desa prioritas",
        "Titik dingin",
        "Sel H3: titik panas / dingin (Gi*)",
    ):
        assert name in page
    for pid in p.pockets["kantong_id"]:
        assert pid in page
    # Pocket tooltips carry the scan's evidence in Bahasa Indonesia (issue 11).
    for label in ("Risiko relatif (dalam / luar)", "Nilai p (statistik pindai)", "Stabilitas"):
        assert label in page
    assert "p < 0,0001" in page or "p = 0," in page
    assert page.count("L.circleMarker") == int(
        p.priorities["status_teratas"].isin(["teratas_kokoh", "teratas_belum_pasti"]).sum()
    )
    # The layer control comes after every layer it lists.
    assert page.rfind("L.control.layers") > page.rfind("L.circleMarker")


def test_cells_and_desa_frames_keep_their_keys(runs, kendal):
    result, _ = kendal
    p = runs[0]
    pd.testing.assert_series_equal(p.h3["h3"], result.h3["h3"].reset_index(drop=True))
    assert p.desa["kode_desa"].tolist() == result.desa["kode_desa"].tolist()
    assert p.desa.crs == result.desa.crs and p.h3.geometry.name == "geometry"


def test_method_table_for_the_explaining_sheet():
    params = PlanningParams(min_jiwa_ekstrem=80)
    idn = method_table(params, seed=7)
    en = method_table(params, seed=7, lang="en")
    assert list(idn.columns) == ["bagian", "keterangan", "nilai"]
    assert list(en.columns) == ["section", "description", "value"]
    assert len(idn) == len(en) >= 5
    text = " ".join(idn["nilai"])
    assert "min 80 jiwa" in text and "seed 7" in text and "alpha 0.05" in text
    assert "Benjamini-Hochberg" in " ".join(idn["keterangan"])
