"""Command line for analysts: ``geo-service generate | analyse | ...``.

A thin layer: it reads files (``io``), runs the pure pipeline (``analysis``), draws
(``mapping``) and writes; every step a person waits for shows progress.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo_service import __version__
from geo_service.errors import GeoServiceError, InvalidInputError
from geo_service.settings import get_settings

app = typer.Typer(
    help="geo_service: kantong kemiskinan ekstrem dari data DTSEN (Bahasa Indonesia; --lang en).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)
out = Console()

STEP_LABEL = {
    "id": {
        "validasi": "Memeriksa baris keluarga",
        "lokasi": "Menentukan desa tiap keluarga",
        "h3": "Menghitung sel H3",
        "agregat": "Menghitung indikator",
        "kantong": "Mencari kantong kemiskinan (Gi*)",
        "desa_gi": "Gi* per desa",
        "prioritas": "Menyusun lokasi prioritas",
        "kebutuhan": "Kebutuhan per OPD dan cakupan",
        "tulis": "Menulis tabel",
        "peta": "Membuat peta",
    },
    "en": {
        "validasi": "Validating family rows",
        "lokasi": "Locating families in desa",
        "h3": "Computing H3 cells",
        "agregat": "Aggregating indicators",
        "kantong": "Finding pockets (Gi*)",
        "desa_gi": "Gi* per village",
        "prioritas": "Ranking priority villages",
        "kebutuhan": "Needs per agency and coverage",
        "tulis": "Writing tables",
        "peta": "Drawing the map",
    },
}


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


@contextmanager
def _domain_errors(lang: str) -> Iterator[None]:
    try:
        yield
    except GeoServiceError as exc:
        console.print(
            f"[bold red]Gagal:[/] {exc.text(lang)}"
            if lang == "id"
            else f"[bold red]Failed:[/] {exc.text(lang)}"
        )
        raise typer.Exit(2) from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_desa(boundaries: Path | None, kabupaten: str | None):
    from geo_service.io.boundaries import BoundaryRepairWarning, boundary_files, read_boundaries

    settings = get_settings()
    files: dict[str, Path] = {}
    if boundaries is None:
        if kabupaten is None:
            raise InvalidInputError(
                "Berikan --boundaries FILE atau --kabupaten KODE.",
                "Give --boundaries FILE or --kabupaten CODE.",
            )
        files = boundary_files(settings.data_dir, kabupaten)
        boundaries = files["desa"]
    elif boundaries.name.startswith("desa_"):
        sibling = boundaries.with_name(boundaries.name.replace("desa_", "kecamatan_", 1))
        if sibling.exists():
            files["kecamatan"] = sibling
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BoundaryRepairWarning)
        desa = read_boundaries(boundaries)
    for w in caught:
        if issubclass(w.category, BoundaryRepairWarning):
            console.print(f"[yellow]Peringatan:[/] {w.message}")
    return desa, boundaries, files.get("kecamatan")


@app.command()
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
    lang: Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")] = "id",
) -> None:
    """Buat data keluarga DTSEN sintetis pada poligon desa nyata, terkalibrasi angka BPS."""
    from geo_service.io.boundaries import read_bps
    from geo_service.io.export import write_json
    from geo_service.io.keluarga import write_keluarga
    from geo_service.synth import calibration_from_bps, generate_keluarga

    with _domain_errors(lang):
        if out_file.suffix.lower() not in (".csv", ".parquet"):
            raise InvalidInputError(
                "--out harus berakhiran .csv atau .parquet", "--out must end in .csv or .parquet"
            )
        desa, _, _ = _load_desa(None, kabupaten)
        try:
            calib = calibration_from_bps(read_bps(get_settings().data_dir), kabupaten)
        except KeyError as exc:
            raise InvalidInputError(
                f"Tidak ada angka BPS untuk kabupaten {kabupaten}",
                f"No BPS figures for kabupaten {kabupaten}",
            ) from exc
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


@app.command()
def analyse(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    keluarga: Annotated[
        Path | None, typer.Option(help="Berkas keluarga (.csv atau .parquet).")
    ] = None,
    db: Annotated[
        bool,
        typer.Option(
            "--db",
            help="Baca batas dan keluarga dari basis data (GEO_DATABASE_URL) dan simpan hasilnya di sana.",
        ),
    ] = False,
    periode: Annotated[
        str | None, typer.Option(help="Dengan --db: periode snapshot, YYYY-MM.")
    ] = None,
    boundaries: Annotated[
        Path | None, typer.Option(help="Batas desa (GeoJSON, GPKG, SHP, GeoParquet).")
    ] = None,
    kabupaten: Annotated[
        str | None, typer.Option(help="Atau: kode kabupaten dengan batas bawaan.")
    ] = None,
    h3_res: Annotated[int, typer.Option("--h3-res", min=6, max=10, help="Resolusi H3 (6-10).")] = 8,
    partial: Annotated[
        bool,
        typer.Option("--partial", help="Analisis baris sah saja; baris ditolak ke validation.csv."),
    ] = False,
    garis_ekstrem: Annotated[
        float | None,
        typer.Option(help="Ekstrem = pengeluaran_kapita di bawah garis ini (Rp), bukan desil 1."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Benih permutasi Gi* dan bootstrap peringkat.")] = 7,
    alpha: Annotated[
        float, typer.Option(help="Batas FDR (Benjamini-Hochberg) titik panas.")
    ] = 0.05,
    permutasi: Annotated[
        int, typer.Option(help="Permutasi Gi* tahap pertama (p kecil diperhalus sampai 9.999).")
    ] = 999,
    min_jiwa_kantong: Annotated[
        int, typer.Option(help="Minimal jiwa miskin ekstrem dalam satu kantong.")
    ] = 100,
    tanpa_kantong: Annotated[
        bool, typer.Option("--tanpa-kantong", help="Hanya indikator, tanpa kantong dan prioritas.")
    ] = False,
    lang: Annotated[str, typer.Option(help="Bahasa: id atau en.")] = "id",
) -> None:
    """Hitung indikator, kantong kemiskinan dan lokasi prioritas; tulis tabel dan peta."""
    from geo_service.analysis import AnalysisParams, compute_indicators, validate_keluarga
    from geo_service.analysis.planning import PlanningParams, compute_planning
    from geo_service.io.boundaries import read_outlines
    from geo_service.io.export import output_dir, write_csv, write_geojson, write_json
    from geo_service.io.keluarga import read_keluarga
    from geo_service.io.reference import opd_programmes_path, read_opd_programmes
    from geo_service.mapping import choropleth_map
    from geo_service.mapping.layers import add_planning_layers

    labels = STEP_LABEL["en" if lang == "en" else "id"]
    t0 = time.perf_counter()
    with _domain_errors(lang):
        params = AnalysisParams(
            h3_resolution=h3_res,
            max_distance_m=get_settings().max_distance_m,
            garis_ekstrem=garis_ekstrem,
        )
        if db:
            if not kabupaten or not periode:
                raise InvalidInputError(
                    "Dengan --db berikan --kabupaten dan --periode.",
                    "With --db give --kabupaten and --periode.",
                )
            inputs, index = _db_inputs(kabupaten, periode)
            desa, raw, kec_outlines = inputs.desa, None, inputs.kecamatan
            sources = {"basis_data": inputs.sumber}
        else:
            if keluarga is None:
                raise InvalidInputError(
                    "Berikan --keluarga FILE (atau --db).", "Give --keluarga FILE (or --db)."
                )
            desa, desa_path, kec_path = _load_desa(boundaries, kabupaten)
            raw, index = read_keluarga(keluarga), None
            kec_outlines = read_outlines(kec_path)
            sources = {
                "keluarga": {"berkas": keluarga.name, "sha256": _sha256(keluarga)},
                "batas_desa": {"berkas": desa_path.name, "sha256": _sha256(desa_path)},
            }
        planning_params = PlanningParams(
            alpha=alpha, permutations=permutasi, min_jiwa_ekstrem=min_jiwa_kantong
        )
        programmes = read_opd_programmes(opd_programmes_path(get_settings().data_dir))
        with _progress() as bar:
            task = bar.add_task(labels["validasi"], total=6 if tanpa_kantong else 7)

            def step(name: str) -> None:
                bar.update(task, description=labels[name])
                bar.advance(task)

            validation = (
                inputs.validation
                if db
                else validate_keluarga(raw, known_desa=desa["kode"], lang=lang)
            )
            if not validation.ok and not partial:
                report = out_dir.with_name(out_dir.name + "-validation.csv")
                report.parent.mkdir(parents=True, exist_ok=True)
                write_csv(validation.problems, report)
                _print_problems(validation, lang)
                raise InvalidInputError(
                    f"{len(validation.rejected):,} baris ditolak ({len(validation.problems):,} "
                    f"masalah); tidak ada keluaran ditulis. Laporan lengkap: {report}. "
                    "Perbaiki berkas, atau jalankan dengan --partial untuk menganalisis baris sah.",
                    f"{len(validation.rejected):,} rows rejected ({len(validation.problems):,} "
                    f"problems); nothing written. Full report: {report}. Fix the file or run "
                    "with --partial to analyse the valid rows.",
                )
            result = compute_indicators(
                raw, desa, params, validation=validation, index=index, lang=lang, on_step=step
            )
            planning = None
            if not tanpa_kantong:
                step("kantong")
                planning = compute_planning(
                    result,
                    planning_params,
                    seed=seed,
                    programmes=programmes,
                    lang=lang,
                    on_step=lambda name: bar.update(task, description=labels.get(name, name)),
                )
            step("tulis")
            # With planning, desa and cells carry the EB rate and Gi* columns too.
            desa_out = result.desa if planning is None else planning.desa
            h3_out = result.h3 if planning is None else planning.h3
            with output_dir(out_dir) as tmp:
                write_geojson(desa_out, tmp / "desa.geojson")
                write_csv(desa_out, tmp / "desa.csv")
                write_csv(result.kecamatan, tmp / "kecamatan.csv")
                write_csv(result.kabupaten, tmp / "kabupaten.csv")
                write_geojson(h3_out, tmp / "h3.geojson")
                write_csv(h3_out, tmp / "h3.csv")
                write_csv(validation.problems, tmp / "validation.csv")
                if planning is not None:
                    _write_planning(planning, tmp, lang)
                step("peta")
                kab = result.kabupaten.iloc[0]
                periode = ", ".join(sorted(result.keluarga["periode"].unique()))
                judul = f"{kab['nama_kab']} — periode {periode}"
                page = choropleth_map(result.desa, kecamatan=kec_outlines, judul=judul, lang=lang)
                if planning is not None:
                    add_planning_layers(page, planning, result.desa, lang=lang)
                page.save(str(tmp / "map.html"))
                record = _run_record(result, sources, partial, t0)
                if planning is not None:
                    record["perencanaan"] = planning.record()
                if db:
                    record["id_analisis"] = _db_save(inputs, result, planning, seed, record)
                write_json(record, tmp / "run.json")
    _print_summary(result, out_dir, lang)


def _flat(gdf):
    """List-valued columns (e.g. the cells of a pocket) as comma-separated text."""
    gdf = gdf.copy()
    for col in gdf.columns:
        if col != "geometry" and gdf[col].map(lambda v: isinstance(v, list | tuple)).any():
            gdf[col] = gdf[col].map(lambda v: ",".join(map(str, v)))
    return gdf


def _write_planning(planning, folder: Path, lang: str) -> None:
    """Pockets, priority list (CSV + XLSX with the method), OPD targets and coverage."""
    from geo_service.analysis.planning import method_table
    from geo_service.io.export import write_csv, write_geojson, write_xlsx

    write_geojson(_flat(planning.pockets), folder / "pockets.geojson")
    write_csv(planning.priorities, folder / "priorities.csv")
    method = method_table(planning.params, planning.seed, lang=lang)
    sheets = {
        "Prioritas" if lang != "en" else "Priorities": planning.priorities,
        "Metode" if lang != "en" else "Method": method,
    }
    write_xlsx(sheets, folder / "priorities.xlsx")
    write_csv(planning.opd_targets, folder / "opd_targets.csv")
    coverage = pd.concat(
        [
            planning.coverage_desa.assign(tingkat="desa"),
            planning.coverage_pocket.assign(tingkat="kantong"),
        ],
        ignore_index=True,
    )
    write_csv(coverage, folder / "coverage.csv")
    write_csv(planning.pocket_desa, folder / "pocket_desa.csv")
    write_csv(planning.needs_desa, folder / "needs_desa.csv")
    write_csv(planning.needs_pocket, folder / "needs_pocket.csv")
    if len(planning.cold_spots):
        write_geojson(_flat(planning.cold_spots), folder / "cold_spots.geojson")


def _db_inputs(kabupaten: str, periode: str):
    from geo_service.db import check_migrated, make_engine
    from geo_service.db.repo import Scope, analysis_inputs, boundary_index

    engine = make_engine()
    check_migrated(engine)
    with engine.begin() as conn:
        inputs = analysis_inputs(conn, kabupaten, periode, scope=Scope.all())
        fam = inputs.validation.valid
        index = boundary_index(
            conn,
            kabupaten,
            inputs.desa,
            scope=Scope.all(),
            build_from=int((fam["lat"].notna() & fam["lon"].notna()).sum()),
        )
    return inputs, index


def _db_save(inputs, result, planning, seed: int, record: dict) -> int:
    """Store the run and its tables (the same names the API's runs use); returns its id."""
    from geo_service.db import make_engine, make_session_factory, session_scope
    from geo_service.db.repo import Scope, save_run

    extra = (
        {}
        if planning is None
        else {
            "kantong": planning.pockets,
            "prioritas": planning.priorities,
            "target_opd": planning.opd_targets,
            "cakupan": planning.coverage_desa,
            "h3_gi": planning.h3,
            "titik_dingin": planning.cold_spots,
        }
    )
    parameter = record["parameter"] | (
        {} if planning is None else {"perencanaan": planning.params.record()}
    )
    with session_scope(make_session_factory(make_engine())) as session:
        return save_run(
            session,
            kode_kab=inputs.kode_kab,
            periode=inputs.periode,
            result=result,
            scope=Scope.all(),
            extra=extra,
            seed=seed,
            parameter=parameter,
            sumber=inputs.sumber,
        )


def _run_record(result, sources: dict, partial: bool, t0: float) -> dict:
    from dataclasses import asdict

    kab = result.kabupaten.iloc[0]
    return {
        "geo_service": __version__,
        "python": platform.python_version(),
        "waktu_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "periode": ", ".join(sorted(result.keluarga["periode"].unique())),
        "detik": round(time.perf_counter() - t0, 2),
        "parameter": asdict(result.params) | {"partial": partial},
        "masukan": sources,
        "validasi": {
            "baris_sah": len(result.validation.valid),
            "baris_ditolak": len(result.validation.rejected),
            "masalah_per_kode": result.validation.counts().to_dict(),
            "kolom_tidak_dikenal": result.validation.unknown_columns,
        },
        "lokasi": result.location_summary().to_dict(),
        "kabupaten": {k: (v.item() if hasattr(v, "item") else v) for k, v in kab.items()},
    }


def _print_problems(validation, lang: str, limit: int = 20) -> None:
    counts = Table(title="Masalah per kode alasan" if lang == "id" else "Problems by reason code")
    counts.add_column("kode_alasan")
    counts.add_column("jumlah", justify="right")
    for code, n in validation.counts().items():
        counts.add_row(code, f"{n:,}")
    console.print(counts)
    rows = Table(
        title=("Contoh masalah" if lang == "id" else "Example problems")
        + f" ({min(limit, len(validation.problems))}/{len(validation.problems)})"
    )
    for col in ["baris", "id_keluarga", "kolom", "nilai", "kode_alasan"]:
        rows.add_column(col)
    for rec in validation.problems.head(limit).itertuples(index=False):
        rows.add_row(*["" if pd.isna(v) else str(v) for v in rec[:5]])
    console.print(rows)


def _print_summary(result, out_dir: Path, lang: str) -> None:
    kab = result.kabupaten.iloc[0]
    loc = result.location_summary()
    en = lang == "en"
    out.print(("Results" if en else "Hasil") + f": {kab['nama_kab']}")
    out.print(
        f"  {'families' if en else 'keluarga'}: {int(kab['n_keluarga']):,}, "
        f"{'persons' if en else 'jiwa'}: {int(kab['n_jiwa']):,}, "
        f"{'extreme-poor persons' if en else 'jiwa miskin ekstrem'}: "
        f"{int(kab['n_jiwa_ekstrem']):,} ({kab['pct_jiwa_ekstrem']:.2f}%)"
    )
    out.print("  " + ", ".join(f"{k}: {v:,}" for k, v in loc.items()))
    if len(result.validation.rejected):
        out.print(
            f"  {'rejected rows' if en else 'baris ditolak'}: "
            f"{len(result.validation.rejected):,} (validation.csv)"
        )
    out.print(
        f"{'Wrote' if en else 'Menulis'} {out_dir}/: "
        + ", ".join(sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(".")))
    )


def _register_subcommands() -> None:
    """Command groups that live in their own modules (storage, service, benchmarks, field)."""
    from geo_service.cli.api import register as register_api
    from geo_service.cli.bench import register as register_bench
    from geo_service.cli.db import register as register_db
    from geo_service.cli.uji_petik import register as register_fieldwork

    for register in (register_db, register_api, register_bench, register_fieldwork):
        register(app)


_register_subcommands()


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
