"""CLI for the database: ``geo-service db upgrade``, ``geo-service import batas|keluarga``,
``geo-service runs list``. Registered on the main app by :func:`register`.

A thin layer over :mod:`geo_service.db` and :mod:`geo_service.services.imports`, both
imported when a command runs (``db|import|runs ... --help`` load neither: CLI start-up time).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli._common import _domain_errors, _progress, console, out
from geo_service.errors import GeoServiceError
from geo_service.i18n import fmt_int, fmt_number, fmt_percent, msg, teks
from geo_service.settings import get_settings

db_app = typer.Typer(help="Basis data: migrasi skema.", no_args_is_help=True)
import_app = typer.Typer(
    help="Impor batas wilayah dan data keluarga ke basis data.", no_args_is_help=True
)
runs_app = typer.Typer(help="Analisis yang tersimpan di basis data.", no_args_is_help=True)

LangOpt = Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")]


def register(app: typer.Typer) -> None:
    """Add the ``db``, ``import`` and ``runs`` command groups to ``app``."""
    # Old verb kept hidden so existing scripts keep working (issue 10: one language).
    import_app.command("boundaries", hidden=True)(import_boundaries_cmd)
    app.add_typer(db_app, name="db")
    app.add_typer(import_app, name="import")
    app.add_typer(runs_app, name="runs")


def _engine():
    from geo_service.db import make_engine  # lazy: CLI start-up time (SQLAlchemy)

    return make_engine(settings=get_settings())


@contextmanager
def _audited_import(jenis: str, file: Path, periode: str | None = None):
    """One audit row per CLI import attempt (issue 12): done, refused (with the error code)
    or failed; the file's name only, never its content."""
    from geo_service.db import make_engine  # lazy: CLI start-up time (SQLAlchemy)
    from geo_service.db import repo as R  # lazy: as above

    status = "gagal"
    try:
        yield
        status = "selesai"
    except GeoServiceError as exc:
        status = f"ditolak:{exc.code}"
        raise
    finally:
        try:
            engine = make_engine(settings=get_settings())
            try:
                with engine.begin() as conn:
                    R.append_audit(
                        conn,
                        aksi="impor" if status == "selesai" else "impor_ditolak",
                        objek=jenis,
                        aktor="cli",
                        periode=periode,
                        rincian={"status": status, "berkas": Path(file).name},
                    )
            finally:
                engine.dispose()
        except Exception as exc:  # noqa: BLE001 - the import's own outcome is reported
            console.print(f"[yellow]Audit impor tidak tercatat:[/] {exc}")


def _ready_engine():
    from geo_service.db import check_migrated  # lazy: CLI start-up time (SQLAlchemy)

    engine = _engine()
    check_migrated(engine)
    return engine


def _where(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


# --- db -------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Versi tujuan (bawaan: terbaru).")] = "head",
    lang: LangOpt = "id",
) -> None:
    """Buat atau perbarui skema basis data (migrasi Alembic)."""
    from geo_service.db import current_revision, upgrade  # lazy: CLI start-up time
    from geo_service.services.imports import reap_interrupted_imports  # lazy: as above

    with _domain_errors(lang):
        engine = _engine()
        before = current_revision(engine)
        after = upgrade(engine, revision)
        reaped = reap_interrupted_imports(engine)
    if before == after:
        out.print(
            teks(("Basis data sudah di versi", "Database already at"), lang)
            + f" {after}: {_where(engine)}"
        )
    else:
        out.print(
            teks(("Basis data diperbarui", "Database upgraded"), lang)
            + f" {before or '-'} -> {after}: {_where(engine)}"
        )
    if reaped:
        out.print(
            teks(("Impor yang terhenti ditandai gagal", "Interrupted imports marked failed"), lang)
            + f": {reaped}"
        )


@db_app.command("status")
def db_status(lang: LangOpt = "id") -> None:
    """Tampilkan versi skema basis data dan versi yang diharapkan aplikasi."""
    from geo_service.db import current_revision, head_revision  # lazy: CLI start-up time

    with _domain_errors(lang):
        engine = _engine()
        current, head = current_revision(engine), head_revision()
    out.print(
        f"{_where(engine)}: {current or '-'} (head {head})"
        + ("" if current == head else "  -> geo-service db upgrade")
    )
    if current != head:
        raise typer.Exit(1)


