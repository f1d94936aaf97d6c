"""Pockets: connected groups and stable ids, planted-pocket recall/precision, null behaviour.

Acceptance thresholds (issue 3):

- planted pockets, pooled over seeds 1-6 (80,000 families, 4 pockets each): recall >= 0.9
  and precision >= 0.8 at the pocket level (a planted pocket is found when a found pocket
  overlaps its circle; a found pocket is right when it overlaps a planted circle or is a
  natural pocket of the generator's field, see below);
- every found pocket that overlaps no planted circle is a pocket of the generator's own
  spatial field: found again at the same place in the twin data set generated with the same
  seed and no planted pockets (the generator draws its field before planting); at most one
  borderline pocket in the six data sets may be unexplained;
- desil shuffled across families (no spatial structure): pockets in at most 5% of 20 seeds
  (at most 1) at FDR 0.05.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geo_service.analysis import AnalysisParams, compute_indicators
from geo_service.analysis import gistar as G
from geo_service.analysis.aggregate import desa_indicators, h3_indicators, is_ekstrem, roll_up
from geo_service.analysis.kantong import connected_groups, find_pockets, group_id
from geo_service.analysis.planning import PlanningParams, detect_pockets
from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
from geo_service.settings import PathSettings
from geo_service.synth import calibration_from_bps, generate_keluarga

PLANTED_SEEDS = range(1, 7)
PLANTED_N = 80_000
NULL_SEEDS = range(20)
NULL_N = 20_000
MIN_RECALL = 0.9
MIN_PRECISION = 0.8
MAX_NULL_SHARE = 0.05


@lru_cache
def _kendal():
    data_dir = PathSettings().data_dir
    desa = read_boundaries(boundary_files(data_dir, "33.24")["desa"])
    return desa, calibration_from_bps(read_bps(data_dir), "33.24")


def _generate(seed: int, n: int, kantong: int):
    desa, calib = _kendal()
    return generate_keluarga(
        desa, calib, n_keluarga=n, periode="2025-03", seed=seed, kantong=kantong
    )


def _indicators(frame: pd.DataFrame):
    desa, _ = _kendal()
    return compute_indicators(frame, desa, AnalysisParams())


def _circle(p: dict):
    pt = gpd.GeoSeries([shapely.Point(p["lon"], p["lat"])], crs=4326)
    utm = pt.estimate_utm_crs()
    return pt.to_crs(utm).buffer(p["radius_m"]).to_crs(4326).iloc[0]


# --- units ------------------------------------------------------------------------------


def _toy():
    """Two blobs of hot cells, one cold blob, all around Kendal; 20 families per cell."""
    a = h3.latlng_to_cell(-6.95, 110.10, 8)
    b = h3.latlng_to_cell(-6.95, 110.20, 8)
    c = h3.latlng_to_cell(-7.05, 110.15, 8)
    hot = sorted(h3.grid_disk(a, 1)) + sorted(h3.grid_disk(b, 1))
    cold = sorted(h3.grid_disk(c, 1))
    filler = sorted(set(h3.grid_disk(a, 3)) - set(h3.grid_disk(a, 1)))
    cells = hot + cold + filler
    kelas = ["panas"] * len(hot) + ["dingin"] * len(cold) + ["tidak_signifikan"] * len(filler)
    rows, fams = [], []
    for i, cell in enumerate(cells):
        ek = 10 if kelas[i] == "panas" else 0 if kelas[i] == "dingin" else 2
        desa = "33.24.01.2001" if i % 2 else "33.24.01.2002"
        for j in range(20):
            fams.append(
                {
                    "h3": np.uint64(int(cell, 16)),
                    "kode_desa_lokasi": desa,
                    "jumlah_art": 3,
                    "ekstrem": j < ek,
                }
            )
        rows.append(
            {
                "h3": cell,
                "n_keluarga": 20,
                "n_jiwa": 60,
                "n_keluarga_ekstrem": ek,
                "n_jiwa_ekstrem": 3 * ek,
                "pct_jiwa_ekstrem": 5 * ek,
                "gi_z": 3.0 if kelas[i] == "panas" else -3.0 if kelas[i] == "dingin" else 0.5,
                "gi_p": 0.001,
                "gi_q": 0.01,
                "gi_kelas": kelas[i],
            }
        )
    geoms = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    h3_gi = gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
    keluarga = pd.DataFrame(fams)
    desa = pd.DataFrame(
        {
            "kode_desa": ["33.24.01.2001", "33.24.01.2002"],
            "nama_desa": ["Satu", "Dua"],
            "kode_kec": ["33.24.01"] * 2,
            "nama_kec": ["Plantungan"] * 2,
        }
    )
    return h3_gi, keluarga, desa


def test_groups_ids_and_summaries():
    h3_gi, keluarga, desa = _toy()
    w = G.h3_neighbours(h3_gi["h3"].tolist())
    pockets, pocket_desa, cold, cell_pocket = find_pockets(
        h3_gi, w, keluarga, desa, pct_kabupaten=8.0, min_jiwa_ekstrem=100, min_rasio=1.5
    )
    assert len(pockets) == 2 and len(cold) == 1
    assert pockets["n_sel"].tolist() == [7, 7]
    assert (pockets["n_jiwa_ekstrem"] == 7 * 30).all()
    assert np.allclose(pockets["pct_jiwa_ekstrem"], 50.0)
    assert np.allclose(pockets["rasio_kabupaten"], 50.0 / 8.0)
    # Stable id: from the sorted cells, whatever the row order.
    for pid, cells in zip(pockets["kantong_id"], pockets["sel_h3"], strict=True):
        assert pid == group_id(cells.split(","), "K-")
    shuffled = h3_gi.sample(frac=1.0, random_state=4).reset_index(drop=True)
    w2 = G.h3_neighbours(shuffled["h3"].tolist())
    again = find_pockets(shuffled, w2, keluarga, desa, pct_kabupaten=8.0)[0]
    assert sorted(again["kantong_id"]) == sorted(pockets["kantong_id"])
    # Cold spots apart, never in pockets.
    cold_cells = set(cold["sel_h3"].iloc[0].split(","))
    pocket_cells = set(",".join(pockets["sel_h3"]).split(","))
    assert not cold_cells & pocket_cells
    assert cold["dingin_id"].iloc[0].startswith("D-")
    assert set(h3_gi.loc[pd.notna(cell_pocket), "gi_kelas"]) == {"panas"}
    # Desa shares of each pocket's extreme-poor persons add up to 100%.
    sums = pocket_desa.groupby("kantong_id")["pct_jiwa_ekstrem_kantong"].sum()
    assert np.allclose(sums, 100.0)
    assert pockets["desa"].str.contains("Satu").all() and (pockets["kecamatan"] != "").all()
    # Geometry = union of the cells.
    assert pockets.geometry.is_valid.all() and (pockets["luas_km2"] > 3).all()


def test_thresholds_and_empty_input():
    h3_gi, keluarga, desa = _toy()
    w = G.h3_neighbours(h3_gi["h3"].tolist())
    # 210 extreme-poor persons per pocket: a 250 threshold removes both.
    pockets = find_pockets(h3_gi, w, keluarga, desa, pct_kabupaten=8.0, min_jiwa_ekstrem=250)[0]
    assert len(pockets) == 0
    # A rate of 50% is 6.25x the kabupaten's 8%: a ratio floor of 7 removes both.
    pockets = find_pockets(h3_gi, w, keluarga, desa, pct_kabupaten=8.0, min_rasio=7.0)[0]
    assert len(pockets) == 0
    none = h3_gi.assign(gi_kelas="tidak_signifikan")
    pockets, pocket_desa, cold, cell_pocket = find_pockets(
        none, w, keluarga, desa, pct_kabupaten=8.0
    )
    assert len(pockets) == 0 and len(cold) == 0 and pd.isna(cell_pocket).all()
    assert "kantong_id" in pockets.columns and "geometry" in pockets.columns


def test_connected_groups_labels_are_deterministic():
    h3_gi, _, _ = _toy()
    w = G.h3_neighbours(h3_gi["h3"].tolist())
    labels = connected_groups(h3_gi["gi_kelas"].to_numpy() == "panas", w)
    assert labels[:7].tolist() == [0] * 7 and labels[7:14].tolist() == [1] * 7
    assert (labels[14:] == -1).all()


# --- acceptance: planted pockets ----------------------------------------------------------


def _found(seed: int, n: int, kantong: int):
    data = _generate(seed, n, kantong)
    hot = detect_pockets(_indicators(data.keluarga), PlanningParams(), seed=seed)
    return data.truth, hot


@pytest.mark.slow
def test_planted_pockets_are_found_and_what_is_found_is_real():
    """The scan (issue 11) also finds the generator's own smooth field where it is strong
    (bumps 3-10 km wide): those pockets are real, found again in the twin data set without
    planted pockets, so precision counts a pocket as right when it overlaps a planted circle
    or is such a natural pocket; at most one may be unexplained."""
    n_planted = n_recalled = n_found = n_right = 0
    unexplained, report = [], []
    for seed in PLANTED_SEEDS:
        truth, hot = _found(seed, PLANTED_N, 4)
        circles = [_circle(p) for p in truth["kantong"]]
        geoms = list(hot.pockets.geometry)
        recalled = [any(g.intersects(c) for g in geoms) for c in circles]
        right = [any(g.intersects(c) for c in circles) for g in geoms]
        natural = 0
        if not all(right):
            # Pockets that are not planted: are they in the generator's own field?
            _, twin = _found(seed, PLANTED_N, 0)
            for g, ok, pid in zip(geoms, right, hot.pockets["kantong_id"], strict=True):
                if ok:
                    continue
                if any(g.intersects(t) for t in twin.pockets.geometry):
                    natural += 1
                else:
                    unexplained.append((seed, pid))
        n_planted += len(circles)
        n_recalled += sum(recalled)
        n_found += len(geoms)
        n_right += sum(right) + natural
        report.append(
            f"seed {seed}: planted {len(circles)}, recalled {sum(recalled)}, "
            f"found {len(geoms)}, overlapping planted {sum(right)}, natural {natural}"
        )
    recall = n_recalled / n_planted
    precision = n_right / n_found
    detail = "\n".join(report) + f"\nrecall {recall:.3f}, precision {precision:.3f}"
    assert recall >= MIN_RECALL, detail
    assert precision >= MIN_PRECISION, detail
    # A borderline natural cluster can be significant in one of the twins only, and the
    # scan's family-wise error is 5 % per data set: at most one unexplained pocket in six.
    assert len(unexplained) <= 1, f"pockets neither planted nor natural: {unexplained}\n{detail}"
    # Every pocket carries the scan's evidence.
    assert (hot.pockets["p_value"] <= 0.05).all()
    assert (hot.pockets["risiko_relatif"] > 1).all()
    assert hot.pockets["stabilitas"].between(0, 1).all()


# --- acceptance: no spatial structure ----------------------------------------------------


def _shuffled(result, seed: int):
    """The same families with desil shuffled across them: locations kept, aggregates redone
    with the pipeline's own functions (cheaper than locating everything again)."""
    rng = np.random.default_rng(1000 + seed)
    fam = result.keluarga.assign(desil=rng.permutation(result.keluarga["desil"].to_numpy()))
    ekstrem = is_ekstrem(fam)
    fam["ekstrem"] = ekstrem
    desa_ind = desa_indicators(fam, ekstrem, _kendal()[0])
    return dataclasses.replace(
        result,
        keluarga=fam,
        desa=desa_ind,
        kabupaten=roll_up(desa_ind, "kabupaten"),
        h3=h3_indicators(fam, ekstrem, fam["h3"].to_numpy()),
    )


@pytest.mark.slow
def test_no_pockets_without_spatial_structure():
    result = _indicators(_generate(101, NULL_N, 0).keluarga)
    seeds_with_pockets, seeds_with_hot_cells = [], []
    for seed in NULL_SEEDS:
        hot = detect_pockets(_shuffled(result, seed), PlanningParams(), seed=seed)
        if len(hot.pockets):
            seeds_with_pockets.append(seed)
        if (hot.h3["gi_kelas"] == G.PANAS).any():
            seeds_with_hot_cells.append(seed)
    share = len(seeds_with_pockets) / len(NULL_SEEDS)
    assert share <= MAX_NULL_SHARE, (
        f"pockets in {len(seeds_with_pockets)} of {len(NULL_SEEDS)} shuffled data sets: "
        f"{seeds_with_pockets}"
    )
    # Also before the size and rate floors: BH keeps false hot cells rare.
    assert len(seeds_with_hot_cells) <= 2, seeds_with_hot_cells
