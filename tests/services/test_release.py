"""The release step (services/release.py) on generated Kendal and Lahat data: what opd and
publik receive is derived from released values only, and no hidden small count can be
recovered from all released tables together (LP audit, tests/fixtures/lp_audit.py)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.analysis.disclosure import SUPPRESSED_FLAG, is_small
from geo_service.analysis.planning import compute_planning
from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
from geo_service.services.analysis_run import RUN_DEFAULTS, read_programmes, stored_tables
from geo_service.services.release import build_release
from geo_service.synth import calibration_from_bps, generate_keluarga
from tests.fixtures.lp_audit import audit

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
K = 10
KABUPATEN = {"33.24": 12_000, "16.04": 10_000}  # Kendal, Lahat


@lru_cache(maxsize=2)
def _run(kode_kab: str):
    desa = read_boundaries(boundary_files(DATA, kode_kab)["desa"])
    calib = calibration_from_bps(read_bps(DATA), kode_kab)
    data = generate_keluarga(
        desa, calib, n_keluarga=KABUPATEN[kode_kab], periode="2025-03", seed=5, kantong=2
    )
    result = compute_indicators(data.keluarga, desa, AnalysisParams())
    planning = compute_planning(
        result, RUN_DEFAULTS.planning_params(), seed=5, programmes=read_programmes(DATA)
    )
    return result.desa, stored_tables(planning)


@pytest.fixture(params=sorted(KABUPATEN), scope="module")
def run(request):
    return _run(request.param)


def test_stored_priorities_leak_and_released_do_not(run):
    """Finding 1: hidden rows' skor_jumlah times the published max gives the count back in
    the stored table; the released table has no score on hidden rows, and its published
    scores use published values only."""
    desa, tables = run
    stored = tables["prioritas"]
    top = stored["n_jiwa_ekstrem"].max()
    recovered = (stored["skor_jumlah"] * top).round()
    assert (recovered == stored["n_jiwa_ekstrem"]).mean() > 0.9  # the attack on stored data
    rel = build_release(desa, tables, role="publik", k=K)
    pri = rel.table("prioritas")
    hidden = pri[SUPPRESSED_FLAG].to_numpy(bool)
    assert hidden.any() and (~hidden).any()
    for col in ("skor", "skor_jumlah", "skor_tingkat", "peringkat", "kuadran", "n_jiwa_ekstrem"):
        assert pri.loc[hidden, col].isna().all(), col
    for col in ("peringkat_rentang_bawah", "peluang_teratas", "status_teratas", "skor_celah"):
        assert col not in pri.columns
    shown = pri[~hidden & (pri["n_jiwa"].astype(float) > 0)]
    n = shown["n_jiwa_ekstrem"].astype(float)
    assert np.allclose(shown["skor_jumlah"].astype(float), n / n.max())
    assert list(shown["peringkat"].astype(int)) == list(range(1, len(shown) + 1))


def test_released_reasons_give_no_small_share(run):
    """Finding 2: reason texts of suppressed roles state released counts only, no
    programme shares (stored texts do: 'tidak menerima PKH 90 %')."""
    desa, tables = run
    for role in ("opd", "publik"):
        pri = build_release(desa, tables, role=role, k=K, kode_opd="Dinsos").table("prioritas")
        text = " ".join(pri["alasan"].astype(str))
        assert "PKH" not in text and "BPNT" not in text and "bootstrap" not in text
        for row in pri[~pri[SUPPRESSED_FLAG]].itertuples():
            numbers = [
                int(x.replace(".", "")) for x in re.findall(r"\b\d[\d.]*\b(?!,)", row.alasan)
            ]
            assert not any(is_small([x], K)[0] for x in numbers[:2]), row.alasan


def test_coverage_publishes_no_partition_of_households(run):
    """Finding 3: n_keluarga_mampu with n_keluarga and n_keluarga_ekstrem gave the rest of
    the families; non-extreme counts are not released, and every released part and its
    complement to the released whole is 0 or >= k."""
    desa, tables = run
    cak = build_release(desa, tables, role="opd", k=K).table("cakupan")
    assert not [c for c in cak.columns if "mampu" in c or "inklusi" in c]
    whole = cak["n_keluarga_ekstrem"].astype("Float64")
    for c in [c for c in cak.columns if c.startswith(("n_eksklusi_", "n_ekstrem_tanpa"))]:
        part = cak[c].astype("Float64")
        ok = part.notna() & whole.notna()
        assert not is_small(part[ok].to_numpy(float), K).any()
        assert not is_small((whole - part)[ok].to_numpy(float), K).any()


def test_publik_sees_no_more_opd_targets_than_opd(run):
    """Finding 10 (last part): publik gets no OPD targets; opd only its own OPD's."""
    desa, tables = run
    opd = build_release(desa, tables, role="opd", k=K, kode_opd="Dinsos").table("target_opd")
    pub = build_release(desa, tables, role="publik", k=K).table("target_opd")
    assert len(pub) == 0
    assert len(opd) > 0 and opd["opd"].str.contains("Dinsos").all()
    for c in ("peringkat", "status_teratas", "urutan"):
        assert c not in opd.columns


def test_lp_audit_recovers_no_small_count(run):
    """No hidden count in 1..k-1 (or complement) is pinned down or shown to be small by
    linear programming over every released table together. opd's set is publik's plus its
    OPD targets, so auditing opd covers publik."""
    desa, tables = run
    rel = build_release(desa, tables, role="opd", k=K, kode_opd="Dinsos")
    truth = pd.DataFrame(desa.drop(columns="geometry"))
    findings = audit(
        rel.desa,
        rel.kecamatan,
        rel.kabupaten,
        truth,
        k=K,
        cakupan=rel.table("cakupan"),
        targets=rel.table("target_opd"),
    )
    assert len(findings) > 50  # there are small counts to protect
    disclosed = [f for f in findings if f.disclosed]
    assert not disclosed, disclosed[:5]


def test_lp_audit_catches_primary_only_suppression(run):
    """The auditor is not blind: with primary suppression only (kecamatan totals complete),
    it recovers small counts."""
    desa, _ = run
    truth = pd.DataFrame(desa.drop(columns="geometry"))
    counts = ["n_keluarga", "n_jiwa", "n_keluarga_ekstrem", "n_jiwa_ekstrem"]
    small = np.zeros(len(truth), dtype=bool)
    for part, whole in (("n_keluarga_ekstrem", "n_keluarga"), ("n_jiwa_ekstrem", "n_jiwa")):
        small |= is_small(truth[part], K) | is_small(truth[whole] - truth[part], K)
    shown = truth.copy()
    shown[counts] = shown[counts].astype("Float64")
    shown.loc[small, counts] = pd.NA
    kec = truth.groupby("kode_kec", as_index=False)[counts].sum()
    kab = truth[counts].sum().to_frame().T
    findings = audit(shown, kec, kab, truth, k=K)
    assert sum(f.disclosed for f in findings) >= 5
