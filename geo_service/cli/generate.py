"""``geo-service generate``: synthetic DTSEN families on real desa polygons."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from geo_service.cli._common import _domain_errors, _load_desa, _progress, console, out
from geo_service.errors import InvalidInputError
from geo_service.io.boundaries import read_bps
from geo_service.io.export import write_json
from geo_service.io.keluarga import write_keluarga
from geo_service.settings import get_settings
from geo_service.synth import calibration_for, generate_keluarga


def generate(
    kabupaten: Annotated[str, typer.Option(help="Kode kabupaten Kemendagri, mis. 33.24 (Kendal).")],
    out_file: Annotated[Path, typer.Option("--out", help="Berkas keluaran .csv atau .parquet.")],
    keluarga: Annotated[int, typer.Option(help="Jumlah keluarga (sah).")] = 300_000,
    periode: Annotated[str, typer.Option(help="Periode snapshot DTSEN, YYYY-MM.")] = "2025-03",
    seed: Annotated[int, typer.Option(help="Benih acak; keluaran sama untuk benih sama.")] = 7,
    kantong: Annotated[
        int, typer.Option(help="Tanam K kantong kemiskinan (kebenaran di FILE.truth.json).")
    ] = 0,
    rusak: Annotated[int, typer.Option(help="Tambah N baris rusak untuk tiap kode alasan.")] = 0,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            help="Lapisan desa berisi kabupaten itu (mis. indonesia_desa.parquet nasional); "
            "tanpa ini: batas bawaan."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")] = "id",
) -> None:
    """Buat data keluarga DTSEN sintetis pada poligon desa nyata, terkalibrasi angka BPS."""
    with _domain_errors(lang):
        if out_file.suffix.lower() not in (".csv", ".parquet"):
            raise InvalidInputError(
                "--out harus berakhiran .csv atau .parquet", "--out must end in .csv or .parquet"
            )
        desa, _, _ = _load_desa(boundaries, kabupaten)
        # Published BPS figures where the table has them, else documented national defaults.
        nama = str(desa["nama_kab"].iloc[0]) if "nama_kab" in desa.columns else None
        calib = calibration_for(read_bps(get_settings().paths.data_dir), kabupaten, nama=nama)
        if calib.bawaan:
            console.print(
                f"[yellow]Peringatan:[/] tidak ada angka BPS untuk {kabupaten}; dipakai angka "
                f"nasional Maret {calib.tahun_p0} (P0 {calib.p0:.2f}%)"
            )
        t0 = time.perf_counter()
        with _progress() as bar:
            task = bar.add_task("Menempatkan keluarga per desa", total=len(desa))
            data = generate_keluarga(
                desa,
                calib,
                n_keluarga=keluarga,
                periode=periode,
                seed=seed,
                kantong=kantong,
                rusak=rusak,
                progress=lambda k: bar.advance(task, k),
            )
        write_keluarga(data.keluarga, out_file)
        truth_path = out_file.with_name(out_file.name + ".truth.json")
        write_json(data.truth, truth_path)
    t = data.truth
    out.print(
        f"Menulis {len(data.keluarga):,} baris keluarga ke {out_file} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    out.print(
        f"  jiwa desil 1: {t['target']['pct_jiwa_desil_1']:.2f}% "
        f"(P0 BPS {calib.tahun_p0}: {calib.p0:.2f}%), geotag: {t['jumlah']['geotag']:,}, "
        f"kantong ditanam: {len(t['kantong'])}, baris rusak: {9 * rusak}"
    )
    out.print(f"  kebenaran: {truth_path}")


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the main CLI."""
    app.command("generate")(generate)
