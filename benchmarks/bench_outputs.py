"""Time the files and the map of one analysis run (``write_outputs``: tables, GeoJSON,
GeoPackage, XLSX, map.html), wall and process CPU, with the load average around each run.

The run itself (Kendal, ``--n`` synthetic families, every default) is computed once and
kept as a pickle in ``--cache``, so old and new writers can be timed on the same run: put
an older ``geo_service`` first on ``PYTHONPATH`` for the "before" numbers, e.g.::

    git archive <commit> geo_service | tar -x -C /tmp/old   # or copy the tree, old writers in
    PYTHONPATH=/tmp/old python benchmarks/bench_outputs.py --n 300000
    python benchmarks/bench_outputs.py --n 300000

Records of issue 17: ``benchmarks/recorded/analyse_outputs_h17.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from pathlib import Path

import geo_service
from geo_service.services import analysis_run as AR
from geo_service.services.bench.full import kendal_families
from geo_service.settings import PROJECT_ROOT


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def stored_run(n: int, cache: Path):
    """The analysis of ``n`` Kendal families (computed once, then read from ``cache``)."""
    path = cache / f"run_{n}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    data_dir = PROJECT_ROOT / "data"
    raw, desa = kendal_families(n, data_dir=data_dir, cache=cache)
    inputs = AR.inputs_from_frames(raw, desa, data_dir=data_dir)
    result = AR.run_analysis(inputs, AR.with_params(AR.RUN_DEFAULTS, partial=True))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(result))
    return result


def time_outputs(result) -> dict:
    """One ``write_outputs``: wall and CPU seconds in total and per step, file sizes."""
    marks: list[tuple[str, float, float]] = []

    def step(name: str) -> None:
        marks.append((name, time.perf_counter(), time.process_time()))

    with tempfile.TemporaryDirectory() as tmp:
        before = _load()
        t0, c0 = time.perf_counter(), time.process_time()
        AR.write_outputs(result, Path(tmp) / "hasil", on_step=step)
        marks.append(("selesai", time.perf_counter(), time.process_time()))
        sizes = {f.name: f.stat().st_size for f in (Path(tmp) / "hasil").iterdir()}
    steps = {
        a: {"wall": round(t1 - t, 3), "cpu": round(c1 - c, 3)}
        for (a, t, c), (_, t1, c1) in zip(marks[:-1], marks[1:], strict=True)
    }
    return {
        "wall": round(marks[-1][1] - t0, 3),
        "cpu": round(marks[-1][2] - c0, 3),
        "steps": steps,
        "load": [before, _load()],
        "bytes": {k: sizes[k] for k in ("map.html", "priorities.xlsx", "hasil.gpkg")},
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "geo_bench")
    args = ap.parse_args(argv)
    result = stored_run(args.n, args.cache)
    for _ in range(args.repeat):
        rec = time_outputs(result)
        print(json.dumps({"n": args.n, "geo_service": geo_service.__file__} | rec))


if __name__ == "__main__":
    main()
