"""Time ``compute_planning`` (pockets, desa Gi*, priorities with bootstrap, needs) on Kendal.

    .venv/bin/python -m benchmarks.bench_planning [--keluarga 300000] [--repeat 3]
        [--file /tmp/kendal.parquet]

Generates the synthetic Kendal families once (or reads ``--file``), runs the indicator
stage once, then times the planning stage ``--repeat`` times and prints each step's time
(the fastest run) and the load average, so that numbers from a busy machine are recognisable.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from geo_service.analysis import compute_indicators
from geo_service.analysis.planning import compute_planning
from geo_service.io.boundaries import boundary_files, read_boundaries, read_bps
from geo_service.io.keluarga import read_keluarga, write_keluarga
from geo_service.io.reference import opd_programmes_path, read_opd_programmes
from geo_service.services.analysis_run import RUN_DEFAULTS
from geo_service.settings import get_settings
from geo_service.synth import calibration_from_bps, generate_keluarga


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keluarga", type=int, default=300_000)
    ap.add_argument("--kantong", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--file", type=Path, default=None, help="Families file (made if missing).")
    args = ap.parse_args()

    data_dir = get_settings().paths.data_dir
    desa = read_boundaries(boundary_files(data_dir, "33.24")["desa"])
    path = args.file or Path(f"/tmp/bench_planning_{args.keluarga}_{args.seed}.parquet")
    if not path.exists():
        calib = calibration_from_bps(read_bps(data_dir), "33.24")
        data = generate_keluarga(
            desa,
            calib,
            n_keluarga=args.keluarga,
            periode="2025-03",
            seed=args.seed,
            kantong=args.kantong,
        )
        write_keluarga(data.keluarga, path)
    raw = read_keluarga(path)
    t0 = time.perf_counter()
    result = compute_indicators(raw, desa, RUN_DEFAULTS.analysis_params())
    t_ind = time.perf_counter() - t0
    programmes = read_opd_programmes(opd_programmes_path(data_dir))

    best: dict[str, float] | None = None
    for _ in range(args.repeat):
        times: dict[str, float] = {}
        mark = [time.perf_counter(), None]

        def step(name: str, times=times, mark=mark) -> None:
            now = time.perf_counter()
            if mark[1]:
                times[mark[1]] = now - mark[0]
            mark[0], mark[1] = now, name

        start = time.perf_counter()
        planning = compute_planning(
            result,
            RUN_DEFAULTS.planning_params(),
            seed=args.seed,
            programmes=programmes,
            on_step=step,
        )
        end = time.perf_counter()
        times[mark[1]] = end - mark[0]
        times["total"] = end - start
        if best is None or times["total"] < best["total"]:
            best = times
    assert best is not None
    print(
        f"families {len(raw):,}, H3 cells {len(result.h3):,}, desa {len(result.desa)}, "
        f"pockets {len(planning.pockets)}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"indicators (not part of planning): {t_ind:.2f} s")
    print(
        "compute_planning (fastest of",
        args.repeat,
        "runs):",
        ", ".join(f"{k} {v:.2f} s" for k, v in best.items()),
    )


if __name__ == "__main__":
    main()
