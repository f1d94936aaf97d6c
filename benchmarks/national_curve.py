"""The national run on a real Dask cluster: time curve and per-kabupaten cost model (issue 17).

Starts ``dask scheduler`` and ``--workers`` ``dask worker`` processes on 127.0.0.1 (nice 10,
one thread each; or uses ``--scheduler``), prepares the national desa layer once (one row
group per kabupaten) and every needed kabupaten's boundary index once (cluster tasks), then
for every national size in ``--sizes``:

1. makes the synthetic national data set of that size (families shared by desa count,
   one file per kabupaten, cached in ``--data``; :mod:`geo_service.services.batch_nasional`)
   for all 514 kabupaten or a stratified ``--sample`` of them (a kabupaten of a sample
   has the families it has in the whole set);
2. runs the batch (the whole analysis: validation, location, H3, aggregates, pockets,
   priorities, needs, files and map) with and/or without pockets, workers restarted before
   each run so that their peak memory belongs to it;
3. records each kabupaten's wall and CPU seconds and its worker's peak RSS.

Then it fits ``t = a + b * families`` per kabupaten (least squares; residuals reported),
so that a run costs ``a * kabupaten + b * families``, and extrapolates to 80 million
families over the 514 kabupaten on 16 cores. Load average before and after every run is
recorded (other sessions share this machine)::

    python -m benchmarks.national_curve --boundaries indonesia_desa.parquet \\
        --sizes 1000000 --sample 0 --modes kantong --out benchmarks/results/national_curve

``--sample 0`` runs all 514 kabupaten; ``--modes kantong`` skips the pass without pockets
(worth it at the big sizes: that pass adds a quarter to a third of the CPU for a number
the target does not ask for). ``--from`` pools earlier runs (one size each, say) and fits
the model over all of them: within one size the families are proportional to the desa,
so only several sizes separate a per-family from a per-desa cost.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_service.io.boundaries import prepare_layer
from geo_service.services.analysis_run import RunParams
from geo_service.services.batch import peak_rss_mb, run_batch, store_index
from geo_service.services.batch_nasional import (
    NationalSpec,
    desa_counts,
    families_per_kabupaten,
    generate_national,
)
from geo_service.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
TARGET_FAMILIES = 80_000_000
TARGET_CORES = 16


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackCluster:
    """``dask scheduler`` + workers as separate processes bound to 127.0.0.1, nice 10."""

    def __init__(self, n_workers: int, logs: Path, memory_limit: str = "6GiB"):
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        dask = str(Path(sys.executable).with_name("dask"))
        port, dash = _free_port(), _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.dashboard = f"http://127.0.0.1:{dash}/status"
        self.procs: list[subprocess.Popen] = []
        self._start(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port)]
            + ["--dashboard-address", f"127.0.0.1:{dash}"],
            "scheduler",
        )
        self._wait(port)
        for i in range(n_workers):
            self._start(
                [dask, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1"]
                + ["--dashboard-address", "127.0.0.1:0", "--memory-limit", memory_limit]
                + ["--name", f"w{i}", "--local-directory", str(logs / f"w{i}")],
                f"worker{i}",
            )

    def _start(self, args: list[str], name: str) -> None:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - lives with the process
        env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
        self.procs.append(
            subprocess.Popen(
                ["nice", "-n", "10", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        )

    def _wait(self, port: int) -> None:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.2)
        raise TimeoutError("scheduler did not start")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def stratified_sample(n_desa: dict[str, int], k: int) -> list[str]:
    """``k`` kabupaten evenly spaced over the desa-count order, the largest included."""
    order = sorted(n_desa, key=lambda c: (n_desa[c], c))
    if k >= len(order):
        return order
    pos = np.unique(np.round(np.linspace(0, len(order) - 1, k)).astype(int))
    return sorted(order[i] for i in pos)


def _collinear(x: np.ndarray, z: np.ndarray, tol: float = 1e-4) -> bool:
    """``x`` is a straight line of ``z`` but for ``tol`` of its variance (R² of ``x`` on
    ``1, z`` above ``1 - tol``)."""
    design = np.column_stack([np.ones_like(z), z])
    coef, *_ = np.linalg.lstsq(design, x, rcond=None)
    ss = float(((x - x.mean()) ** 2).sum())
    return ss == 0 or float(((x - design @ coef) ** 2).sum()) <= tol * ss


def fit(rows: pd.DataFrame, col: str, desa_term: bool = False) -> dict[str, float]:
    """Least squares ``col = a + b * families`` (``+ c * desa`` with ``desa_term``) over
    kabupaten rows, with residuals."""
    x = rows["n_baris"].to_numpy(float)  # family rows read (located or not)
    y = rows[col].to_numpy(float)
    cols = [np.ones_like(x), x] + ([rows["n_desa"].to_numpy(float)] if desa_term else [])
    design = np.column_stack(cols)
    if np.linalg.matrix_rank(design) < design.shape[1] or (
        desa_term and _collinear(x, design[:, 2])
    ):
        # e.g. one national size with the desa term: families are shared by desa count,
        # so families and desa are proportional (up to the shares' rounding, which keeps
        # the design of full rank: 80M alone gave -137,000 s per million families and
        # +131 s per desa) and the two slopes cannot be told apart
        return {"tidak_teridentifikasi": True, "n": len(rows)}
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    res = y - design @ coef
    ss = float(((y - y.mean()) ** 2).sum())
    out = {
        "a_detik_per_kabupaten": float(coef[0]),
        "b_detik_per_juta_keluarga": float(coef[1]) * 1e6,
        "r2": 1 - float((res**2).sum()) / ss if ss else float("nan"),
        "residu_rms": float(np.sqrt((res**2).mean())),
        "residu_maks": float(np.abs(res).max()),
        "residu_rel_median": float(np.median(np.abs(res) / np.maximum(y, 1e-9))),
        "n": len(rows),
    }
    if desa_term:
        out["c_detik_per_desa"] = float(coef[2])
    return out


def extrapolate(
    model: dict[str, float], shares: dict[str, int], n_desa: dict[str, int], cores: int
) -> dict[str, float]:
    """Cost of the whole national run under ``model``: total CPU/work seconds, ideal
    spread over ``cores``, and the longest single task (the critical path)."""
    a, b = model["a_detik_per_kabupaten"], model["b_detik_per_juta_keluarga"] / 1e6
    c = model.get("c_detik_per_desa", 0.0)
    per = {k: a + b * n + c * n_desa[k] for k, n in shares.items()}
    total = sum(per.values())
    longest = max(per.values())
    return {
        "kabupaten": len(shares),
        "keluarga": sum(shares.values()),
        "detik_kerja_total": total,
        "inti": cores,
        "detik_ideal": total / cores,
        "detik_tugas_terpanjang": longest,
        "detik_perkiraan": max(total / cores, longest),
    }


def _warm() -> None:
    """Import what a task needs (a restarted worker would pay it in its first task)."""
    import geo_service.mapping.folium_map  # noqa: F401
    import geo_service.services.analysis_run  # noqa: F401
    import geo_service.services.batch  # noqa: F401


def run_once(
    client: Any,
    fam_dir: Path,
    layer: Path,
    index_dir: Path,
    work: Path,
    kantong: bool,
    permutations: int | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    client.restart()  # fresh worker processes: their peak RSS belongs to this run
    client.run(_warm)
    before = loadavg()
    live = work / "baris_berjalan.csv"

    def done(kab: str, row: dict | None) -> None:  # rows kept even if the run is stopped
        if row is not None:
            pd.DataFrame([row | {"kantong": kantong}]).to_csv(
                live, mode="a", header=not live.exists(), index=False
            )

    c0 = time.process_time()
    out = work / "hasil"
    params = RunParams(kantong=kantong, partial=True)
    if permutations is not None:
        params = RunParams(kantong=kantong, partial=True, permutations=permutations)
    res = run_batch(
        fam_dir,
        layer,
        out,
        client=client,
        params=params,
        data_dir=DATA_DIR,
        index_dir=index_dir,
        on_done=done,
    )
    peaks = client.run(peak_rss_mb)
    meta = {
        "kantong": kantong,
        "detik": round(res.seconds, 2),
        "detik_cpu_klien": round(time.process_time() - c0, 2),
        "beban_awal": before,
        "beban_akhir": loadavg(),
        "gagal": res.failed,
        "rss_puncak_pekerja_mb": sorted(peaks.values()),
    }
    rows = res.summary[res.summary["kode_kab"] != "TOTAL"].copy()
    shutil.rmtree(out, ignore_errors=True)
    return rows, meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boundaries", type=Path, required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--sample", type=int, default=0, help="kabupaten in the sample (0: all)")
    ap.add_argument(
        "--modes", nargs="+", default=["kantong", "tanpa"], choices=["kantong", "tanpa"]
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="use this scheduler instead")
    ap.add_argument("--permutations", type=int, default=None, help="default: the run's")
    ap.add_argument("--data", type=Path, default=PROJECT_ROOT / "benchmarks/results/national_data")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument(
        "--from",
        dest="sources",
        type=Path,
        nargs="+",
        default=None,
        help="only report: pool per_kabupaten.csv and runs.json of these earlier --out folders",
    )
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.sources:
        pooled = pd.concat(
            [pd.read_csv(d / "per_kabupaten.csv", dtype={"kode_kab": str}) for d in args.sources]
        )
        earlier = [r for d in args.sources for r in json.loads((d / "runs.json").read_text())]
        layer = args.data / "batas" / args.boundaries.name
        report(
            pooled, earlier, {"dari": [str(d) for d in args.sources]}, desa_counts(layer), args.out
        )
        return
    work = args.out / "_kerja"
    meta: dict[str, Any] = {"mulai": time.strftime("%Y-%m-%d %H:%M:%S"), "beban": loadavg()}

    layer = args.data / "batas" / args.boundaries.name
    if not layer.exists():  # one row group per kabupaten, once
        t0 = time.perf_counter()
        prepare_layer(args.boundaries, layer)
        meta["persiapan_batas_detik"] = round(time.perf_counter() - t0, 1)
    n_desa = desa_counts(layer)
    codes = stratified_sample(n_desa, args.sample) if args.sample else sorted(n_desa)
    meta["kabupaten"] = codes

    from dask.distributed import Client, as_completed

    cluster = None
    if args.scheduler is None:
        cluster = LoopbackCluster(args.workers, work / "dask")
        address = cluster.address
    else:
        address = args.scheduler
    rows_all: list[pd.DataFrame] = []
    runs: list[dict[str, Any]] = []
    try:
        client = Client(address, timeout=60)
        client.wait_for_workers(args.workers, timeout=120)
        print(f"cluster {address}, dashboard {getattr(cluster, 'dashboard', '?')}", flush=True)
        index_dir = args.data / "batas" / "indeks"
        t0 = time.perf_counter()
        futs = [client.submit(store_index, layer, k, index_dir, pure=False) for k in codes]
        built = [f.result() for f in as_completed(futs)]
        meta["indeks"] = {
            "dibangun": sum(r["dibangun"] for r in built),
            "detik": round(time.perf_counter() - t0, 1),
            "detik_tugas": round(sum(r["detik"] for r in built), 1),
        }
        print("indexes", meta["indeks"], flush=True)
        for size in args.sizes:
            fam_dir = args.data / f"keluarga_{size}"
            t0, before = time.perf_counter(), loadavg()
            made = generate_national(
                layer,
                fam_dir,
                NationalSpec(total=size),
                data_dir=DATA_DIR,
                only=codes,
                client=client,
            )
            gen = pd.DataFrame(made["kabupaten"].values())
            runs.append(
                {
                    "ukuran": size,
                    "langkah": "buat_data",
                    "detik": round(time.perf_counter() - t0, 1),
                    # the tasks' CPU when the set was made (maybe by an earlier run)
                    "detik_cpu_tugas": round(float(gen["detik_cpu"].sum()), 1),
                    "keluarga": int(gen["n_keluarga"].sum()),
                    "beban_awal": before,
                    "beban_akhir": loadavg(),
                }
            )
            print(runs[-1], flush=True)
            for mode in args.modes:
                rows, m = run_once(
                    client, fam_dir, layer, index_dir, work, mode == "kantong", args.permutations
                )
                rows = rows.assign(ukuran_nasional=size, mode=mode)
                rows_all.append(rows)
                m.update(
                    ukuran=size,
                    langkah=f"batch_{mode}",
                    keluarga=int(rows["n_baris"].sum()),
                    kabupaten=len(rows),
                    detik_cpu_tugas=round(float(rows["detik_cpu"].sum()), 1),
                )
                runs.append(m)
                print({k: v for k, v in m.items() if k != "gagal"}, flush=True)
                pd.concat(rows_all).to_csv(args.out / "per_kabupaten.csv", index=False)
                (args.out / "runs.json").write_text(json.dumps(runs, indent=1, default=str))
        client.close()
    finally:
        if cluster is not None:
            cluster.close()
    report(pd.concat(rows_all), runs, meta, n_desa, args.out)


SMALL_COLUMNS = [
    "ukuran_nasional",
    "mode",
    "kode_kab",
    "n_desa",
    "n_baris",
    "n_baris_ditolak",
    "n_kantong",
    "indeks_tersimpan",
    "detik",
    "detik_cpu",
    "rss_puncak_mb",
]


def per_size(part: pd.DataFrame, pooled: dict[str, Any], runs: list[dict[str, Any]]) -> list:
    """Per national size: the totals (families, task CPU and wall, the batch's wall), the
    pooled model's prediction of the task CPU (is time linear in families across sizes?),
    and a fit on that size's rows alone (families only: within one size the families are
    proportional to the desa, so no desa term)."""
    out = []
    a = pooled.get("a_detik_per_kabupaten", float("nan"))
    b = pooled.get("b_detik_per_juta_keluarga", float("nan")) / 1e6
    for size, rows in part.groupby("ukuran_nasional"):
        mode = str(rows["mode"].iloc[0])
        batch = [r for r in runs if r.get("ukuran") == size and r.get("langkah") == f"batch_{mode}"]
        cpu = float(rows["detik_cpu"].sum())
        predicted = a * len(rows) + b * float(rows["n_baris"].sum())
        own = fit(rows, "detik_cpu")
        out.append(
            {
                "ukuran": int(size),
                "kabupaten": len(rows),
                "keluarga": int(rows["n_baris"].sum()),
                "ditolak": int(rows["n_baris_ditolak"].sum()),
                "kantong": int(rows["n_kantong"].sum()),
                "detik_cpu_tugas": round(cpu, 1),
                "detik_tugas": round(float(rows["detik"].sum()), 1),
                "detik_batch": batch[-1]["detik"] if batch else None,
                "beban": [batch[-1]["beban_awal"], batch[-1]["beban_akhir"]] if batch else None,
                "detik_cpu_model_gabungan": round(predicted, 1),
                "model_per_ukuran": own,
                "rss_puncak_tugas_maks_mb": float(rows["rss_puncak_mb"].max()),
            }
        )
    return out


def report(
    rows: pd.DataFrame,
    runs: list[dict[str, Any]],
    meta: dict[str, Any],
    n_desa: dict[str, int],
    out: Path,
) -> None:
    shares = families_per_kabupaten(n_desa, TARGET_FAMILIES)
    models: dict[str, Any] = {}
    for mode, part in rows.groupby("mode"):
        models[str(mode)] = {}
        for col, desa_term in (("detik_cpu", False), ("detik", False), ("detik_cpu", True)):
            model = fit(part, col, desa_term)
            name = col + ("_dengan_desa" if desa_term else "")
            models[str(mode)][name] = model | {
                "nasional_80jt_16_inti": extrapolate(model, shares, n_desa, TARGET_CORES)
            }
        models[str(mode)]["per_ukuran"] = per_size(part, models[str(mode)]["detik_cpu"], runs)
        big = part.sort_values("n_baris").groupby("ukuran_nasional").tail(1)
        models[str(mode)]["rss"] = {
            "kabupaten_terbesar": big[["ukuran_nasional", "kode_kab", "n_baris"]].to_dict(
                "records"
            ),
            "rss_puncak_mb": [
                max(r["rss_puncak_pekerja_mb"]) for r in runs if r.get("langkah") == f"batch_{mode}"
            ],
            "keluarga_kabupaten_terbesar_80jt": max(shares.values()),
        }
    curve = [
        {
            "ukuran": r["ukuran"],
            "mode": r["langkah"],
            "kabupaten": r.get("kabupaten"),
            "keluarga": r["keluarga"],
            "detik": r["detik"],
            "detik_cpu_tugas": r.get("detik_cpu_tugas"),
            "rss_mb": max(r["rss_puncak_pekerja_mb"]) if "rss_puncak_pekerja_mb" in r else None,
            "beban": f"{r['beban_awal'][0]} -> {r['beban_akhir'][0]}",
        }
        for r in runs
    ]
    print(pd.DataFrame(curve).to_string(index=False))
    keep = [c for c in SMALL_COLUMNS if c in rows.columns]
    rows[keep].to_csv(out / "per_kabupaten_ringkas.csv", index=False)
    meta.update(selesai=time.strftime("%Y-%m-%d %H:%M:%S"), beban_akhir=loadavg())
    result = {"meta": meta, "runs": runs, "kurva": curve, "model": models}
    (out / "model.json").write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps(models, indent=1, default=str))


if __name__ == "__main__":
    main()
