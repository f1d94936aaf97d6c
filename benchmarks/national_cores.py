"""What measured national runs say for ``--cores`` dedicated cores (issue 17), from the
per-kabupaten CSVs alone (``per_kabupaten*.csv`` of :mod:`benchmarks.national_curve`, e.g.
the recorded ones in ``benchmarks/recorded/national_curve_s4`` and ``_s5``): no Parquet,
no earlier ``--out`` folders needed.

Per national size (``ukuran_nasional``) of the rows:

- the totals (kabupaten, families, rejected rows, pockets, task CPU seconds);
- three numbers for ``--cores`` cores, from the tasks' CPU seconds (``detik_cpu``: the CPU
  of the worker process while the task ran; a dedicated core gives a task its CPU time):
  ``cpu_per_inti`` (total / cores, the ideal spread), ``tugas_terpanjang`` (the longest
  task: the run cannot end before it) and ``makespan_lpt`` (the tasks packed longest
  first onto the least loaded core, as the batch submits them largest first);
- the peak RSS of the tasks.

With several sizes the families-only and families + desa models of
:func:`benchmarks.national_curve.fit` are fitted over all rows (pooled) and extrapolated to
80 million families (:func:`benchmarks.national_curve.extrapolate`, plus the LPT makespan
of the predicted tasks)::

    python -m benchmarks.national_cores \\
        benchmarks/recorded/national_curve_s4/per_kabupaten_514_1M_5M_10M.csv \\
        benchmarks/recorded/national_curve_s5/per_kabupaten_514_80M.csv \\
        --boundaries benchmarks/results/national_data/batas/indonesia_desa.parquet \\
        --out benchmarks/results/national_curve_s5/cores16.json
"""

from __future__ import annotations

import argparse
import heapq
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.national_curve import TARGET_CORES, TARGET_FAMILIES, extrapolate, fit
from geo_service.services.batch_nasional import desa_counts, families_per_kabupaten


def lpt_makespan(times: Iterable[float], cores: int) -> float:
    """Longest processing time first: every task, longest first, on the core that is
    free soonest; the time the last core finishes."""
    loads = [0.0] * cores
    for t in sorted(times, reverse=True):
        heapq.heapreplace(loads, loads[0] + float(t))
    return max(loads)


def on_cores(times: pd.Series, cores: int) -> dict[str, float]:
    """Total / cores, the longest task and the LPT makespan of ``times`` (seconds)."""
    total = float(times.sum())
    return {
        "inti": cores,
        "detik_cpu_total": round(total, 1),
        "cpu_per_inti": round(total / cores, 1),
        "tugas_terpanjang": round(float(times.max()), 1),
        "makespan_lpt": round(lpt_makespan(times, cores), 1),
    }


def per_size(rows: pd.DataFrame, cores: int) -> list[dict[str, Any]]:
    out = []
    for size, part in rows.groupby("ukuran_nasional"):
        longest = part.loc[part["detik_cpu"].idxmax()]
        largest = part.loc[part["n_baris"].idxmax()]
        out.append(
            {
                "ukuran": int(size),
                "kabupaten": len(part),
                "keluarga": int(part["n_baris"].sum()),
                "ditolak": int(part["n_baris_ditolak"].sum()),
                "kantong": int(part["n_kantong"].sum()),
                "detik_cpu_per_kabupaten": round(float(part["detik_cpu"].mean()), 2),
                "detik_tugas_total": round(float(part["detik"].sum()), 1),
                "tugas_terpanjang_kab": [str(longest["kode_kab"]), int(longest["n_baris"])],
                "kabupaten_terbesar": [
                    str(largest["kode_kab"]),
                    int(largest["n_baris"]),
                    float(largest["detik_cpu"]),
                ],
                "rss_puncak_tugas_maks_mb": float(part["rss_puncak_mb"].max()),
                f"inti_{cores}": on_cores(part["detik_cpu"], cores),
            }
        )
    return out


def pooled(rows: pd.DataFrame, boundaries: Path, cores: int) -> dict[str, Any]:
    """Families-only and families + desa fits over all rows, extrapolated to 80M."""
    n_desa = desa_counts(boundaries)
    shares = families_per_kabupaten(n_desa, TARGET_FAMILIES)
    out: dict[str, Any] = {}
    for name, desa_term in (("detik_cpu", False), ("detik_cpu_dengan_desa", True)):
        model = fit(rows, "detik_cpu", desa_term)
        if model.get("tidak_teridentifikasi"):
            out[name] = model
            continue
        a, b = model["a_detik_per_kabupaten"], model["b_detik_per_juta_keluarga"] / 1e6
        c = model.get("c_detik_per_desa", 0.0)
        predicted = pd.Series([a + b * n + c * n_desa[k] for k, n in shares.items()])
        ext = extrapolate(model, shares, n_desa, cores)
        ext["makespan_lpt"] = lpt_makespan(predicted, cores)
        out[name] = model | {"nasional_80jt": ext}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path, nargs="+", help="per-kabupaten CSVs of national_curve")
    ap.add_argument("--cores", type=int, default=TARGET_CORES)
    ap.add_argument("--mode", default="kantong", help="rows of this mode only")
    ap.add_argument("--boundaries", type=Path, default=None, help="desa layer: pooled fit")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = pd.concat([pd.read_csv(p, dtype={"kode_kab": str}) for p in args.csv])
    rows = rows[rows["mode"] == args.mode]
    result: dict[str, Any] = {
        "sumber": [str(p) for p in args.csv],
        "per_ukuran": per_size(rows, args.cores),
    }
    if args.boundaries is not None and rows["ukuran_nasional"].nunique() > 1:
        result["model_gabungan"] = pooled(rows, args.boundaries, args.cores)
    text = json.dumps(result, indent=1, default=str)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
