"""CLI commands of the service layer: ``geo-service serve`` and ``geo-service report``.

Registered on the main app by :func:`register` (see the end of :mod:`geo_service.cli`).
The database layer is imported inside the commands that open the database, so
``geo-service serve --help`` and ``geo-service user --help`` start without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from geo_service.errors import GeoServiceError
from geo_service.i18n import msg
from geo_service.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

console = Console(stderr=True)
out = Console()


def serve(
    host: Annotated[str, typer.Option(help="Alamat yang didengarkan.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port HTTP.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Proses uvicorn (1: analisis latar di proses yang "
            "sama; lebih dari 1 perlu GEO_SECRET_KEY)."
        ),
    ] = 1,
) -> None:
    """Jalankan layanan web (FastAPI + uvicorn); dokumentasi API di /docs."""
    import uvicorn  # lazy: CLI start-up time, only `serve` needs the server

    if workers > 1 and not get_settings().api.secret_key.get_secret_value():
        console.print(
            "[bold red]Gagal:[/] lebih dari satu worker perlu GEO_SECRET_KEY "
            "(token harus bisa diperiksa oleh semua proses)."
        )
        raise typer.Exit(2)
    out.print(
        f"Layanan berjalan di http://{host}:{port}/  (dokumentasi: http://{host}:{port}/docs)"
    )
    uvicorn.run(
        "geo_service.api.app:create_app",
        factory=True,
        **uvicorn_options(get_settings().api, host=host, port=port, workers=workers),
    )


def uvicorn_options(api, *, host: str, port: int, workers: int) -> dict:
    """uvicorn options from the API settings: X-Forwarded-* believed only from the trusted
    proxies (none by default: uvicorn would otherwise trust 127.0.0.1, so a local forger
    could bypass the citizen-report limit and falsify audit addresses); idle timeout."""
    trusted = ",".join(api.trusted_proxies)
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": "info",
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or "",
        "timeout_keep_alive": api.keepalive_timeout_s,
        "h11_max_incomplete_event_size": 64 * 1024,  # request line + headers
    }


def report(
    kabupaten: Annotated[str, typer.Option(help="Kode kabupaten, mis. 33.24.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran (PDF dan XLSX).")],
    periode: Annotated[str | None, typer.Option(help="Periode YYYY-MM (kosong: terbaru).")] = None,
    hasil: Annotated[
        Path | None,
        typer.Option(
            help="Folder hasil `geo-service analyse` (tanpa basis data); kosong: analisis terbaru "
            "di basis data."
        ),
    ] = None,
    publik: Annotated[
        bool,
        typer.Option("--publik", help="Tekan sel kecil (k) seperti yang dilihat peran publik."),
    ] = False,
    lang: Annotated[str, typer.Option(help="Bahasa: id atau en.")] = "id",
) -> None:
    """Buat paket rapat TKPK: PDF (peta statis, prioritas, target OPD, cakupan, metode) dan XLSX."""
    # lazy: CLI start-up time (reportlab and matplotlib figures, ~0.8 s), only `report` needs it
    from geo_service.services.report import write_report_pdf, write_report_xlsx

    try:
        data = (
            _report_from_files(hasil, kabupaten, publik, periode, lang)
            if hasil is not None
            else _report_from_db(kabupaten, periode, publik, lang)
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"laporan_{data.kode_kab}_{data.periode}"
        pdf = out_dir / f"{stem}.pdf"
        xlsx = out_dir / f"{stem}.xlsx"
        pdf.write_bytes(write_report_pdf(data, lang=lang))
        xlsx.write_bytes(write_report_xlsx(data, lang=lang))
    except GeoServiceError as exc:
        console.print(f"[bold red]{msg('gagal', lang)}:[/] {exc.text(lang)}")
        raise typer.Exit(2) from exc
    out.print(msg("menulis_dua", lang, a=pdf, b=xlsx))


def _report_from_db(kabupaten: str, periode: str | None, publik: bool, lang: str):
    # lazy: CLI start-up time (the database layer loads GeoPandas), only when it is opened
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import check_migrated  # lazy: as above
    from geo_service.services import runs as run_service  # lazy: as above
    from geo_service.services.report_data import report_data  # lazy: as above
    from geo_service.services.security import Principal  # lazy: as above

    settings = get_settings()
    engine = make_engine(settings=settings)
    try:
        check_migrated(engine)
        user = Principal(
            user_id=0, username="cli", role="publik" if publik else "admin", kabupaten=(kabupaten,)
        )
        with make_session_factory(engine)() as session:
            run = run_service.finished_run(session, user, kabupaten, periode)
            return report_data(
                session, user, run, settings.api.disclosure_k, settings=settings, lang=lang
            )
    finally:
        engine.dispose()


def _report_from_files(folder: Path, kabupaten: str, publik: bool, periode: str | None, lang: str):
    """ReportData from the files of a file-based run (desa.geojson, kabupaten.csv, ...)."""
    from geo_service.services.report_data import report_data_from_files  # lazy: CLI start-up time

    return report_data_from_files(
        folder, kabupaten, publik=publik, periode=periode, settings=get_settings(), lang=lang
    )


user_app = typer.Typer(
    help="Pengguna layanan web: buat pengguna dan kunci API.", no_args_is_help=True
)


@user_app.command("add")
def user_add(
    nama: Annotated[str, typer.Argument(help="Nama pengguna (login).")],
    peran: Annotated[str, typer.Option(help="admin, analis, opd atau publik.")],
    kabupaten: Annotated[
        list[str], typer.Option(help="Kode kabupaten yang boleh dilihat (ulangi untuk beberapa).")
    ],
    password: Annotated[
        str | None,
        typer.Option(help="Kata sandi (untuk login /auth/token); kosong: hanya kunci API."),
    ] = None,
    opd: Annotated[str | None, typer.Option(help="Peran opd: singkatan OPD, mis. Dinsos.")] = None,
    kunci: Annotated[
        bool, typer.Option("--kunci", help="Buat juga kunci API (ditampilkan sekali).")
    ] = False,
) -> None:
    """Buat pengguna dengan peran dan cakupan kabupaten (kata sandi disimpan sebagai hash)."""
    # lazy: CLI start-up time (the database layer loads GeoPandas), only when it is opened
    from geo_service.db import repo as R
    from geo_service.services.security import hash_password  # lazy: as above

    with _admin_session() as session:
        user = R.create_user(
            session,
            nama,
            peran,
            kabupaten=kabupaten,
            kode_opd=opd,
            kata_sandi_hash=hash_password(password) if password else None,
        )
        key = R.create_api_key(session, user.id, f"kunci {nama}") if kunci else None
        session.commit()
    out.print(f"Pengguna {nama} ({peran}, kabupaten {', '.join(kabupaten)}) dibuat.")
    if key:
        out.print(f"Kunci API (simpan sekarang, tidak ditampilkan lagi): {key}")


@contextmanager
def _admin_session() -> Iterator[Session]:
    """A session on the configured (migrated) database; a domain error ends the command
    with its message and exit code 2."""
    # lazy: CLI start-up time (the database layer loads GeoPandas), only when it is opened
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import check_migrated  # lazy: as above

    engine = make_engine(settings=get_settings())
    try:
        check_migrated(engine)
        with make_session_factory(engine)() as session:
            yield session
    except GeoServiceError as exc:
        console.print(f"[bold red]Gagal:[/] {exc.pesan}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


def _admin_change(action: str, change, done: str) -> None:
    """Run ``change(session)`` on the configured database, commit, audit and report."""
    # lazy: CLI start-up time (the database layer loads GeoPandas), only when it is opened
    from geo_service.db import repo as R

    with _admin_session() as session:
        objek = change(session)
        R.append_audit(session, aksi=action, objek=objek, aktor="cli")
        session.commit()
    out.print(done)


NamaArg = Annotated[str, typer.Argument(help="Nama pengguna.")]


def user_deactivate(nama: NamaArg) -> None:
    """Nonaktifkan pengguna: token, sesi web dan kunci API-nya berhenti pada permintaan
    berikutnya."""
    from geo_service.db.repo.users import set_active  # lazy: CLI start-up time (database)

    _admin_change(
        "pengguna_nonaktif",
        lambda s: f"pengguna:{set_active(s, nama, False).id}",
        f"Pengguna {nama} dinonaktifkan; semua token dan sesinya berhenti.",
    )


def user_activate(nama: NamaArg) -> None:
    """Aktifkan kembali pengguna (harus masuk lagi: token lama tetap tidak berlaku)."""
    from geo_service.db.repo.users import set_active  # lazy: CLI start-up time (database)

    _admin_change(
        "pengguna_aktif",
        lambda s: f"pengguna:{set_active(s, nama, True).id}",
        f"Pengguna {nama} diaktifkan kembali.",
    )


def user_role(
    nama: NamaArg,
    peran: Annotated[str, typer.Argument(help="admin, analis, opd atau publik.")],
    opd: Annotated[str | None, typer.Option(help="Peran opd: singkatan OPD.")] = None,
) -> None:
    """Ganti peran pengguna; token dan sesi lamanya berhenti."""
    from geo_service.db.repo.users import set_role  # lazy: CLI start-up time (database)

    _admin_change(
        "pengguna_peran",
        lambda s: f"pengguna:{set_role(s, nama, peran, kode_opd=opd).id}",
        f"Peran {nama} sekarang {peran}; token dan sesi lama berhenti.",
    )


def user_scope(
    nama: NamaArg,
    kabupaten: Annotated[list[str], typer.Option(help="Kode kabupaten (ulangi).")],
) -> None:
    """Ganti cakupan kabupaten pengguna; token dan sesi lamanya berhenti."""
    from geo_service.db.repo.users import set_scope  # lazy: CLI start-up time (database)

    _admin_change(
        "pengguna_cakupan",
        lambda s: f"pengguna:{set_scope(s, nama, kabupaten).id}",
        f"Cakupan {nama} sekarang {', '.join(kabupaten)}; token dan sesi lama berhenti.",
    )


def user_revoke_key(
    awalan: Annotated[str, typer.Argument(help="Awalan kunci (bagian setelah gs_).")],
) -> None:
    """Cabut satu kunci API (berhenti pada permintaan berikutnya)."""
    from geo_service.db.repo.users import revoke_api_key  # lazy: CLI start-up time (database)

    def change(session) -> str:
        revoke_api_key(session, awalan)
        return f"kunci:{awalan}"

    _admin_change("kunci_cabut", change, f"Kunci gs_{awalan}_... dicabut.")


def user_revoke_sessions(nama: NamaArg) -> None:
    """Akhiri semua token dan sesi web pengguna (kunci API tetap)."""
    from geo_service.db.repo.users import revoke_sessions  # lazy: CLI start-up time (database)

    _admin_change(
        "sesi_cabut",
        lambda s: f"pengguna:{revoke_sessions(s, nama).id}",
        f"Semua token dan sesi {nama} diakhiri.",
    )


# English names shown; the Indonesian names of the issue work too (hidden aliases).
for _names, _fn in (
    (("deactivate", "nonaktifkan"), user_deactivate),
    (("activate", "aktifkan"), user_activate),
    (("role", "peran"), user_role),
    (("scope", "cakupan"), user_scope),
    (("revoke-key", "kunci-cabut"), user_revoke_key),
    (("revoke-sessions", "sesi-cabut"), user_revoke_sessions),
):
    user_app.command(_names[0])(_fn)
    user_app.command(_names[1], hidden=True)(_fn)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``report`` and ``user`` to the main CLI."""
    app.command("serve")(serve)
    app.command("report")(report)
    app.add_typer(user_app, name="user")
