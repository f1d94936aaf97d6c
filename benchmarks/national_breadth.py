"""Every kabupaten of a national desa layer, as a ministry user would try it.

For each of the 514 kabupaten of ``indonesia_desa.parquet``: check and repair its desa,
generate ``--keluarga`` synthetic families (BPS figures where published, national defaults
otherwise), run the whole analysis (validation, location, H3, aggregates, pockets,
priorities, needs) and record the outcome. A kabupaten that fails is listed with its error;
the run never stops at one. Writes one CSV row per kabupaten and prints a summary::

    python -m benchmarks.national_breadth --boundaries /path/indonesia_desa.parquet \\
        --keluarga 2000 --out benchmarks/results/national_breadth_2000.csv
"""

from __future__ import annotations

import argparse
import time
import traceback
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo_service.analysis.boundaries import check_boundaries
from geo_service.io.boundaries import read_bps
from geo_service.services import analysis_run as AR
from geo_service.settings import PROJECT_ROOT
from geo_service.synth import calibration_for, generate_keluarga


def one(desa_kab: gpd.GeoDataFrame, kab: str, n: int, bps: pd.DataFrame, data_dir: Path):
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checked = check_boundaries(desa_kab)
    if checked.problems:
        raise RuntimeError("; ".join(checked.problems))
    desa = checked.desa
    calib = calibration_for(bps, kab, nama=str(desa["nama_kab"].iloc[0]))
    fam = generate_keluarga(desa, calib, n_keluarga=n, periode="2025-03", seed=7, kantong=1)
    inputs = AR.inputs_from_frames(fam.keluarga, desa, data_dir=data_dir)
    result = AR.run_analysis(inputs, AR.RUN_DEFAULTS)
    ind, plan = result.indicators, result.planning
    return {
        "kode_kab": kab,
        "nama_kab": str(desa["nama_kab"].iloc[0]),
        "n_desa": len(desa),
        "diperbaiki": len(checked.repaired),
        "peringatan": len(caught),
        "bawaan_bps": calib.bawaan,
        "n_keluarga": n,
        "ditolak": len(ind.validation.rejected),
        "di_luar_batas": len(ind.di_luar_batas),
        "n_jiwa_desa": int(ind.desa["n_jiwa"].sum()),
        "n_kantong": 0 if plan is None else len(plan.pockets),
        "n_prioritas": 0 if plan is None else len(plan.priorities),
        "detik": round(time.perf_counter() - t0, 2),
        "galat": "",
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boundaries", type=Path, required=True)
    ap.add_argument("--keluarga", type=int, default=2000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", nargs="*", default=None, help="some kabupaten codes only")
    args = ap.parse_args(argv)
    data_dir = PROJECT_ROOT / "data"
    bps = read_bps(data_dir)
    t0 = time.perf_counter()
    layer = gpd.read_parquet(args.boundaries)
    kabs = sorted(layer["kode_kab"].unique()) if not args.only else args.only
    groups = dict(tuple(layer.groupby("kode_kab", sort=True)))
    rows = []
    for i, kab in enumerate(kabs, 1):
        try:
            row = one(groups[kab], kab, args.keluarga, bps, data_dir)
        except Exception as exc:  # noqa: BLE001 - record and go on with the next one
            row = {
                "kode_kab": kab,
                "galat": f"{type(exc).__name__}: {exc}",
                "jejak": traceback.format_exc(limit=3),
            }
        rows.append(row)
        if row["galat"] or i % 25 == 0:
            print(f"{i}/{len(kabs)} {kab} {row.get('detik', '-')} s {row['galat']}", flush=True)
    out = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(args.out, index=False)
    failed = out[out["galat"] != ""]
    print(
        f"{len(out)} kabupaten, {len(failed)} gagal, {int(out['ditolak'].fillna(0).sum())} "
        f"baris ditolak, {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