# --- import ---------------------------------------------------------------------------


@import_app.command("batas")
def import_boundaries_cmd(
    file: Annotated[
        Path, typer.Argument(help="Batas desa: GeoJSON, GeoPackage atau Shapefile dalam zip.")
    ],
    lang: LangOpt = "id",
) -> None:
    """Impor batas desa (versi batas baru; desa kabupaten dalam berkas diganti)."""
    from geo_service.services.imports import import_boundaries  # lazy: CLI start-up time

    with _domain_errors(lang), _audited_import("batas", file):
        engine = _ready_engine()
        with _progress() as bar:
            bar.add_task(
                teks(("Mengimpor batas wilayah", "Importing boundaries"), lang), total=None
            )
            report = import_boundaries(engine, file, lang=lang)
    out.print(report.text(lang))
    if report.diperbaiki:
        console.print(
            teks(
                ("[yellow]Diperbaiki (make_valid):[/] ", "[yellow]Repaired (make_valid):[/] "), lang
            )
            + ", ".join(report.diperbaiki)
        )


@import_app.command("keluarga")
def import_keluarga_cmd(
    file: Annotated[
        Path,
        typer.Argument(
            help="Data keluarga: .csv/.parquet (kontrak), atau .xlsx/.csv lewat --profil."
        ),
    ],
    periode: Annotated[
        str, typer.Option(help="Periode snapshot, YYYY-MM; semua baris harus sama.")
    ],
    partial: Annotated[
        bool, typer.Option("--partial", help="Simpan baris sah, karantina baris ditolak.")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Ganti snapshot periode ini yang sudah ada.")
    ] = False,
    profil: Annotated[
        str | None,
        typer.Option(
            help="Profil impor (data/profil/NAMA atau .toml), mis. dtsen_nama untuk berkas bernama."
        ),
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Impor satu snapshot data keluarga dalam satu transaksi (semua atau tidak sama sekali)."""
    from geo_service.services.imports import import_keluarga  # lazy: CLI start-up time
    from geo_service.services.profil import import_keluarga_profil  # lazy: as above

    label = teks(("Mengimpor keluarga", "Importing families"), lang)
    try:
        with _domain_errors(lang), _audited_import("keluarga", file, periode):
            engine = _ready_engine()
            with _progress() as bar:
                task = bar.add_task(label, total=None)

                def progress(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                mapping = None
                if profil is not None:  # issue 16: by-name and other sources
                    mapping = import_keluarga_profil(
                        engine,
                        file,
                        profil,
                        settings=get_settings(),
                        periode=periode,
                        partial=partial,
                        replace=replace,
                        lang=lang,
                        on_progress=progress,
                    )
                    report = mapping.laporan
                else:
                    report = import_keluarga(
                        engine,
                        file,
                        periode=periode,
                        partial=partial,
                        replace=replace,
                        lang=lang,
                        on_progress=progress,
                    )
    except typer.Exit:
        _print_failed_report(lang)
        raise
    out.print(report.text(lang))
    if report.kolom_tidak_dikenal:
        console.print(
            teks(
                (
                    "[yellow]Kolom tidak dikenal diabaikan:[/] ",
                    "[yellow]Unknown columns ignored:[/] ",
                ),
                lang,
            )
            + ", ".join(report.kolom_tidak_dikenal)
        )
    if report.n_masalah:
        _print_counts(report.masalah_per_kode, lang)
    if mapping is not None and mapping.pemetaan["masalah_per_kode"]:
        _print_counts(mapping.pemetaan["masalah_per_kode"], lang)
    if mapping is not None and mapping.n_identitas:
        out.print(
            f"{fmt_int(mapping.n_identitas, lang)} "
            + teks(("identitas dienkripsi ke brankas", "identities encrypted"), lang)
        )


def _print_counts(counts: dict[str, int], lang: str) -> None:
    table = Table(title=teks(("Masalah per kode alasan", "Problems by reason code"), lang))
    table.add_column("kode_alasan")
    table.add_column("jumlah", justify="right")
    for code, n in sorted(counts.items()):
        table.add_row(code, fmt_int(n, lang))
    console.print(table)


def _print_failed_report(lang: str) -> None:
    """After a failed family import: the counts and the first rows of its report."""
    exc = sys.exc_info()[1]
    cause = getattr(exc, "__cause__", None)
    report = getattr(cause, "detail", None)
    if report is None or not getattr(report, "n_masalah", 0):
        return
    _print_counts(report.masalah_per_kode, lang)
    console.print(
        teks(
            (
                "Laporan lengkap: geo-service import laporan ",
                "Full report: geo-service import laporan ",
            ),
            lang,
        )
        + f"{report.batch_id} --out laporan.csv"
    )


@import_app.command("laporan")
def import_report_cmd(
    batch_id: Annotated[int, typer.Argument(help="Nomor impor (batch).")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Tulis laporan lengkap ke CSV (UTF-8 BOM).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Baris yang ditampilkan.")] = 20,
    lang: LangOpt = "id",
) -> None:
    """Tampilkan status dan laporan baris (masalah per baris) satu impor."""
    from geo_service.db import make_session_factory  # lazy: CLI start-up time
    from geo_service.db.repo import Scope, batch_problems, get_batch  # lazy: as above
    from geo_service.io.export import write_csv  # lazy: as above

    with _domain_errors(lang):
        engine = _ready_engine()
        with make_session_factory(engine)() as session:
            batch = get_batch(session, batch_id, scope=Scope.all())
            problems = batch_problems(session, batch_id, scope=Scope.all())
    n = {
        k: fmt_int(getattr(batch, k), lang) for k in ("n_baris", "n_sah", "n_ditolak", "n_masalah")
    }
    out.print(
        f"#{batch.id} {batch.jenis} {batch.berkas} ({batch.status}) periode "
        f"{batch.periode or '-'}: "
        + msg(
            "impor_ringkas",
            lang,
            baris=n["n_baris"],
            sah=n["n_sah"],
            ditolak=n["n_ditolak"],
            masalah=n["n_masalah"],
        )
    )
    if batch.alasan:
        out.print(batch.alasan, markup=False)
    if out_file is not None:
        write_csv(problems, out_file)
        out.print(msg("menulis", lang, what=out_file))
    if len(problems):
        table = Table(title=f"{min(limit, len(problems))}/{len(problems)}")
        for col in ["baris", "id_keluarga", "kolom", "nilai", "kode_alasan"]:
            table.add_column(col)
        for rec in problems.head(limit).itertuples(index=False):
            table.add_row(*["" if v is None or v != v else str(v) for v in rec[:5]])
        console.print(table)


# --- runs -----------------------------------------------------------------------------


@runs_app.command("list")
def runs_list(
    kabupaten: Annotated[
        str | None, typer.Option(help="Hanya kabupaten ini (kode, mis. 33.24).")
    ] = None,
    periode: Annotated[str | None, typer.Option(help="Hanya periode ini (YYYY-MM).")] = None,
    limit: Annotated[int, typer.Option(help="Paling banyak sekian analisis.")] = 20,
    lang: LangOpt = "id",
) -> None:
    """Daftar analisis yang tersimpan (terbaru dulu)."""
    from geo_service.db import make_session_factory  # lazy: CLI start-up time
    from geo_service.db.repo import Scope, list_runs  # lazy: as above

    with _domain_errors(lang):
        engine = _ready_engine()
        with make_session_factory(engine)() as session:
            runs = list_runs(
                session, scope=Scope.all(), kode_kab=kabupaten, periode=periode, limit=limit
            )
    if not runs:
        out.print(teks(("Belum ada analisis tersimpan.", "No stored runs."), lang))
        return
    table = Table(title=teks(("Analisis tersimpan", "Stored runs"), lang))
    for col in [
        "id",
        "kabupaten",
        "periode",
        "status",
        "mulai (UTC)",
        "detik",
        "versi",
        "jiwa ekstrem",
        "tabel",
    ]:
        table.add_column(col)
    for r in runs:
        pct = r.ringkasan.get("pct_jiwa_ekstrem")
        n = r.ringkasan.get("n_jiwa_ekstrem")
        table.add_row(
            str(r.id),
            r.kode_kab,
            r.periode,
            r.status,
            r.mulai.strftime("%Y-%m-%d %H:%M"),
            "" if r.detik is None else fmt_number(r.detik, lang, 1),
            r.versi,
            ""
            if n is None
            else f"{fmt_int(n, lang)} ({fmt_percent(pct, lang, 2)})"
            if pct is not None
            else fmt_int(n, lang),
            ", ".join(r.tabel),
        )
    out.print(table)
