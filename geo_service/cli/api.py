"""CLI commands of the service layer: ``geo-service serve`` and ``geo-service report``.

Registered on the main app by :func:`register` (see the end of :mod:`geo_service.cli`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from geo_service.i18n import msg
from geo_service.services import runs as run_service
from geo_service.settings import get_settings

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
    import uvicorn

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
    from geo_service.errors import GeoServiceError
    from geo_service.services.report import write_report_pdf, write_report_xlsx

    try:
        data = (
            _report_from_files(hasil, kabupaten, publik, periode)
            if hasil is not None
            else _report_from_db(kabupaten, periode, publik)
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


def _report_from_db(kabupaten: str, periode: str | None, publik: bool):
    from geo_service.api import pages
    from geo_service.api.security import Principal
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import check_migrated

    engine = make_engine(settings=get_settings())
    try:
        check_migrated(engine)
        user = Principal(
            user_id=0, username="cli", role="publik" if publik else "admin", kabupaten=(kabupaten,)
        )
        with make_session_factory(engine)() as session:
            run = run_service.finished_run(session, user, kabupaten, periode)
            return pages.report_data(session, user, run, get_settings().api.disclosure_k)
    finally:
        engine.dispose()


def _report_from_files(folder: Path, kabupaten: str, publik: bool, periode: str | None):
    """ReportData from the files of a file-based run (desa.geojson, kabupaten.csv, ...)."""
    import json

    import geopandas as gpd
    import pandas as pd

    from geo_service import __version__
    from geo_service.api.security import Principal
    from geo_service.api.views import IndicatorView, indicator_view
    from geo_service.errors import NotFoundError
    from geo_service.io.report import ReportData
    from geo_service.services.release import build_release

    if not (folder / "desa.geojson").exists():
        raise NotFoundError(
            f"Tidak ada desa.geojson di {folder}; jalankan geo-service analyse.",
            f"No desa.geojson in {folder}; run geo-service analyse.",
        )
    desa = gpd.read_file(folder / "desa.geojson")
    desa = desa[desa["kode_desa"].astype(str).str.startswith(kabupaten)]
    if desa.empty:
        raise NotFoundError(
            f"Kabupaten {kabupaten} tidak ada di {folder}.",
            f"Kabupaten {kabupaten} is not in {folder}.",
        )

    def table(name: str):
        path = folder / name
        if not path.exists():
            return None
        if path.suffix == ".geojson":
            return gpd.read_file(path)
        return pd.read_csv(path, encoding="utf-8-sig", dtype={"kode_desa": str, "kode_kec": str})

    k = get_settings().api.disclosure_k
    user = Principal(0, "cli", "publik" if publik else "admin", (kabupaten,))
    record = json.loads((folder / "run.json").read_text()) if (folder / "run.json").exists() else {}
    tables = {
        n: table(f)
        for n, f in (
            ("prioritas", "priorities.csv"),
            ("target_opd", "opd_targets.csv"),
            ("cakupan", "coverage.csv"),
            ("kantong", "pockets.geojson"),
        )
    }
    if publik:
        # The publik pack reads the released set only (services/release.py).
        rel = build_release(desa, tables, role="publik", k=k)
        view = IndicatorView(rel.desa, rel.kecamatan, rel.kabupaten, k)
        tables = {n: rel.tables.get(n) for n in tables}
    else:
        view = indicator_view(desa, user, k)
    periode = periode or str(record.get("periode") or "-")
    kab = view.kabupaten
    targets = _targets_from_files(kabupaten, periode, view.kabupaten, publik, k)
    return ReportData(
        nama_kab=str(kab["nama_kab"].iloc[0]),
        kode_kab=kabupaten,
        periode=periode if periode != "-" else folder.name,
        desa=view.desa,
        kabupaten=kab.astype(
            {c: "float64" for c in kab.columns if str(kab[c].dtype) in ("Int64", "Float64")}
        ),
        priorities=tables["prioritas"],
        opd_targets=tables["target_opd"],
        coverage=tables["cakupan"],
        pockets=tables["kantong"],
        params={
            **record.get("parameter", {}),
            **({"perencanaan": record["perencanaan"]} if "perencanaan" in record else {}),
        },
        data_date=record.get("waktu_utc", "")[:10] or None,
        version=__version__,
        suppression_k=view.suppressed_k,
        targets=targets,
        sintetis=bool(record.get("sintetis")),
    )


def _targets_from_files(kabupaten: str, periode: str, kab, publik: bool, k: int):
    """Progress towards ``data/targets.csv``: BPS figures plus this result's kabupaten total
    (left out for the public view when it is a small cell)."""
    import pandas as pd

    from geo_service.analysis import target as TG
    from geo_service.analysis.disclosure import is_small
    from geo_service.io.boundaries import read_bps

    data_dir = get_settings().paths.data_dir
    path = data_dir / "targets.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path, dtype={"kode_kab": str}, encoding="utf-8-sig")
    targets = [t for t in TG.targets_from_frame(table) if t.kode_kab == kabupaten]
    if not targets:
        return None
    obs = [TG.observations_from_bps(read_bps(data_dir), kabupaten)]
    row = kab.iloc[0] if len(kab) else None
    if (
        row is not None
        and periode != "-"
        and {"n_jiwa_ekstrem", "pct_jiwa_ekstrem", "n_jiwa"} <= set(kab.columns)
    ):
        n, total = float(row["n_jiwa_ekstrem"]), float(row["n_jiwa"])
        if not (publik and (is_small(n, k) or is_small(total - n, k))):
            obs.append(
                TG.observations_from_runs(
                    {
                        periode: {
                            "kode_kab": kabupaten,
                            "n_jiwa_ekstrem": n,
                            "pct_jiwa_ekstrem": float(row["pct_jiwa_ekstrem"]),
                        }
                    }
                )
            )
    progress = TG.progress_table(targets, pd.concat(obs, ignore_index=True), lang="id")
    return progress if len(progress) else None


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
    from geo_service.api.security import hash_password
    from geo_service.db import repo as R
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import check_migrated
    from geo_service.errors import GeoServiceError

    engine = make_engine(settings=get_settings())
    try:
        check_migrated(engine)
        with make_session_factory(engine)() as session:
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
    except GeoServiceError as exc:
        console.print(f"[bold red]Gagal:[/] {exc.pesan}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    out.print(f"Pengguna {nama} ({peran}, kabupaten {', '.join(kabupaten)}) dibuat.")
    if key:
        out.print(f"Kunci API (simpan sekarang, tidak ditampilkan lagi): {key}")


def _admin_change(action: str, change, done: str) -> None:
    """Run ``change(session)`` on the configured database, commit, audit and report."""
    from geo_service.db import repo as R
    from geo_service.db.engine import make_engine, make_session_factory
    from geo_service.db.migrate import check_migrated
    from geo_service.errors import GeoServiceError

    engine = make_engine(settings=get_settings())
    try:
        check_migrated(engine)
        with make_session_factory(engine)() as session:
            objek = change(session)
            R.append_audit(session, aksi=action, objek=objek, aktor="cli")
            session.commit()
    except GeoServiceError as exc:
        console.print(f"[bold red]Gagal:[/] {exc.pesan}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    out.print(done)


NamaArg = Annotated[str, typer.Argument(help="Nama pengguna.")]


def user_deactivate(nama: NamaArg) -> None:
    """Nonaktifkan pengguna: token, sesi web dan kunci API-nya berhenti pada permintaan
    berikutnya."""
    from geo_service.db.repo.users import set_active

    _admin_change(
        "pengguna_nonaktif",
        lambda s: f"pengguna:{set_active(s, nama, False).id}",
        f"Pengguna {nama} dinonaktifkan; semua token dan sesinya berhenti.",
    )


def user_activate(nama: NamaArg) -> None:
    """Aktifkan kembali pengguna (harus masuk lagi: token lama tetap tidak berlaku)."""
    from geo_service.db.repo.users import set_active

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
    from geo_service.db.repo.users import set_role

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
    from geo_service.db.repo.users import set_scope

    _admin_change(
        "pengguna_cakupan",
        lambda s: f"pengguna:{set_scope(s, nama, kabupaten).id}",
        f"Cakupan {nama} sekarang {', '.join(kabupaten)}; token dan sesi lama berhenti.",
    )


def user_revoke_key(
    awalan: Annotated[str, typer.Argument(help="Awalan kunci (bagian setelah gs_).")],
) -> None:
    """Cabut satu kunci API (berhenti pada permintaan berikutnya)."""
    from geo_service.db.repo.users import revoke_api_key

    def change(session) -> str:
        revoke_api_key(session, awalan)
        return f"kunci:{awalan}"

    _admin_change("kunci_cabut", change, f"Kunci gs_{awalan}_... dicabut.")


def user_revoke_sessions(nama: NamaArg) -> None:
    """Akhiri semua token dan sesi web pengguna (kunci API tetap)."""
    from geo_service.db.repo.users import revoke_sessions

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
