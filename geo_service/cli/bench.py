"""``geo-service bench`` (speed against peers) and ``geo-service batch`` (Dask, per kabupaten).

Registered on the main typer app by :func:`register`; the benchmark harness lives in the
source checkout's ``benchmarks/`` folder.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from geo_service.settings import PROJECT_ROOT, get_settings

console = Console(stderr=True)
out = Console()

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
    try:
        from geo_service.analysis.gistar import gi_star, h3_neighbours
    except ImportError:
        return False
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


def _harness():
    """The ``benchmarks`` package of the source checkout."""
    try:
        from benchmarks import join_bench
    except ImportError:
        if not (PROJECT_ROOT / "benchmarks" / "join_bench.py").exists():
            raise typer.BadParameter(
                "geo-service bench perlu checkout sumber (folder benchmarks/ tidak ada)"
            ) from None
        sys.path.insert(0, str(PROJECT_ROOT))
        from benchmarks import join_bench
    return join_bench


def _machine() -> dict:
    import os

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


def _print_table(frame, title: str) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(col, justify="right" if frame[col].dtype.kind in "if" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out.print(table)


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool | np.bool_):
        return "ya" if v else "TIDAK"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    return str(v)


def _postgis_url(given: str | None) -> str | None:
    if given:
        return given
    url = get_settings().database_url
    return url if url and url.startswith("postgresql") else None


def bench(
    n: Annotated[
        list[int],
        typer.Option(
            "--n", help="Jumlah keluarga Kendal (boleh diulang; 0 = lewati perbandingan)."
        ),
    ] = [100_000],  # noqa: B006
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Tulis hasil JSON ke berkas ini.")
    ] = None,
    methods: Annotated[str, typer.Option(help="Metode dipisah koma.")] = (
        "naive,geopandas,duckdb,sedonadb,dask_geopandas,postgis,geo_service"
    ),
    postgis_url: Annotated[
        str | None,
        typer.Option(
            help="URL PostgreSQL+PostGIS (postgresql://...); default GEO_DATABASE_URL bila postgresql."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Benih data sintetis.")] = 7,
    cold_warm: Annotated[
        bool,
        typer.Option(
            "--cold-warm/--no-cold-warm",
            help="Ukur pipeline indikator dingin (proses baru) dan hangat.",
        ),
    ] = True,
    cold_warm_n: Annotated[
        int, typer.Option(help="Keluarga untuk ukuran dingin/hangat.")
    ] = 300_000,
    dask_curve: Annotated[
        list[int] | None,
        typer.Option(
            "--dask-curve",
            help="Ukuran Jawa Tengah untuk kurva Dask (boleh diulang), mis. 1000000 dan 10000000.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Scheduler Dask tcp://... untuk kurva Dask.")
    ] = None,
    work_dir: Annotated[Path, typer.Option(help="Folder kerja data sintetis besar.")] = Path(
        "/tmp/geo_service_bench"
    ),
    repeat: Annotated[int, typer.Option(help="Ulangi tiap metode; waktu = tercepat.")] = 1,
    fail_on_mismatch: Annotated[
        bool, typer.Option(help="Keluar dengan kode 1 bila hasil berbeda.")
    ] = True,
) -> None:
    """Bandingkan join + H3 + agregat dengan alat lain (waktu, keluarga/detik, memori puncak)."""
    jb = _harness()
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    unknown = sorted(set(chosen) - set(jb.METHODS))
    if unknown:
        raise typer.BadParameter(f"metode tidak dikenal: {', '.join(unknown)}")
    url = _postgis_url(postgis_url)
    if "postgis" in chosen and not url:
        console.print(
            "[yellow]PostGIS dilewati:[/] tidak ada URL (--postgis-url atau "
            "GEO_DATABASE_URL=postgresql://...)."
        )
    records: list[dict] = []
    results = []
    machine = _machine()
    for size in [s for s in n if s > 0]:
        console.print(f"Membuat {size:,} keluarga Kendal (generator proyek, seed {seed}) ...")
        inp = jb.kendal_input(size, seed=seed)
        res = jb.run_comparison(inp, chosen, postgis_url=url, repeat=repeat, say=console.print)
        results.extend(res)
        records.extend(r.record() for r in res)
        _print_table(
            jb.table(res).drop(columns=["dataset", "note"]), f"Join + H3 + agregat, {inp.dataset}"
        )
        del inp
    extra: dict = {"machine_before": machine}
    if cold_warm:
        extra["cold_warm"] = _cold_warm(jb, cold_warm_n, seed, work_dir)
        cw = extra["cold_warm"]
        out.print(
            f"Pipeline indikator {cw['n_families']:,} keluarga (proses baru): impor "
            f"{cw['import_s']:.2f} s, dingin {cw['cold_s']:.2f} s, hangat "
            f"{cw['warm_s']:.2f} s"
            + (" (termasuk Gi* 999 permutasi)" if cw["with_gi_star"] else "")
        )
    if dask_curve:
        curve = _dask_curve(sorted(dask_curve), seed, work_dir, scheduler)
        extra["dask_curve"] = curve
        for rec in curve:
            records.append(
                {
                    "dataset": "jawa_tengah_" + jb._size_label(rec["n_families"]),
                    "n_families": rec["n_families"],
                    "method": "geo_service_dask",
                    "seconds": rec["seconds"],
                    "peak_mb": rec["peak_mb"],
                    "identical": None,
                    "kabupaten": rec["kabupaten"],
                }
            )
    extra["machine_after"] = _machine()
    if out_file:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(json.dumps(records, indent=2), encoding="utf-8")
        side = out_file.with_name(out_file.stem + ".meta.json")
        side.write_text(json.dumps(extra, indent=2, default=str), encoding="utf-8")
        out.print(f"Menulis {out_file} dan {side}")
    bad = [r for r in results if r.identical is False]
    if bad:
        console.print(
            "[bold red]Hasil berbeda:[/] " + ", ".join(f"{r.method} ({r.dataset})" for r in bad)
        )
        if fail_on_mismatch:
            raise typer.Exit(1)


def _cold_warm(jb, n: int, seed: int, work_dir: Path) -> dict:
    """Full indicator pipeline in a fresh interpreter: first run (cold) and second (warm)."""
    from geo_service.io.keluarga import write_keluarga

    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"kendal_{n}_{seed}.parquet"
    if not path.exists():
        from geo_service.io.boundaries import read_boundaries, read_bps
        from geo_service.synth import calibration_from_bps, generate_keluarga

        data_dir = get_settings().data_dir
        desa = read_boundaries(data_dir / "boundaries" / "desa_33.24_kendal.geojson")
        fam = generate_keluarga(
            desa,
            calibration_from_bps(read_bps(data_dir), "33.24"),
            n_keluarga=n,
            periode="2025-03",
            seed=seed,
            kantong=6,
        ).keluarga
        write_keluarga(fam, path)
    boundaries = get_settings().data_dir / "boundaries" / "desa_33.24_kendal.geojson"
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


def jawa_tengah_families(n: int, seed: int, work_dir: Path) -> Path:
    """``n`` families over the 35 kabupaten of Jawa Tengah, one Parquet file per kabupaten,
    made kabupaten by kabupaten with the project's generator (never all rows at once)."""
    import numpy as np

    from geo_service.io.keluarga import write_keluarga
    from geo_service.services.batch import read_kabupaten_desa
    from geo_service.synth.generator import Calibration, generate_keluarga

    boundaries = get_settings().data_dir / "boundaries" / "desa_33_jawa_tengah.parquet"
    folder = work_dir / f"jateng_{n}_{seed}"
    done = folder / ".selesai"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    from geo_service.services.batch import kabupaten_codes

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
        console.print(f"  {kab}: {int(k):,} keluarga")
    done.write_text("ok")
    return folder


