"""``geo-service bench``: speed of join + H3 + aggregates against peers (with the stored
boundary index and cold, index built in the timed section), the whole analysis
(``analyse_full``), the indicator pipeline cold and warm, and the Dask batch curve.

A thin adapter: the harness lives in :mod:`geo_service.services.bench` (the package never
imports the ``benchmarks/`` scripts, and nothing edits ``sys.path``), imported when the
command runs.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli._common import console, out
from geo_service.i18n import fmt_int, fmt_number
from geo_service.settings import get_settings


def _print_table(frame, title: str) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(col, justify="right" if frame[col].dtype.kind in "if" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out.print(table)


def _cell(v) -> str:
    import numpy as np  # lazy: CLI start-up time (`bench --help`)

    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool | np.bool_):
        return "ya" if v else "TIDAK"
    if isinstance(v, int | np.integer):
        return f"{fmt_int(int(v))}"
    return str(v)


def _postgis_url(given: str | None) -> str | None:
    if given:
        return given
    url = get_settings().database.url
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
        "naive,geopandas,duckdb,sedonadb,dask_geopandas,postgis,geo_service,geo_service_cold"
    ),
    full_n: Annotated[
        list[int] | None,
        typer.Option(
            "--full-n",
            help="Analisis utuh (validasi s.d. berkas dan peta) untuk ukuran ini (boleh "
            "diulang; bawaan 300000 dan 1000000; 0 = lewati).",
        ),
    ] = None,
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
    # lazy: CLI start-up time (`bench --help` without the harness, pandas and GeoPandas)
    from geo_service.services.bench import full, runs
    from geo_service.services.bench import join as jb

    data_dir = get_settings().paths.data_dir
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
    machine = runs.machine()
    for size in [s for s in n if s > 0]:
        console.print(
            f"Membuat {fmt_int(size)} keluarga Kendal (generator proyek, seed {seed}) ..."
        )
        inp = jb.kendal_input(size, seed=seed, data_dir=data_dir)
        res = jb.run_comparison(inp, chosen, postgis_url=url, repeat=repeat, say=console.print)
        results.extend(res)
        records.extend(r.record() for r in res)
        _print_table(
            jb.table(res).drop(columns=["dataset", "note"]), f"Join + H3 + agregat, {inp.dataset}"
        )
        del inp
    extra: dict = {"machine_before": machine}
    for size in [s for s in (full_n if full_n is not None else [300_000, 1_000_000]) if s > 0]:
        console.print(f"Analisis utuh {fmt_int(size)} keluarga Kendal ...")
        raw, desa = full.kendal_families(size, seed=seed, data_dir=data_dir, cache=work_dir)
        with tempfile.TemporaryDirectory() as tmp:
            rec = full.analyse_full(raw, desa, Path(tmp) / "hasil", data_dir=data_dir)
        del raw
        rec["dataset"] = f"kendal_{jb._size_label(size)}"
        rec["identical"] = None
        records.append(rec)
        steps = ", ".join(f"{k} {fmt_number(v, decimals=2)}" for k, v in rec["steps_s"].items())
        out.print(
            f"  analyse_full {fmt_int(size)}: {fmt_number(rec['seconds'], decimals=2)} s, puncak {fmt_number(rec['peak_mb'], decimals=0)} MB "
            f"({steps})"
        )
    if cold_warm:
        extra["cold_warm"] = runs.cold_warm(cold_warm_n, seed, work_dir, data_dir=data_dir)
        cw = extra["cold_warm"]
        out.print(
            f"Pipeline indikator {fmt_int(cw['n_families'])} keluarga (proses baru): impor "
            f"{fmt_number(cw['import_s'], decimals=2)} s, dingin {fmt_number(cw['cold_s'], decimals=2)} s, hangat "
            f"{fmt_number(cw['warm_s'], decimals=2)} s"
            + (" (termasuk Gi* 999 permutasi)" if cw["with_gi_star"] else "")
        )
    if dask_curve:
        curve = runs.dask_curve(
            sorted(dask_curve), seed, work_dir, scheduler, data_dir=data_dir, say=console.print
        )
        extra["dask_curve"] = curve
        for rec in curve:
            out.print(
                f"  Jawa Tengah {jb._size_label(rec['n_families'])}: {fmt_number(rec['seconds'], decimals=1)} s, "
                f"{fmt_int(rec['families_per_s'])} keluarga/s, memori puncak (semua proses) "
                f"{fmt_int(rec['peak_mb'])} MB, {rec['kabupaten']} kabupaten"
            )
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
    extra["machine_after"] = runs.machine()
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


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the main CLI."""
    app.command("bench")(bench)
