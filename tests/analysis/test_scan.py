"""Kulldorff spatial scan: golden LLRs against an independent computation, valid p-values
under family-level random labelling, a planted pocket found, stable results and ids."""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from geo_service.analysis import scan as S
from geo_service.analysis.kantong import group_id, pockets_from_scan


def _bernoulli_by_hand(c: int, n: int, C: int, N: int) -> float:
    """The Bernoulli LLR written out (Kulldorff 1997), elevated rate inside only."""
    if c / n <= (C - c) / (N - n):
        return 0.0

    def xl(a, b):  # a ln(a / b), 0 ln 0 = 0
        return 0.0 if a == 0 else a * math.log(a / b)

    inside = xl(c, n) + xl(n - c, n)
    outside = xl(C - c, N - n) + xl(N - n - (C - c), N - n)
    return inside + outside - xl(C, N) - xl(N - C, N)


def _lonlat(xy_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points given in metres near the equator (local plane of :func:`scan.local_xy`)."""
    lat = xy_m[:, 1] / S.M_PER_DEG
    lat0 = float(np.mean(lat))
    lon = 110.0 + xy_m[:, 0] / (S.M_PER_DEG * math.cos(math.radians(lat0)))
    return lon, lat


# --- golden: five cells on a line ------------------------------------------------------

# Cells 1 km apart on a line; per cell the families as (persons, extreme) pairs.
LINE_FAMILIES = {
    0: [(4, False)] * 10,
    1: [(4, False)] * 8 + [(5, True)] * 2,
    2: [(3, True)] * 6 + [(4, False)] * 4,
    3: [(5, True)] * 4 + [(4, False)] * 6,
    4: [(4, False)] * 10,
}


def _line_fixture():
    xy = np.c_[np.arange(5) * 1000.0, np.zeros(5)]
    cell, jiwa, ek = [], [], []
    for c, fams in LINE_FAMILIES.items():
        for j, e in fams:
            cell.append(c)
            jiwa.append(j)
            ek.append(e)
    return xy, np.array(cell), np.array(jiwa), np.array(ek)


def test_bernoulli_llr_matches_the_formula_written_out():
    for c, n, C, N in [(30, 100, 50, 1000), (3, 10, 40, 400), (12, 12, 20, 300), (5, 100, 50, 500)]:
        assert S.llr_bernoulli(c, n, C, N) == pytest.approx(_bernoulli_by_hand(c, n, C, N))
    # A hand-computable case: 30 of 100 inside, 20 of 900 outside.
    by_hand = (
        30 * math.log(0.3)
        + 70 * math.log(0.7)
        + 20 * math.log(20 / 900)
        + 880 * math.log(880 / 900)
        - 50 * math.log(0.05)
        - 950 * math.log(0.95)
    )
    assert S.llr_bernoulli(30, 100, 50, 1000) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(41.52, abs=0.01)
    # Poisson: c ln(c/E) + (C-c) ln((C-c)/(C-E)) with E = C n / N = 5.
    assert S.llr_poisson(30, 100, 50, 1000) == pytest.approx(
        30 * math.log(30 / 5) + 20 * math.log(20 / 45)
    )


def test_zones_and_most_likely_cluster_match_an_independent_scan():
    xy, cell, jiwa, ek = _line_fixture()
    lon, lat = _lonlat(xy)
    res = S.scan(lon, lat, cell, jiwa, ek, radius_max_m=1500, share_max=0.5, replicates=99, seed=1)

    # Independent: every circle (centre, radius = a distance to another cell) by brute force.
    pop = np.bincount(cell, weights=jiwa, minlength=5)
    cas = np.bincount(cell, weights=jiwa * ek, minlength=5)
    N, C = pop.sum(), cas.sum()
    assert (N, C) == (200, 48)
    best, best_zone, n_zones = 0.0, None, 0
    for centre in range(5):
        dist = np.abs(xy[:, 0] - xy[centre, 0])
        for r in sorted(set(dist[dist <= 1500])):
            members = np.flatnonzero(dist <= r)
            if pop[members].sum() > 0.5 * N:
                continue
            n_zones += 1
            llr = _bernoulli_by_hand(int(cas[members].sum()), int(pop[members].sum()), C, N)
            if llr > best + 1e-12:
                best, best_zone = llr, set(members.tolist())
    assert len(res.zones) == n_zones
    top = res.clusters.iloc[0]
    assert top["llr"] == pytest.approx(best, rel=1e-9)
    # On a line a circle around cell 2 that holds cell 3 also holds cell 1, so the best
    # circle is cell 2 alone: 18 cases among 34 persons (53 %, against 30 of 166 outside).
    assert set(res.cells[0].tolist()) == best_zone == {2}
    assert (top["n_jiwa_ekstrem"], top["n_jiwa"]) == (18, 34)
    assert top["llr"] == pytest.approx(_bernoulli_by_hand(18, 34, 48, 200))
    assert top["n_jiwa_ekstrem_harapan"] == pytest.approx(48 * 34 / 200)
    assert top["risiko_relatif"] == pytest.approx((18 / 34) / (30 / 166))
    assert top["radius_m"] == 0.0
    # The LLR of every zone (table look-up) equals the formula.
    fast = S._FastLLR("bernoulli", res.zones.sums(pop.astype(np.int64)), int(C), int(N))
    zc = res.zones.sums(cas.astype(np.int64))
    zp = res.zones.sums(pop.astype(np.int64))
    expect = [
        _bernoulli_by_hand(int(c), int(n), int(C), int(N)) for c, n in zip(zc, zp, strict=True)
    ]
    assert np.allclose(fast(zc), expect, rtol=1e-9, atol=1e-9)


def test_ties_enter_a_circle_together_and_population_cap_holds():
    # A centre with four cells at the same distance: one zone for the ring, not four.
    xy = np.array([[0, 0], [500, 0], [-500, 0], [0, 500], [0, -500], [5000, 0]], dtype=float)
    pop = np.array([10, 10, 10, 10, 10, 10])
    z = S.build_zones(xy, pop, radius_max_m=600, share_max=0.99)
    centre0 = np.flatnonzero(z.centre == 0)
    assert [len(z.cells(e)) for e in centre0] == [1, 5]
    z = S.build_zones(xy, pop, radius_max_m=600, share_max=0.5)
    assert [len(z.cells(e)) for e in np.flatnonzero(z.centre == 0)] == [1]  # 50 of 60: too big
    assert z.sums(pop).max() <= 30


# --- inference ---------------------------------------------------------------------------


def _grid(n_side: int, spacing: float = 800.0) -> np.ndarray:
    g = np.arange(n_side)
    x, y = np.meshgrid(g, g)
    return np.c_[x.ravel(), y.ravel()] * spacing


def test_gumbel_p_values_below_the_replicate_floor():
    rng = np.random.default_rng(0)
    null = rng.gumbel(10.0, 2.0, 999)
    p, p_g = S.p_values(np.array([12.0, 40.0]), null)
    assert 0.1 < p[0] < 0.6  # an ordinary rank p-value
    assert p[1] < 1 / 1000 and p[1] == pytest.approx(p_g[1])
    loc, scale = S.gumbel_fit(null)
    assert loc == pytest.approx(10.0, abs=0.3) and scale == pytest.approx(2.0, abs=0.2)
    kritis = S.critical_llr(null, 0.05)
    assert S.p_values(np.array([kritis]), null)[0][0] <= 0.05
    assert S.p_values(np.array([kritis - 1e-3]), null)[0][0] > 0.05


def test_family_level_labelling_gives_uniform_p_values_on_null_data():
    """Flags independent of place; families of very different sizes (so that labelling
    persons instead of families would be anti-conservative). 400 small data sets."""
    xy = _grid(6)
    lon, lat = _lonlat(xy)
    ps = []
    for seed in range(400):
        rng = np.random.default_rng(seed)
        f = 400
        cell = rng.integers(0, len(xy), f)
        jiwa = rng.choice([1, 2, 4, 8, 12], f)
        ek = rng.random(f) < 0.15
        res = S.scan(
            lon,
            lat,
            cell,
            jiwa,
            ek,
            radius_max_m=1700,
            share_max=0.25,
            replicates=99,
            stability=0,
            seed=seed,
            workers=1,
        )
        ps.append(res.clusters["p_value"].iloc[0])
    ps = np.array(ps)
    # Monte Carlo p-values are discrete (multiples of 1/100): compare with a tolerant bound.
    for level in (0.05, 0.1, 0.25, 0.5):
        share = (ps <= level + 1e-9).mean()
        sd = math.sqrt(level * (1 - level) / len(ps))
        assert abs(share - level) <= 3.5 * sd + 0.01, (level, share)
    assert stats.kstest(ps, "uniform").statistic < 0.1


def test_planted_pocket_found_with_strong_evidence_and_stable():
    xy = _grid(30)
    lon, lat = _lonlat(xy)
    rng = np.random.default_rng(5)
    f = 20_000
    cell = rng.integers(0, len(xy), f)
    jiwa = rng.integers(1, 7, f)
    centre = 15 * 30 + 12
    d = np.hypot(*(xy[cell] - xy[centre]).T)
    planted = d <= 1000
    ek = rng.random(f) < np.where(planted, 0.35, 0.10)
    res = S.scan(lon, lat, cell, jiwa, ek, replicates=199, stability=10, seed=3)
    top = res.clusters.iloc[0]
    cells = set(res.cells[0].tolist())
    disc = set(np.flatnonzero(np.hypot(*(xy - xy[centre]).T) <= 1000).tolist())
    assert len(cells & disc) >= 0.8 * len(disc)
    assert len(cells - disc) <= 0.5 * len(cells)
    assert top["p_value"] < 1 / 200  # beyond the replicates: Gumbel
    assert top["risiko_relatif"] > 2.5
    assert top["stabilitas"] >= 0.9
    # Secondary clusters never share a cell with a stronger one.
    seen: set[int] = set()
    for c in res.cells:
        assert not (seen & set(c.tolist()))
        seen |= set(c.tolist())


def test_same_seed_same_result_whatever_the_threads_poisson_too():
    xy = _grid(12)
    lon, lat = _lonlat(xy)
    rng = np.random.default_rng(2)
    cell = rng.integers(0, len(xy), 3000)
    jiwa = rng.integers(1, 6, 3000)
    ek = rng.random(3000) < np.where(cell < 20, 0.4, 0.1)
    a = S.scan(lon, lat, cell, jiwa, ek, replicates=99, stability=5, seed=11, workers=2)
    b = S.scan(lon, lat, cell, jiwa, ek, replicates=99, stability=5, seed=11, workers=1)
    pd.testing.assert_frame_equal(a.clusters, b.clusters)
    assert np.array_equal(a.null_max, b.null_max)
    c = S.scan(lon, lat, cell, jiwa, ek, replicates=99, stability=0, seed=12)
    assert not np.array_equal(a.null_max, c.null_max)
    assert a.clusters["zona"].iloc[0] == c.clusters["zona"].iloc[0]  # the zones do not move
    poisson = S.scan(lon, lat, cell, jiwa, ek, model="poisson", replicates=99, seed=11)
    assert set(poisson.cells[0].tolist()) & set(a.cells[0].tolist())
    assert poisson.clusters["p_value"].iloc[0] <= 0.01


def test_pocket_ids_are_stable_and_records_complete():
    """Pocket records from the scan on real H3 cells: ids from the sorted cells, the same
    in every run; relative risk, expected persons, p-value and the desa shares."""
    centre = h3.latlng_to_cell(-7.0, 110.2, 8)
    cells = sorted(h3.grid_disk(centre, 6))
    rng = np.random.default_rng(4)
    f = 6000
    fam_cells = rng.integers(0, len(cells), f)
    near = set(h3.grid_disk(centre, 1))
    in_pocket = np.array([cells[i] in near for i in fam_cells])
    ek = rng.random(f) < np.where(in_pocket, 0.5, 0.08)
    keluarga = pd.DataFrame(
        {
            "h3": np.array([int(cells[i], 16) for i in fam_cells], dtype=np.uint64),
            "kode_desa_lokasi": np.where(in_pocket, "33.24.01.2001", "33.24.01.2002"),
            "jumlah_art": rng.integers(1, 7, f),
            "ekstrem": ek,
        }
    )
    keluarga["jiwa_ek"] = keluarga["jumlah_art"] * keluarga["ekstrem"]
    idx = fam_cells
    counts = pd.DataFrame(
        {
            "n_keluarga": np.bincount(idx, minlength=len(cells)),
            "n_jiwa": np.bincount(idx, weights=keluarga["jumlah_art"], minlength=len(cells)),
            "n_keluarga_ekstrem": np.bincount(idx, weights=ek, minlength=len(cells)),
            "n_jiwa_ekstrem": np.bincount(idx, weights=keluarga["jiwa_ek"], minlength=len(cells)),
        }
    ).astype(np.int64)
    frame = gpd.GeoDataFrame(
        counts.assign(h3=cells, gi_z=0.0, gi_p=1.0, gi_q=1.0),
        geometry=[shapely.Polygon([(lo, la) for la, lo in h3.cell_to_boundary(c)]) for c in cells],
        crs="EPSG:4326",
    )
    frame["pct_jiwa_ekstrem"] = 100 * frame["n_jiwa_ekstrem"] / frame["n_jiwa"]
    desa = pd.DataFrame(
        {
            "kode_desa": ["33.24.01.2001", "33.24.01.2002"],
            "nama_desa": ["Satu", "Dua"],
            "kode_kec": ["33.24.01", "33.24.01"],
            "nama_kec": ["Kec", "Kec"],
        }
    )
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    kab = 100 * counts["n_jiwa_ekstrem"].sum() / counts["n_jiwa"].sum()
    runs = []
    for _ in range(2):
        res = S.scan(lon, lat, fam_cells, keluarga["jumlah_art"], ek, seed=9)
        runs.append(
            pockets_from_scan(frame, res.clusters, res.cells, keluarga, desa, pct_kabupaten=kab)
        )
    (p1, d1, c1), (p2, _, _) = runs
    pd.testing.assert_frame_equal(
        pd.DataFrame(p1.drop(columns="geometry")), pd.DataFrame(p2.drop(columns="geometry"))
    )
    assert len(p1) >= 1
    first = p1.iloc[0]
    assert first["kantong_id"] == group_id(first["sel_h3"].split(","), "K-")
    assert first["nomor"] == 1 and first["p_value"] <= 0.001
    assert first["risiko_relatif"] > 3 and first["n_jiwa_ekstrem_harapan"] < first["n_jiwa_ekstrem"]
    assert first["nama_desa_utama"] == "Satu"
    assert set(first["sel_h3"].split(",")) >= near - {c for c in near if c not in cells}
    assert (c1 == first["kantong_id"]).sum() == first["n_sel"]
    assert d1["kantong_id"].iloc[0] == first["kantong_id"]