def _dask_curve(sizes: list[int], seed: int, work_dir: Path, scheduler: str | None) -> list[dict]:
    """Batch time for Jawa Tengah at each size (2 single-threaded workers by default)."""
    import psutil

    from geo_service.services.batch import run_batch

    jb = _harness()
    boundaries = get_settings().data_dir / "boundaries" / "desa_33_jawa_tengah.parquet"
    curve = []
    for n in sizes:
        console.print(f"Kurva Dask: membuat {n:,} keluarga Jawa Tengah ...")
        folder = jawa_tengah_families(n, seed, work_dir)
        sampler = _TreeRss(psutil.Process())
        with sampler:
            res = run_batch(
                folder, boundaries, work_dir / f"hasil_{n}", prefix="33", scheduler=scheduler
            )
        rec = {
            "n_families": n,
            "seconds": round(res.seconds, 2),
            "families_per_s": int(n / res.seconds),
            "peak_mb": round(sampler.peak_mb, 1),
            "kabupaten": len(res.summary) - 1,
            "failed": res.failed,
        }
        curve.append(rec)
        out.print(
            f"  Jawa Tengah {jb._size_label(n)}: {rec['seconds']:.1f} s, "
            f"{rec['families_per_s']:,} keluarga/s, memori puncak (semua proses) "
            f"{rec['peak_mb']:,.0f} MB, {rec['kabupaten']} kabupaten"
        )
    return curve


