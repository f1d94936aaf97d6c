"""``geo-service batch``: the one analysis run per kabupaten on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo_service.cli._common import DEFAULTS as D
from geo_service.cli._common import (
    AlphaOpt,
    GarisOpt,
    H3Opt,
    LangOpt,
    MinJiwaOpt,
    OutDirOpt,
    PartialOpt,
    PermOpt,
    SeedOpt,
    TanpaKantongOpt,
    _domain_errors,
    _progress,
    console,
    out,
    run_params,
)
from geo_service.i18n import fmt_int, fmt_number, msg
from geo_service.settings import get_settings


def batch(
    keluarga: Annotated[
        Path,
        typer.Option(
            help="Folder berkas keluarga per kabupaten (<kode_kab>.parquet), atau satu berkas .parquet besar (dipecah dulu)."
        ),
    ],
    out_dir: OutDirOpt,
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
    h3_res: H3Opt = None,
    partial: PartialOpt = D.partial,
    garis_ekstrem: GarisOpt = D.garis_ekstrem,
    seed: SeedOpt = None,
    alpha: AlphaOpt = None,
    permutasi: PermOpt = None,
    min_jiwa_kantong: MinJiwaOpt = None,
    tanpa_kantong: TanpaKantongOpt = not D.kantong,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare/--no-prepare",
            help="Siapkan batas dulu: satu row group per kabupaten dan indeks tiap kabupaten "
            "(di OUT/_batas; sekali per versi batas).",
        ),
    ] = False,
    indeks: Annotated[
        Path | None,
        typer.Option(help="Folder indeks batas per kabupaten dari --prepare sebelumnya."),
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Analisis per kabupaten di klaster Dask (sama dengan `analyse`: parameter dan berkas);
    hasil per kabupaten + ringkasan nasional."""
    # lazy: CLI start-up time (`batch --help` without GeoPandas, Dask and the analysis run)
    from geo_service.io.boundaries import prepare_layer
    from geo_service.services.batch import run_batch, split_by_kabupaten

    settings = get_settings()
    with _domain_errors(lang):
        params = run_params(
            h3_res=h3_res,
            partial=partial,
            garis_ekstrem=garis_ekstrem,
            seed=seed,
            alpha=alpha,
            permutasi=permutasi,
            min_jiwa_kantong=min_jiwa_kantong,
            tanpa_kantong=tanpa_kantong,
        )
    boundaries = (
        boundaries or settings.paths.data_dir / "boundaries" / "desa_33_jawa_tengah.parquet"
    )
    if prepare:
        target = out_dir / "_batas" / boundaries.name
        indeks = out_dir / "_batas" / "indeks"
        console.print(msg("batch_siapkan", lang, src=boundaries, dst=target, idx=indeks))
        with _domain_errors(lang):
            prepare_layer(boundaries, target, index_dir=indeks)
        boundaries = target
    folder = keluarga
    if keluarga.is_file():
        folder = out_dir / "_keluarga_per_kabupaten"
        console.print(msg("batch_pecah", lang, src=keluarga, dst=folder))
        split_by_kabupaten(keluarga, folder)

    with _progress() as bar:  # progress visible (the Dask dashboard shows the tasks too)
        task = bar.add_task(msg("batch_bar", lang), total=None)

        def done(kab: str, row: dict | None) -> None:
            bar.advance(task)
            if row is None:
                console.print(f"  [red]{kab} {msg('batch_gagal', lang)}[/]")
            else:
                text = msg(
                    "batch_baris",
                    lang,
                    kab=kab,
                    nama=row.get("nama_kab", ""),
                    n=fmt_int(int(row["n_keluarga"]), lang),
                    s=fmt_number(row["detik"], lang, 1),
                )
                console.print("  " + text)

        res = run_batch(
            folder,
            boundaries,
            out_dir,
            prefix=prefix,
            scheduler=scheduler,
            n_workers=workers,
            params=params,
            data_dir=settings.paths.data_dir,
            lang=lang,
            on_done=done,
            index_dir=indeks,
            on_start=lambda n: bar.update(task, total=n),
        )
    n_kab = len(res.summary) - 1 if len(res.summary) else 0
    out.print(
        msg(
            "batch_selesai",
            lang,
            n=n_kab,
            s=fmt_number(res.seconds, lang, 1),
            file=out_dir / "ringkasan_nasional.csv",
        )
    )
    if res.unassigned_rows:
        out.print("  " + msg("batch_tanpa_kab", lang, n=fmt_int(res.unassigned_rows, lang)))
    if res.failed:
        for kab, why in res.failed.items():
            console.print(f"  [red]{kab}[/]: {why}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the main CLI."""
    app.command("batch")(batch)
