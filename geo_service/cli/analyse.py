"""``geo-service analyse``: one analysis run from files or from the database (``--db``).

A thin adapter over :mod:`geo_service.services.analysis_run`: options -> :class:`RunParams`
(the one set of defaults), inputs, the run, the files, and with ``--db`` the stored run.
The run options are shared with ``geo-service batch`` (:mod:`._common`). The run and the
database layer are imported when the command runs (``analyse --help`` stays light).
"""

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
    _print_problems,
    _print_summary,
    _print_warnings,
    _progress,
    run_params,
)
from geo_service.errors import InvalidInputError
from geo_service.i18n import pick
from geo_service.settings import get_settings

STEP_LABEL = {
    "id": {
        "validasi": "Memeriksa baris keluarga",
        "lokasi": "Menentukan desa tiap keluarga",
        "h3": "Menghitung sel H3",
        "agregat": "Menghitung indikator",
        "kantong": "Mencari kantong kemiskinan (statistik pindai)",
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
        "kantong": "Finding pockets (scan statistic)",
        "desa_gi": "Gi* per village",
        "prioritas": "Ranking priority villages",
        "kebutuhan": "Needs per agency and coverage",
        "tulis": "Writing tables",
        "peta": "Drawing the map",
    },
}


def analyse(
    out_dir: OutDirOpt,
    keluarga: Annotated[
        Path | None, typer.Option(help="Berkas keluarga (.csv atau .parquet).")
    ] = None,
    profil: Annotated[
        str | None,
        typer.Option(help="Profil impor untuk berkas bernama/lain (data/profil/NAMA atau .toml)."),
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
    h3_res: H3Opt = None,
    partial: PartialOpt = D.partial,
    garis_ekstrem: GarisOpt = D.garis_ekstrem,
    seed: SeedOpt = None,
    alpha: AlphaOpt = None,
    permutasi: PermOpt = None,
    min_jiwa_kantong: MinJiwaOpt = None,
    tanpa_kantong: TanpaKantongOpt = not D.kantong,
    lang: LangOpt = "id",
) -> None:
    """Hitung indikator, kantong kemiskinan dan lokasi prioritas; tulis tabel dan peta."""
    # lazy: CLI start-up time (`analyse --help` without the analysis run and the database)
    from geo_service.db import check_migrated, make_engine, make_session_factory, session_scope
    from geo_service.db.repo import Scope
    from geo_service.services import analysis_run as AR
    from geo_service.services.profil import inputs_from_profile

    labels = pick(STEP_LABEL, lang)
    settings = get_settings()
    data_dir = settings.paths.data_dir
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
        engine = None
        if db:
            if not kabupaten or not periode:
                raise InvalidInputError(
                    "Dengan --db berikan --kabupaten dan --periode.",
                    "With --db give --kabupaten and --periode.",
                )
            engine = make_engine(settings=settings)
            check_migrated(engine)
            with engine.begin() as conn:
                inputs = AR.inputs_from_db(
                    conn, kabupaten, periode, scope=Scope.all(), data_dir=data_dir
                )
        else:
            if keluarga is None:
                raise InvalidInputError(
                    "Berikan --keluarga FILE (atau --db).", "Give --keluarga FILE (or --db)."
                )
            if profil is not None:  # issue 16: identities are dropped, never written
                inputs = inputs_from_profile(
                    keluarga,
                    profil,
                    settings=settings,
                    data_dir=data_dir,
                    boundaries=boundaries,
                    kabupaten=kabupaten,
                    periode=periode,
                    lang=lang,
                )
            else:
                inputs = AR.inputs_from_files(
                    keluarga, boundaries=boundaries, kabupaten=kabupaten, data_dir=data_dir
                )
            _print_warnings(inputs.warnings, lang)
        main_steps = [s for s in AR.MAIN_STEPS if params.kantong or s != "kantong"]
        with _progress() as bar:
            task = bar.add_task(labels["validasi"], total=len(main_steps))

            def step(name: str) -> None:
                bar.update(task, description=labels.get(name, name))
                if name in main_steps:
                    bar.advance(task)

            try:
                result = AR.run_analysis(inputs, params, lang=lang, on_step=step)
            except AR.RowsRejected as exc:
                report = AR.write_validation_report(
                    exc.validation, out_dir.with_name(out_dir.name + "-validation.csv")
                )
                _print_problems(exc.validation, lang)
                raise InvalidInputError(
                    f"{exc.pesan} Laporan lengkap: {report}. Perbaiki berkas, atau jalankan "
                    "dengan --partial untuk menganalisis baris sah.",
                    f"{exc.text('en')} Full report: {report}. Fix the file or run with "
                    "--partial to analyse the valid rows.",
                ) from exc
            record = AR.run_record(result)
            if engine is not None:
                # --db: inputs_from_db sets both (--kabupaten and --periode checked above)
                assert inputs.kode_kab is not None and inputs.periode is not None
                with session_scope(make_session_factory(engine)) as session:
                    record["id_analisis"] = AR.save_run(
                        session,
                        result,
                        kode_kab=inputs.kode_kab,
                        periode=inputs.periode,
                        scope=Scope.all(),
                    )
            AR.write_outputs(result, out_dir, lang=lang, record=record, on_step=step)
    _print_summary(result.indicators, out_dir, lang)


def register(app: typer.Typer) -> None:
    """Add ``analyse`` to the main CLI."""
    app.command("analyse")(analyse)