class _TreeRss:
    """Peak summed RSS of this process and its children (Dask workers), every 50 ms."""

    def __init__(self, proc):
        self.proc = proc
        self.peak_mb = 0.0

    def _sample(self) -> float:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # noqa: BLE001 - a worker may exit between listing and reading
                pass
        return total / 1e6

    def __enter__(self):
        import threading

        self._stop = threading.Event()
        self.base = self._sample()

        def run():
            while not self._stop.wait(0.05):
                self.peak_mb = max(self.peak_mb, self._sample() - self.base)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def batch(
    keluarga: Annotated[
        Path,
        typer.Option(
            help="Folder berkas keluarga per kabupaten (<kode_kab>.parquet), atau satu berkas .parquet besar (dipecah dulu)."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="GeoParquet desa dengan kolom kode_kab (default: data/boundaries/desa_33_jawa_tengah.parquet)."
        ),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(
            "--wilayah",
            help="Hanya kode yang diawali ini: provinsi (33) atau kabupaten (33.24). Default: semua.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Alamat scheduler Dask (tcp://host:8786); default LocalCluster."),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Worker LocalCluster (satu thread tiap worker).")
    ] = 2,
) -> None:
    """Analisis per kabupaten di klaster Dask; tabel per kabupaten + ringkasan nasional."""
    from geo_service.services.batch import run_batch, split_by_kabupaten

    boundaries = (
        boundaries or get_settings().data_dir / "boundaries" / "desa_33_jawa_tengah.parquet"
    )
    folder = keluarga
    if keluarga.is_file():
        folder = out_dir / "_keluarga_per_kabupaten"
        console.print(f"Memecah {keluarga} per kabupaten ke {folder} ...")
        split_by_kabupaten(keluarga, folder)

    def done(kab: str, row: dict | None) -> None:
        if row is None:
            console.print(f"  [red]{kab} gagal[/]")
        else:
            console.print(
                f"  {kab} {row.get('nama_kab', '')}: {int(row['n_keluarga']):,} "
                f"keluarga, {row['detik']:.1f} s"
            )

    res = run_batch(
        folder,
        boundaries,
        out_dir,
        prefix=prefix,
        scheduler=scheduler,
        n_workers=workers,
        on_done=done,
    )
    out.print(
        f"Selesai: {len(res.summary) - 1 if len(res.summary) else 0} kabupaten dalam "
        f"{res.seconds:.1f} s; ringkasan: {out_dir / 'ringkasan_nasional.csv'}"
    )
    if res.unassigned_rows:
        out.print(
            f"  {res.unassigned_rows:,} baris tanpa kode kabupaten yang sah (tidak dianalisis)"
        )
    if res.failed:
        for kab, why in res.failed.items():
            console.print(f"  [red]{kab}[/]: {why}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``bench`` and ``batch`` to the main CLI."""
    app.command("bench")(bench)
    app.command("batch")(batch)
