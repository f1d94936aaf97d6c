"""Power study of the pocket detectors: planted pockets on real desa of three kabupaten.

    .venv/bin/python -m benchmarks.pocket_power [--seeds 2] [--keluarga 30000] [--quick]

An independent check of the pocket method, so the families come from this module's own small
generator, not from ``geo_service.synth`` (whose pocket logic the detectors might fit):

- families are placed uniformly inside the real desa polygons of Kendal (33.24), Jepara
  (33.20) and Lahat (16.04), each desa with a gamma-distributed weight (uneven desa sizes);
  1 + Poisson(2.6) persons per family; every family is extreme poor (desil 1) with
  probability 10 %;
- planted pockets: a disc of radius 500-2,000 m around a random family, with 50-2,000 extra
  families placed uniformly in it, and every family in the disc extreme poor with
  probability 2x, 3x or 5x the 10 % around. Four pockets per data set, discs at least 2 km
  apart; every (radius, families, intensity) combination once per kabupaten and seed;
- a null twin of every data set: the same families with the extreme flag shuffled across
  them (no spatial structure at all).

A planted pocket is *found* when one detected pocket holds at least half of the families of
its disc; a detected pocket is *true* when more than half of its families lie within 1 km
of a planted disc. Pockets are bucketed by the families actually in the disc (planted plus
background).

Detectors, with the defaults of one analysis run (:class:`PlanningParams`):

- ``scan``: Kulldorff scan (:mod:`geo_service.analysis.scan`), the pocket method now;
- ``gi_bh``: the former method, Gi* on H3 cells with conditional permutations (999, refined
  to 9,999), two-sided p, Benjamini-Hochberg over all cells, connected hot cells with at
  least 100 extreme-poor persons and 1.5x the kabupaten rate.

Prints recall per size and intensity, precision, false pockets on the nulls and run times
for both, and whether the acceptance targets of issue 11 hold (recall >= 0.95 for pockets of
>= 150 families at >= 3x, precision >= 0.9, false pockets in <= 5 % of nulls, per
kabupaten).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo_service.analysis import gistar as G
from geo_service.analysis.aggregate import h3_indicators
from geo_service.analysis.kantong import family_cell_rows, find_pockets, pockets_from_scan
from geo_service.analysis.locate import h3_cells
from geo_service.analysis.planning import PlanningParams
from geo_service.analysis.scan import M_PER_DEG, local_xy, scan
from geo_service.analysis.smoothing import eb_global, effective_n
from geo_service.io.boundaries import boundary_files, read_boundaries
from geo_service.settings import PathSettings

KABUPATEN = {"33.24": "Kendal", "33.20": "Jepara", "16.04": "Lahat"}
RADII = (500, 1000, 1500, 2000)
SIZES = (50, 150, 500, 2000)
INTENSITIES = (2, 3, 5)
BASE = 0.10
PER_SET = 4
BUCKETS = (
    (0, 150, "<150"),
    (150, 500, "150-499"),
    (500, 2000, "500-1,999"),
    (2000, 10**9, ">=2,000"),
)


@dataclass
class DataSet:
    kode: str
    seed: int
    fam: pd.DataFrame  # lon, lat, kode_desa, jumlah_art, ekstrem
    truth: list[dict]


# --- the independent generator ------------------------------------------------------------


def _points_in(geom, k: int, rng) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    while len(out) < k:
        m = max(64, 3 * (k - len(out)))
        x, y = rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)
        ok = shapely.contains_xy(geom, x, y)
        out = np.vstack([out, np.c_[x[ok], y[ok]]])
    return out[:k]


def make_data(desa, kode: str, seed: int, n_keluarga: int, combos: list[tuple]) -> DataSet:
    rng = np.random.default_rng([seed, int(kode.replace(".", ""))])
    weight = rng.gamma(2.0, 1.0, len(desa))
    counts = rng.multinomial(n_keluarga, weight / weight.sum())
    parts, codes = [], []
    for geom, code, k in zip(desa.geometry, desa["kode"], counts, strict=True):
        if k:
            parts.append(_points_in(geom, int(k), rng))
            codes += [code] * int(k)
    pts = np.vstack(parts)
    fam = pd.DataFrame({"lon": pts[:, 0], "lat": pts[:, 1], "kode_desa": codes})
    truth = []
    xy = local_xy(fam["lon"], fam["lat"])
    # Metres back to degrees with the local plane's own scale (see scan.local_xy).
    scale_x = M_PER_DEG * np.cos(np.radians(fam["lat"].mean()))
    scale_y = M_PER_DEG
    for radius, size, intensity in combos:
        for _ in range(1000):
            j = int(rng.integers(len(fam)))
            c = xy[j]
            if all(np.hypot(*(c - t["xy"])) > radius + t["radius_m"] + 2000 for t in truth):
                break
        ang = rng.uniform(0, 2 * np.pi, size)
        r = radius * np.sqrt(rng.uniform(0, 1, size))
        extra = pd.DataFrame(
            {
                "lon": fam["lon"].iloc[j] + r * np.cos(ang) / scale_x,
                "lat": fam["lat"].iloc[j] + r * np.sin(ang) / scale_y,
                "kode_desa": fam["kode_desa"].iloc[j],
            }
        )
        fam = pd.concat([fam, extra], ignore_index=True)
        xy = np.vstack([xy, np.c_[c[0] + r * np.cos(ang), c[1] + r * np.sin(ang)]])
        truth.append({"xy": c, "radius_m": radius, "planted": size, "intensity": intensity})
    fam["jumlah_art"] = 1 + np.minimum(rng.poisson(2.6, len(fam)), 9)
    p = np.full(len(fam), BASE)
    for t in truth:
        inside = np.hypot(*(xy - t["xy"]).T) <= t["radius_m"]
        p[inside] = BASE * t["intensity"]
        t["n_keluarga"] = int(inside.sum())
    fam["ekstrem"] = rng.random(len(fam)) < p
    fam["x"], fam["y"] = xy[:, 0], xy[:, 1]
    return DataSet(kode, seed, fam, truth)


def shuffled(ds: DataSet, seed: int) -> DataSet:
    rng = np.random.default_rng(10_000 + seed)
    fam = ds.fam.assign(ekstrem=rng.permutation(ds.fam["ekstrem"].to_numpy()))
    return DataSet(ds.kode, ds.seed, fam, [])


# --- the detectors ------------------------------------------------------------------------


def _inputs(ds: DataSet, names: pd.DataFrame):
    fam = ds.fam
    cells = h3_cells(fam["lat"].to_numpy(), fam["lon"].to_numpy(), 8)
    keluarga = pd.DataFrame(
        {
            "h3": cells,
            "kode_desa_lokasi": fam["kode_desa"].to_numpy(dtype=object),
            "jumlah_art": fam["jumlah_art"].to_numpy(),
            "ekstrem": fam["ekstrem"].to_numpy(dtype=bool),
        }
    )
    h3 = h3_indicators(keluarga, keluarga["ekstrem"].to_numpy(), cells).reset_index(drop=True)
    sel = family_cell_rows(h3, keluarga)
    kab = 100 * h3["n_jiwa_ekstrem"].sum() / h3["n_jiwa"].sum()
    return keluarga, h3, sel, kab


def detect(ds: DataSet, names: pd.DataFrame, params: PlanningParams, seed: int) -> dict:
    """Pocket of each family (None outside) for both detectors, and their run times."""
    keluarga, h3, sel, kab = _inputs(ds, names)
    cells = h3["h3"].tolist()
    t0 = time.perf_counter()
    adjacency = G.h3_neighbours(cells, k=1)
    jiwa = keluarga["jumlah_art"].to_numpy("float64")
    n_eff = effective_n(
        h3["n_jiwa"].to_numpy(), np.bincount(sel[sel >= 0], jiwa[sel >= 0] ** 2, len(h3))
    )
    values = eb_global(h3["n_jiwa_ekstrem"], h3["n_jiwa"], n_eff=n_eff)
    gi = G.gi_star(
        values,
        adjacency,
        permutations=params.permutations,
        permutations_max=params.permutations_max,
        refine_below=max(0.1, 2 * params.alpha),
        seed=seed,
    )
    reject, q = G.fdr_bh(gi.p, params.alpha)
    h3_gi = h3.assign(gi_z=gi.z, gi_p=gi.p, gi_q=q, gi_kelas=G.classify(gi.z, reject))
    old, _, _, old_cells = find_pockets(
        h3_gi,
        adjacency,
        keluarga,
        names,
        pct_kabupaten=kab,
        min_jiwa_ekstrem=params.min_jiwa_ekstrem,
        min_rasio=params.min_rasio,
    )
    t_old = time.perf_counter() - t0

    t0 = time.perf_counter()
    lon, lat = G.cell_centres(cells)
    found = scan(
        lon,
        lat,
        sel,
        keluarga["jumlah_art"].to_numpy(),
        keluarga["ekstrem"].to_numpy(),
        model=params.scan_model,
        radius_max_m=params.scan_radius_m,
        share_max=params.scan_share_max,
        replicates=params.scan_replicates,
        alpha=params.alpha,
        stability=0,
        seed=seed,
    )
    new, _, new_cells = pockets_from_scan(
        h3_gi,
        found.clusters,
        found.cells,
        keluarga,
        names,
        pct_kabupaten=kab,
        alpha=params.alpha,
        min_jiwa_ekstrem=params.min_jiwa_ekstrem,
        min_rasio=params.min_rasio,
        sel_keluarga=sel,
    )
    t_new = time.perf_counter() - t0

    def per_family(cell_pocket):
        out = np.full(len(sel), None, dtype=object)
        ok = sel >= 0
        out[ok] = cell_pocket[sel[ok]]
        return out

    return {
        "scan": (per_family(new_cells), len(new), t_new),
        "gi_bh": (per_family(old_cells), len(old), t_old),
    }


# --- scoring ------------------------------------------------------------------------------


def score(ds: DataSet, pocket_of: np.ndarray) -> tuple[list[bool], int, int]:
    """Per planted pocket whether it was found; detected pockets and how many are true."""
    xy = ds.fam[["x", "y"]].to_numpy()
    found = []
    for t in ds.truth:
        disc = np.hypot(*(xy - t["xy"]).T) <= t["radius_m"]
        ids, n = np.unique(pocket_of[disc & pd.notna(pocket_of)].astype(str), return_counts=True)
        found.append(bool(len(n)) and n.max() >= 0.5 * disc.sum())
    near = np.zeros(len(xy), dtype=bool)
    for t in ds.truth:
        near |= np.hypot(*(xy - t["xy"]).T) <= t["radius_m"] + 1000
    has = pd.notna(pocket_of)
    detected = true = 0
    for pid in np.unique(pocket_of[has].astype(str)):
        members = pocket_of == pid
        detected += 1
        true += bool(near[members].mean() > 0.5)
    return found, detected, true


def _bucket(n: int) -> str:
    return next(label for lo, hi, label in BUCKETS if lo <= n < hi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--keluarga", type=int, default=30_000)
    ap.add_argument("--quick", action="store_true", help="one seed, Kendal only (smoke run)")
    args = ap.parse_args()
    params = PlanningParams()
    data_dir = PathSettings().data_dir
    kabs = ["33.24"] if args.quick else list(KABUPATEN)
    seeds = range(1 if args.quick else args.seeds)
    combos = list(itertools.product(RADII, SIZES, INTENSITIES))
    planted_rows, detected_rows, null_rows = [], [], []
    started = time.perf_counter()
    for kode in kabs:
        desa = read_boundaries(boundary_files(data_dir, kode)["desa"])
        names = pd.DataFrame(
            {
                "kode_desa": desa["kode"],
                "nama_desa": desa["nama"],
                "kode_kec": desa["kode_kec"],
                "nama_kec": desa["nama_kec"],
            }
        )
        for seed in seeds:
            order = np.random.default_rng([seed, 7]).permutation(len(combos))
            for s in range(0, len(combos), PER_SET):
                chunk = [combos[i] for i in order[s : s + PER_SET]]
                ds = make_data(desa, kode, 1000 * seed + s, args.keluarga, chunk)
                res = detect(ds, names, params, seed=1000 * seed + s)
                null = detect(shuffled(ds, 1000 * seed + s), names, params, seed=1000 * seed + s)
                for method, (pocket_of, _, secs) in res.items():
                    found, detected, true = score(ds, pocket_of)
                    for t, f in zip(ds.truth, found, strict=True):
                        planted_rows.append(
                            {
                                "kabupaten": KABUPATEN[kode],
                                "metode": method,
                                "radius_m": t["radius_m"],
                                "ditanam": t["planted"],
                                "n_keluarga": t["n_keluarga"],
                                "ukuran": _bucket(t["n_keluarga"]),
                                "intensitas": t["intensity"],
                                "ditemukan": f,
                            }
                        )
                    detected_rows.append(
                        {
                            "kabupaten": KABUPATEN[kode],
                            "metode": method,
                            "terdeteksi": detected,
                            "benar": true,
                            "detik": secs,
                            "n_keluarga": len(ds.fam),
                        }
                    )
                    null_rows.append(
                        {
                            "kabupaten": KABUPATEN[kode],
                            "metode": method,
                            "kantong_palsu": null[method][1],
                            "detik": null[method][2],
                        }
                    )
                print(
                    f"  {KABUPATEN[kode]} seed {seed} set {s // PER_SET + 1}: "
                    + ", ".join(
                        f"{m} {sum(score(ds, res[m][0])[0])}/{len(chunk)} found, "
                        f"{res[m][1]} pockets, null {null[m][1]}"
                        for m in res
                    ),
                    flush=True,
                )
    report(pd.DataFrame(planted_rows), pd.DataFrame(detected_rows), pd.DataFrame(null_rows))
    print(
        f"\nwall {time.perf_counter() - started:.0f} s, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores"
    )


def report(planted: pd.DataFrame, detected: pd.DataFrame, nulls: pd.DataFrame) -> None:
    order = [label for _, _, label in BUCKETS]
    for method in ("scan", "gi_bh"):
        p = planted[planted["metode"] == method]
        table = (
            p.pivot_table(index="ukuran", columns="intensitas", values="ditemukan", aggfunc="mean")
            .reindex([o for o in order if o in set(p["ukuran"])])
            .round(2)
        )
        n = p.pivot_table(index="ukuran", columns="intensitas", values="ditemukan", aggfunc="size")
        print(f"\n{method}: recall by families in the disc (rows) and intensity (columns)")
        print(table.astype(str) + " (n=" + n.reindex(table.index).astype(str) + ")")
    print("\nper kabupaten and method")
    rows = []
    for (kab, method), p in planted.groupby(["kabupaten", "metode"], sort=False):
        target = p[(p["n_keluarga"] >= 150) & (p["intensitas"] >= 3)]
        d = detected[(detected["kabupaten"] == kab) & (detected["metode"] == method)]
        nl = nulls[(nulls["kabupaten"] == kab) & (nulls["metode"] == method)]
        rows.append(
            {
                "kabupaten": kab,
                "metode": method,
                "recall_>=150_>=3x": round(target["ditemukan"].mean(), 3),
                "recall_all": round(p["ditemukan"].mean(), 3),
                "precision": round(d["benar"].sum() / max(d["terdeteksi"].sum(), 1), 3),
                "null_sets_with_pocket": f"{(nl['kantong_palsu'] > 0).sum()}/{len(nl)}",
                "s_per_set": round(d["detik"].mean(), 2),
            }
        )
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    ok = (
        (table["recall_>=150_>=3x"] >= 0.95)
        & (table["precision"] >= 0.9)
        & table["null_sets_with_pocket"].map(
            lambda s: int(s.split("/")[0]) <= 0.05 * int(s.split("/")[1])
        )
    )
    for (_, row), good in zip(table.iterrows(), ok, strict=True):
        if row["metode"] == "scan":
            print(f"acceptance {row['kabupaten']}: {'met' if good else 'NOT met'}")


if __name__ == "__main__":
    main()
