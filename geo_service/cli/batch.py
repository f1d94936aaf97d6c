"""``geo-service batch``: the one analysis run per kabupaten on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from geo_service.cli._common import _domain_errors, console, out
from geo_service.cli.analyse import (
    AlphaOpt,
    GarisOpt,
    H3Opt,
    MinJiwaOpt,
    PartialOpt,
    PermOpt,
    SeedOpt,
    TanpaKantongOpt,
    run_params,
)
from geo_service.io.boundaries import prepare_layer
from geo_service.services.analysis_run import RUN_DEFAULTS as D
from geo_service.services.batch import run_batch, split_by_kabupaten
from geo_service.settings import get_settings


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
    lang: Annotated[str, typer.Option(help="Bahasa: id atau en.")] = "id",
) -> None:
    """Analisis per kabupaten di klaster Dask (sama dengan `analyse`: parameter dan berkas);
    hasil per kabupaten + ringkasan nasional."""
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
        console.print(f"Menyiapkan batas {boundaries} -> {target} (indeks: {indeks}) ...")
        with _domain_errors(lang):
            prepare_layer(boundaries, target, index_dir=indeks)
        boundaries = target
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
        params=params,
        data_dir=settings.paths.data_dir,
        lang=lang,
        on_done=done,
        index_dir=indeks,
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
    """Add ``batch`` to the main CLI."""
    app.command("batch")(batch)
