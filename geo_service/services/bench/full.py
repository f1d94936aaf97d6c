"""The whole analysis timed step by step (``analyse_full`` records of ``geo-service bench``).

From family rows in memory to the files of ``geo-service analyse``: validation, location,
H3, aggregates, pockets, priorities, needs, all tables, XLSX and the map, through the one
analysis run (:mod:`geo_service.services.analysis_run`), so what is timed is what an
analyst waits for. Run on its own for a profile::

    python -m geo_service.services.bench.full --n 300000 --profile 25
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

import pandas as pd

from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.services import analysis_run as AR
from geo_service.services.bench.join import PeakRss, _trim
from geo_service.settings import PROJECT_ROOT
from geo_service.synth import calibration_from_bps, generate_keluarga

KENDAL = "desa_33.24_kendal.geojson"


def kendal_families(n: int, *, seed: int = 7, data_dir: Path, cache: Path | None = None):
    """``n`` Kendal families (4 planted pockets), cached as Parquet in ``cache``."""
    desa = read_boundaries(data_dir / "boundaries" / KENDAL)
    path = cache / f"kendal_full_{n}_{seed}.parquet" if cache else None
    if path is not None and path.exists():
        return pd.read_parquet(path), desa
    fam = generate_keluarga(
        desa,
        calibration_from_bps(read_bps(data_dir), "33.24"),
        n_keluarga=n,
        periode="2025-03",
        seed=seed,
        kantong=4,
    ).keluarga
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fam.to_parquet(path, index=False)
    return fam, desa


def analyse_full(raw: pd.DataFrame, desa, out_dir: Path, *, data_dir: Path) -> dict:
    """Run and write the whole analysis once; wall time, time per step and peak memory."""
    marks: list[tuple[str, float]] = []

    def step(name: str) -> None:
        marks.append((name, time.perf_counter()))

    inputs = AR.inputs_from_frames(raw, desa, data_dir=data_dir)
    params = AR.with_params(AR.RUN_DEFAULTS, partial=True)
    _trim()
    with PeakRss() as mem:
        t0 = time.perf_counter()
        marks.append(("mulai", t0))
        result = AR.run_analysis(inputs, params, on_step=step)
        AR.write_outputs(result, out_dir, on_step=step)
        t1 = time.perf_counter()
    marks.append(("selesai", t1))
    steps: dict[str, float] = {}
    for (name, t), (_, t_next) in zip(marks[:-1], marks[1:], strict=True):
        if name != "mulai":
            steps[name] = round(steps.get(name, 0.0) + t_next - t, 3)
    planning = result.planning
    return {
        "method": "analyse_full",
        "n_families": len(raw),
        "seconds": round(t1 - t0, 3),
        "peak_mb": round(mem.mb, 1),
        "steps_s": steps,
        "n_kantong": 0 if planning is None else int(len(planning.pockets)),
        "n_desa": int(len(result.indicators.desa)),
        "n_h3": int(len(result.indicators.h3)),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, action="append", default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", type=int, default=0, help="print the top N functions")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "geo_bench")
    args = ap.parse_args(argv)
    data_dir = PROJECT_ROOT / "data"
    for n in args.n or [300_000]:
        raw, desa = kendal_families(n, data_dir=data_dir, cache=args.cache)
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                prof = cProfile.Profile() if args.profile else None
                if prof:
                    prof.enable()
                rec = analyse_full(raw, desa, Path(tmp) / "hasil", data_dir=data_dir)
                if prof:
                    prof.disable()
            print(json.dumps(rec))
            if prof:
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(args.profile)
                print(buf.getvalue())


if __name__ == "__main__":
    main()
