"""Timed runs of ``geo-service bench``: the indicator pipeline cold and warm in a fresh
interpreter, and the Dask batch over Jawa Tengah at several sizes (with the peak memory of
the whole process tree)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import psutil

from geo_service.i18n import fmt_int
from geo_service.io.boundaries import read_boundaries, read_bps
from geo_service.io.keluarga import write_keluarga
from geo_service.services.analysis_run import RUN_DEFAULTS
from geo_service.services.batch import kabupaten_codes, read_kabupaten_desa, run_batch
from geo_service.synth import calibration_from_bps, generate_keluarga
from geo_service.synth.generator import Calibration

COLD_WARM_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from geo_service.analysis import compute_indicators
from geo_service.io.boundaries import read_boundaries
t_import = time.perf_counter() - t0
desa = read_boundaries(sys.argv[1])
raw = pd.read_parquet(sys.argv[2])

def gi(result):
    from geo_service.analysis.gistar import gi_star, h3_neighbours
    cells = list(result.h3["h3"])
    gi_star(result.h3["pct_jiwa_ekstrem"].to_numpy(), h3_neighbours(cells), permutations=999,
            seed=1)
    return True

runs = []
for _ in range(2):
    t = time.perf_counter()
    result = compute_indicators(raw, desa)
    has_gi = gi(result)
    runs.append(time.perf_counter() - t)
print(json.dumps({"import_s": t_import, "cold_s": runs[0], "warm_s": runs[1],
                  "with_gi_star": has_gi, "n_families": len(raw)}))
"""

KENDAL_DESA = Path("boundaries") / "desa_33.24_kendal.geojson"
JATENG_DESA = Path("boundaries") / "desa_33_jawa_tengah.parquet"


def machine() -> dict:
    """CPU, cores, memory, Python and load of this machine (recorded with the results)."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (OSError, ValueError):
        mem_gb = float("nan")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1_5_15": os.getloadavg(),
    }


def cold_warm(n: int, seed: int, work_dir: Path, *, data_dir: Path) -> dict:
    """Full indicator pipeline in a fresh interpreter: first run (cold) and second (warm)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"kendal_{n}_{seed}.parquet"
    boundaries = data_dir / KENDAL_DESA
    if not path.exists():
        desa = read_boundaries(boundaries)
        fam = generate_keluarga(
            desa,
            calibration_from_bps(read_bps(data_dir), "33.24"),
            n_keluarga=n,
            periode="2025-03",
            seed=seed,
            kantong=6,
        ).keluarga
        write_keluarga(fam, path)
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", COLD_WARM_SCRIPT, str(boundaries), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    rec = json.loads(proc.stdout.strip().splitlines()[-1])
    rec["process_s"] = time.perf_counter() - t
    return rec


def jawa_tengah_families(
    n: int, seed: int, work_dir: Path, *, data_dir: Path, say: Callable[[str], None] = print
) -> Path:
    """``n`` families over the 35 kabupaten of Jawa Tengah, one Parquet file per kabupaten,
    made kabupaten by kabupaten with the project's generator (never all rows at once)."""
    boundaries = data_dir / JATENG_DESA
    folder = work_dir / f"jateng_{n}_{seed}"
    done = folder / ".selesai"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    kabs = kabupaten_codes(boundaries, "33")
    rng = np.random.default_rng(seed)
    share = rng.multinomial(n, np.full(len(kabs), 1.0 / len(kabs)))
    for i, (kab, k) in enumerate(zip(kabs, share, strict=True)):
        desa = read_kabupaten_desa(boundaries, kab)
        calib = Calibration(
            kode_kab=kab,
            nama=str(desa["nama_kab"].iloc[0]),
            tahun_p0=2025,
            p0=10.0,
            tahun_garis=2024,
            garis_kemiskinan=500_000.0,
        )
        fam = generate_keluarga(
            desa, calib, n_keluarga=int(k), periode="2025-03", seed=seed * 1000 + i, kantong=2
        ).keluarga
        write_keluarga(fam, folder / f"{kab}.parquet")
        say(f"  {kab}: {fmt_int(int(k))} keluarga")
    done.write_text("ok")
    return folder


def dask_curve(
    sizes: list[int],
    seed: int,
    work_dir: Path,
    scheduler: str | None,
    *,
    data_dir: Path,
    say: Callable[[str], None] = print,
) -> list[dict]:
    """Batch time for Jawa Tengah at each size (2 single-threaded workers by default).

    The batch runs the one analysis run without pockets (``kantong=False``), so the curve
    measures join, H3, aggregates and the files, as the recorded curves did.
    """
    boundaries = data_dir / JATENG_DESA
    params = replace(RUN_DEFAULTS, kantong=False)
    curve = []
    for n in sizes:
        say(f"Kurva Dask: membuat {fmt_int(n)} keluarga Jawa Tengah ...")
        folder = jawa_tengah_families(n, seed, work_dir, data_dir=data_dir, say=say)
        sampler = TreeRss(psutil.Process())
        with sampler:
            res = run_batch(
                folder,
                boundaries,
                work_dir / f"hasil_{n}",
                prefix="33",
                scheduler=scheduler,
                params=params,
                data_dir=data_dir,
            )
        curve.append(
            {
                "n_families": n,
                "seconds": round(res.seconds, 2),
                "families_per_s": int(n / res.seconds),
                "peak_mb": round(sampler.peak_mb, 1),
                "kabupaten": len(res.summary) - 1,
                "failed": res.failed,
            }
        )
    return curve


class TreeRss:
    """Peak summed RSS of this process and its children (Dask workers), every 50 ms."""

    def __init__(self, proc: psutil.Process) -> None:
        self.proc = proc
        self.peak_mb = 0.0

    def _sample(self) -> float:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:  # a worker may exit between listing and reading
                pass
        return total / 1e6

    def __enter__(self) -> TreeRss:
        self._stop = threading.Event()
        self.base = self._sample()

        def run() -> None:
            while not self._stop.wait(0.05):
                self.peak_mb = max(self.peak_mb, self._sample() - self.base)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
