"""``geo-service generate``: synthetic DTSEN families on real desa polygons (the generator,
pandas and GeoPandas are imported when the command runs: CLI start-up time)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_service.cli._common import _domain_errors, _load_desa, _progress, console, out
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int, fmt_number, fmt_percent, pick
from geo_service.settings import get_settings

if TYPE_CHECKING:
    from geo_service.services.batch_nasional import NationalSpec

TEXT = {
    "id": {
        "warning": "Peringatan",
        "no_bps": "tidak ada angka BPS untuk {kab}; dipakai angka nasional Maret {tahun} (P0 {p0})",
        "placing": "Menempatkan keluarga per desa",
        "wrote": "Menulis {n} baris keluarga ke {file} ({s} s)",
        "summary": (
            "  jiwa desil 1: {pct} (P0 BPS {tahun}: {p0}), geotag: {geotag}, "
            "kantong ditanam: {kantong}, baris rusak: {rusak}"
        ),
        "truth": "  kebenaran: {file}",
        "follow": "Menulis periode lanjutan {periode} (keluarga yang sama, transisi diketahui): {file}",
        "panel_truth": "  kebenaran transisi: {file}",
        "suffix": "--out harus berakhiran .csv atau .parquet",
        "lanjut_rusak": "--lanjut tidak dapat digabung dengan --rusak",
        "lanjut_order": "--lanjut harus setelah --periode dan berurutan",
        "nasional_batas": "--nasional perlu --boundaries (lapisan desa dengan kode_kab)",
        "nasional_kab": "berikan --kabupaten, atau --nasional untuk semua kabupaten",
        "nasional_bar": "Keluarga per kabupaten",
        "nasional_done": "{kab} kabupaten, {n} keluarga di {dir} (satu berkas per kabupaten; {baru} baru ditulis, {s} s)",
    },
    "en": {
        "warning": "Warning",
        "no_bps": "no BPS figures for {kab}; using the national figures of March {tahun} (P0 {p0})",
        "placing": "Placing families per village",
        "wrote": "Wrote {n} family rows to {file} ({s} s)",
        "summary": (
            "  persons in decile 1: {pct} (BPS P0 {tahun}: {p0}), geotagged: {geotag}, "
            "planted pockets: {kantong}, broken rows: {rusak}"
        ),
        "truth": "  truth: {file}",
        "follow": "Wrote follow-on periode {periode} (same families, known transitions): {file}",
        "panel_truth": "  transition truth: {file}",
        "suffix": "--out must end in .csv or .parquet",
        "lanjut_rusak": "--lanjut cannot be combined with --rusak",
        "lanjut_order": "--lanjut periodes must come after --periode, in order",
        "nasional_batas": "--nasional needs --boundaries (a desa layer with kode_kab)",
        "nasional_kab": "give --kabupaten, or --nasional for every kabupaten",
        "nasional_bar": "Families per kabupaten",
        "nasional_done": "{kab} kabupaten, {n} families in {dir} (one file per kabupaten; {baru} newly written, {s} s)",
    },
}


def follow_on_path(out_file: Path, periode: str, lanjut: str) -> Path:
    """Where a follow-on periode goes: the base file's name with its periode replaced
    (``keluarga_2025-03.parquet`` -> ``keluarga_2025-09.parquet``), else ``_<periode>``
    added."""
    if periode in out_file.name:
        return out_file.with_name(out_file.name.replace(periode, lanjut))
    return out_file.with_name(f"{out_file.stem}_{lanjut}{out_file.suffix}")


def generate_nasional(boundaries: Path, out_dir: Path, spec: NationalSpec, lang: str) -> None:
    """Every kabupaten of ``boundaries``: one Parquet file each in ``out_dir`` (the input of
    ``geo-service batch``), streamed one kabupaten at a time, made once per parameters."""
    from geo_service.services.batch_nasional import generate_national  # lazy: CLI start-up

    t = pick(TEXT, lang)
    t0 = time.perf_counter()
    new: list[str] = []
    with _progress() as bar:
        task = bar.add_task(t["nasional_bar"], total=None)

        def done(row: dict) -> None:
            new.append(row["kode_kab"])
            bar.advance(task)

        manifest = generate_national(
            boundaries, out_dir, spec, data_dir=get_settings().paths.data_dir, on_done=done
        )
    rows = manifest["kabupaten"]
    out.print(
        t["nasional_done"].format(
            kab=fmt_int(len(rows), lang),
            n=fmt_int(sum(r["n_keluarga"] for r in rows.values()), lang),
            dir=out_dir,
            baru=fmt_int(len(new), lang),
            s=fmt_number(time.perf_counter() - t0, lang, 1),
        )
    )


def generate(
    out_file: Annotated[
        Path,
        typer.Option(
            "--out", help="Berkas keluaran .csv atau .parquet (dengan --nasional: folder)."
        ),
    ],
    kabupaten: Annotated[
        str | None, typer.Option(help="Kode kabupaten Kemendagri, mis. 33.24 (Kendal).")
    ] = None,
    nasional: Annotated[
        bool,
        typer.Option(
            "--nasional",
            help="Semua kabupaten lapisan --boundaries: --keluarga dibagi menurut jumlah desa, "
            "satu berkas per kabupaten di folder --out (masukan `batch`); dibuat sekali.",
        ),
    ] = False,
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
    lanjut: Annotated[
        list[str] | None,
        typer.Option(
            help="Periode lanjutan YYYY-MM dari keluarga yang sama dengan transisi diketahui "
            "(mode panel; ulangi opsi). Berkasnya di samping --out, kebenaran di "
            "FILE.panel.truth.json."
        ),
    ] = None,
    lang: Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")] = "id",
) -> None:
    """Buat data keluarga DTSEN sintetis pada poligon desa nyata, terkalibrasi angka BPS."""
    # lazy: CLI start-up time (`generate --help` without pandas, GeoPandas and the generator)
    from geo_service.io.boundaries import read_bps
    from geo_service.io.export import write_json
    from geo_service.io.keluarga import write_keluarga
    from geo_service.services.batch_nasional import NationalSpec
    from geo_service.synth import calibration_for, generate_keluarga
    from geo_service.synth.panel import generate_panel

    t = pick(TEXT, lang)
    lanjut = list(lanjut or [])
    with _domain_errors(lang):
        if nasional:
            if boundaries is None:
                raise InvalidInputError(TEXT["id"]["nasional_batas"], TEXT["en"]["nasional_batas"])
            spec = NationalSpec(total=keluarga, periode=periode, seed=seed, kantong=kantong)
            generate_nasional(boundaries, out_file, spec, lang)
            return
        if kabupaten is None:
            raise InvalidInputError(TEXT["id"]["nasional_kab"], TEXT["en"]["nasional_kab"])
        if out_file.suffix.lower() not in (".csv", ".parquet"):
            raise InvalidInputError(TEXT["id"]["suffix"], TEXT["en"]["suffix"])
        if lanjut and rusak:
            raise InvalidInputError(TEXT["id"]["lanjut_rusak"], TEXT["en"]["lanjut_rusak"])
        if lanjut and [periode, *lanjut] != sorted({periode, *lanjut}):
            raise InvalidInputError(TEXT["id"]["lanjut_order"], TEXT["en"]["lanjut_order"])
        desa, _, _ = _load_desa(boundaries, kabupaten)
        # Published BPS figures where the table has them, else documented national defaults.
        nama = str(desa["nama_kab"].iloc[0]) if "nama_kab" in desa.columns else None
        calib = calibration_for(read_bps(get_settings().paths.data_dir), kabupaten, nama=nama)
        if calib.bawaan:
            console.print(
                f"[yellow]{t['warning']}:[/] "
                + t["no_bps"].format(
                    kab=kabupaten, tahun=calib.tahun_p0, p0=fmt_percent(calib.p0, lang, 2)
                )
            )
        t0 = time.perf_counter()
        panel = None
        if lanjut:
            panel = generate_panel(
                desa,
                calib,
                n_keluarga=keluarga,
                periodes=[periode, *lanjut],
                seed=seed,
                kantong=kantong,
            )
            keluarga_frame, truth = panel.snapshots[periode], panel.truth["dasar"]
        else:
            with _progress() as bar:
                task = bar.add_task(t["placing"], total=len(desa))
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
            keluarga_frame, truth = data.keluarga, data.truth
        write_keluarga(keluarga_frame, out_file)
        truth_path = out_file.with_name(out_file.name + ".truth.json")
        write_json(truth, truth_path)
        follow = []
        if panel is not None:
            for p in lanjut:
                follow.append(
                    (p, write_keluarga(panel.snapshots[p], follow_on_path(out_file, periode, p)))
                )
            panel_truth = write_json(
                panel.truth, out_file.with_name(out_file.name + ".panel.truth.json")
            )
    out.print(
        t["wrote"].format(
            n=fmt_int(len(keluarga_frame), lang),
            file=out_file,
            s=fmt_number(time.perf_counter() - t0, lang, 1),
        )
    )
    out.print(
        t["summary"].format(
            pct=fmt_percent(truth["target"]["pct_jiwa_desil_1"], lang, 2),
            tahun=calib.tahun_p0,
            p0=fmt_percent(calib.p0, lang, 2),
            geotag=fmt_int(truth["jumlah"]["geotag"], lang),
            kantong=len(truth["kantong"]),
            rusak=fmt_int(9 * rusak, lang),
        )
    )
    out.print(t["truth"].format(file=truth_path))
    for p, path in follow:
        out.print(t["follow"].format(periode=p, file=path))
    if follow:
        out.print(t["panel_truth"].format(file=panel_truth))


def register(app: typer.Typer) -> None:
    """Add ``generate`` to the main CLI."""
    app.command("generate")(generate)
