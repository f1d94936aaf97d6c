"""Join + H3 + aggregate: geo_service against the tools an analyst would pick instead.

(The harness of ``geo-service bench``; the peers - DuckDB spatial, SedonaDB, dask-geopandas,
psycopg - are optional (pip extra ``bench``) and imported inside their method only.)

Every method gets the same families and desa layer in one process, and must produce the
same per-desa counts (n_keluarga, n_jiwa, n_keluarga_ekstrem, n_jiwa_ekstrem; ungeotagged
families counted at their registered desa) and per-H3-cell counts (resolution 8, geotagged
families) as the reference location rule. Peers that cannot express the whole rule do the
containment step themselves; the shared code here applies the overlap tie-break
(registered code, else lowest code) and the 250 m nearest-polygon fallback, inside the
timed section.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

# The names below stay importable from here (``services.bench.join`` is the harness's
# public module; tests patch the methods on it).
from geo_service.services.bench.common import (  # noqa: F401
    COUNT_COLUMNS,
    H3_RES,
    BenchInput,
    Counts,
    PeakRss,
    _size_label,
    _trim,
    counts_numpy,
    counts_pandas,
    h3_cells,
    kendal_input,
    province_desa,
    reference_counts,
    resolve,
    sample_families,
)
from geo_service.services.bench.methods import (  # noqa: F401
    POSTGIS_PLANS,
    method_dask_geopandas,
    method_duckdb,
    method_geo_service,
    method_geo_service_cold,
    method_geopandas,
    method_naive,
    method_postgis,
    method_sedonadb,
    prepare_duckdb,
    prepare_geo_service,
    prepare_postgis,
    prepare_sedonadb,
)

METHODS = [
    "naive",
    "geopandas",
    "duckdb",
    "sedonadb",
    "dask_geopandas",
    "postgis",
    "geo_service",
    "geo_service_cold",
]


@dataclass
class Result:
    dataset: str
    n_families: int
    method: str
    seconds: float | None
    peak_mb: float | None
    identical: bool | None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def record(self) -> dict:
        rec = {
            "dataset": self.dataset,
            "n_families": self.n_families,
            "method": self.method,
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "peak_mb": None if self.peak_mb is None else round(self.peak_mb, 1),
            "identical": self.identical,
        }
        if self.note:
            rec["note"] = self.note
        rec.update(self.extra)
        return rec


# --- the comparison -------------------------------------------------------------------


def run_comparison(
    inp: BenchInput,
    methods: list[str] | None = None,
    *,
    postgis_url: str | None = None,
    repeat: int = 1,
    say: Callable[[str], None] = print,
) -> list[Result]:
    """Run the methods one after another on ``inp`` and check their counts.

    Each method runs ``repeat`` times; ``seconds`` is the fastest run (the machine is
    shared: the minimum is the least disturbed), ``peak_mb`` the largest peak.

    Returns one :class:`Result` per method (two for PostGIS: default and LATERAL plan);
    ``identical`` is whether the method's counts equal the reference rule's.
    """
    methods = methods or METHODS
    n = len(inp.keluarga)
    say(f"[{inp.dataset}] reference counts (location rule, R-tree path) ...")
    ref = reference_counts(inp)
    results: list[Result] = []

    def timed(name: str, fn, state=None, extra=None, **kw) -> None:
        runs, cpus, peaks, same = [], [], [], True
        for _ in range(max(1, repeat)):
            with PeakRss() as mem:
                t, c = time.perf_counter(), time.process_time()
                counts = fn(inp, state, **kw)
                runs.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
            peaks.append(mem.mb)
            same = same and counts.equals(ref)
            del counts
        extra = dict(extra or {})
        # CPU seconds of the process (all threads; peers' native threads included): much
        # less disturbed than wall time by other work on a shared machine.
        extra["cpu_s"] = round(min(cpus), 3)
        if repeat > 1:
            extra["seconds_runs"] = [round(x, 3) for x in runs]
            extra["cpu_s_runs"] = [round(x, 3) for x in cpus]
        results.append(Result(inp.dataset, n, name, min(runs), max(peaks), same, extra=extra))
        say(
            f"  {name:<15} {min(runs):8.2f} s  peak {max(peaks):7.1f} MB  identical={same}"
            + (f"  {extra}" if extra else "")
        )

    for name in methods:
        try:
            if name == "naive":
                timed(name, method_naive)
            elif name == "geopandas":
                timed(name, method_geopandas)
            elif name == "duckdb":
                con = prepare_duckdb(inp)
                timed(name, method_duckdb, con)
                con.close()
            elif name == "sedonadb":
                timed(name, method_sedonadb, prepare_sedonadb(inp))
            elif name == "dask_geopandas":
                timed(name, method_dask_geopandas)
            elif name == "postgis":
                if not postgis_url:
                    reason = (
                        "skipped: no PostGIS URL (--postgis-url or GEO_DATABASE_URL "
                        "postgresql://...)"
                    )
                    say(f"  postgis         {reason}")
                    results.append(Result(inp.dataset, n, name, None, None, None, reason))
                    continue
                state = prepare_postgis(inp, postgis_url)
                for plan in POSTGIS_PLANS:
                    timed(name, method_postgis, state, extra={"plan": plan}, plan=plan)
                state[0].execute("DROP TABLE IF EXISTS bench_desa, bench_pts")
                state[0].close()
            elif name == "geo_service":
                state = prepare_geo_service(inp)
                timed(
                    name,
                    method_geo_service,
                    state,
                    extra={
                        "index_build_s": round(state[1], 2),
                        "index_intervals": state[0].n_intervals,
                    },
                )
            elif name == "geo_service_cold":
                timed(name, method_geo_service_cold)
            else:
                raise ValueError(f"unknown method {name}")
        except ImportError as exc:
            reason = f"skipped: {exc.name or exc} not installed (pip install -e .[bench])"
            say(f"  {name:<15} {reason}")
            results.append(Result(inp.dataset, n, name, None, None, None, reason))
        _trim()
    return results


def table(results: list[Result]) -> pd.DataFrame:
    """Wall time, families/s, peak memory and ratio to the naive baseline per method."""
    rows = []
    for ds in dict.fromkeys(r.dataset for r in results):
        group = [r for r in results if r.dataset == ds]
        base = next((r.seconds for r in group if r.method == "naive" and r.seconds), None)
        all_same = all(r.identical for r in group if r.identical is not None)
        for r in group:
            label = r.method + (f" ({r.extra['plan']})" if "plan" in r.extra else "")
            sec, peak = r.seconds, r.peak_mb
            ok = sec is not None
            rows.append(
                {
                    "dataset": ds,
                    "method": label,
                    "seconds": round(sec, 2) if sec is not None else None,
                    "cpu_s": r.extra.get("cpu_s") if ok else None,
                    "families_per_s": int(r.n_families / sec) if sec else None,
                    "peak_mb": round(peak) if peak is not None else None,
                    "x_naive": (round(base / sec, 1) if sec and base and all_same else None),
                    "identical": r.identical,
                    "note": r.note,
                }
            )
    return pd.DataFrame(rows)
