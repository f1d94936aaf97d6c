"""CLI for import profiles, identities and OpenSID (issue 16):

- ``geo-service profil check FILE --profil NAME_OR_FILE`` (alias ``periksa``): how a file
  maps to the contract, before anything is written; ``profil list``;
- ``geo-service identitas new-keys | rotate-key | erase | retention | apply-retention |
  assign | field-list``;
- ``geo-service opensid export | import``.

The operator at the command line acts as ``admin`` over every kabupaten (audited as
``cli:<os user>``). Thin layer over :mod:`geo_service.services.profil` and
:mod:`geo_service.services.identitas`, imported when a command runs (``--help`` loads
neither the services nor the database layer: CLI start-up time).
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geo_service.cli._common import _domain_errors, console, out
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int, teks
from geo_service.settings import get_settings

profil_app = typer.Typer(
    help="Profil impor: cara kolom sebuah berkas dipetakan ke kontrak.", no_args_is_help=True
)
identitas_app = typer.Typer(
    help="Identitas keluarga (UU PDP): kunci, daftar bernama, penghapusan, retensi.",
    no_args_is_help=True,
)
opensid_app = typer.Typer(
    help="Pertukaran daftar uji petik dengan OpenSID (NIK/KK, dusun/RT/RW, kode 10 angka).",
    no_args_is_help=True,
)

LangOpt = Annotated[str, typer.Option(help="Bahasa pesan: id atau en.")]
ProfilOpt = Annotated[
    str, typer.Option("--profil", help="Nama profil (data/profil/NAMA.toml) atau jalur .toml.")
]


def register(app: typer.Typer) -> None:
    """Add the ``profil``, ``identitas`` and ``opensid`` command groups to ``app``."""
    profil_app.command("periksa", hidden=True)(profil_check)
    identitas_app.command("hapus", hidden=True)(erase_cmd)
    identitas_app.command("rotasi-kunci", hidden=True)(rotate_key_cmd)
    app.add_typer(profil_app, name="profil")
    app.add_typer(identitas_app, name="identitas")
    app.add_typer(opensid_app, name="opensid")


def _who():
    from geo_service.services.identitas import Pemohon  # lazy: CLI start-up time

    return Pemohon.cli(aktor=f"cli:{getpass.getuser()}")


def _engine():
    from geo_service.db import check_migrated, make_engine  # lazy: CLI start-up time

    engine = make_engine(settings=get_settings())
    check_migrated(engine)
    return engine


# --- profil ---------------------------------------------------------------------------


@profil_app.command("list")
def profil_list() -> None:
    """Profil yang disertakan (data/profil/)."""
    from geo_service.io.profil import available_profiles, load_profil  # lazy: CLI start-up

    for name in available_profiles():
        out.print(f"{name}: {load_profil(name).keterangan}")


@profil_app.command("check")
def profil_check(
    file: Annotated[Path, typer.Argument(help="Berkas sumber (.xlsx, .csv, .parquet).")],
    profil: ProfilOpt = "kontrak",
    periode: Annotated[
        str | None, typer.Option(help="Periode YYYY-MM bila berkas tidak punya kolomnya.")
    ] = None,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="Batas desa untuk nama desa (bawaan: batas di basis data)."),
    ] = None,
    kabupaten: Annotated[
        str | None, typer.Option(help="Kabupaten batas bawaan (mis. 33.24) tanpa basis data.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--out", help="Tulis semua masalah ke CSV (tanpa NIK/KK).")
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Tunjukkan pemetaan kolom, cara desa ditemukan dan masalah per baris; tidak menulis
    apa pun ke basis data."""
    # lazy: CLI start-up time (`profil check --help` without pandas and the services)
    import pandas as pd

    from geo_service.io.export import write_csv
    from geo_service.services.analysis_run import read_desa
    from geo_service.services.profil import check_file, desa_table, desa_table_from_layer

    settings = get_settings()
    with _domain_errors(lang):
        if boundaries is not None or kabupaten is not None:
            layer, *_ = read_desa(boundaries, kabupaten, data_dir=settings.paths.data_dir)
            desa = desa_table_from_layer(layer)
        else:
            desa = desa_table(_engine())
        result = check_file(file, profil, settings=settings, desa=desa, periode=periode, lang=lang)
    summary = result.to_dict()
    table = Table(title=(teks(("Pemetaan kolom", "Column mapping"), lang)) + f" ({result.profil})")
    table.add_column("kontrak / identitas")
    table.add_column(teks(("kolom sumber", "source column"), lang))
    for target, source in summary["kolom"].items():
        table.add_row(target, source)
    console.print(table)
    if summary["tidak_dipakai"]:
        out.print(
            (teks(("Tidak dipakai: ", "Not used: "), lang)) + ", ".join(summary["tidak_dipakai"])
        )
    out.print(
        (teks(("Desa ditemukan dengan: ", "Desa found by: "), lang))
        + ", ".join(f"{k} {fmt_int(v, lang)}" for k, v in summary["cara_desa"].items())
    )
    out.print(
        f"{fmt_int(summary['n_baris'], lang)} {teks(('baris', 'rows'), lang)}: {fmt_int(summary['n_sah'], lang)} "
        f"{teks(('sah', 'valid'), lang)}, {fmt_int(summary['n_ditolak'], lang)} {teks(('ditolak', 'rejected'), lang)}"
    )
    for note in summary["peringatan"]:
        console.print(f"[yellow]{teks(('Peringatan', 'Warning'), lang)}:[/] {note}")
    problems = result.masalah
    if len(problems):
        counts = Table(title=teks(("Masalah per kode alasan", "Problems by reason code"), lang))
        counts.add_column("kode_alasan")
        counts.add_column("jumlah", justify="right")
        for code, n in summary["masalah_per_kode"].items():
            counts.add_row(code, fmt_int(n, lang))
        console.print(counts)
        rows = Table(title=f"{min(20, len(problems))}/{len(problems)}")
        for col in ["baris", "kolom", "nilai", "kode_alasan"]:
            rows.add_column(col)
        for rec in problems.head(20).itertuples(index=False):
            rows.add_row(*["" if pd.isna(v) else str(v) for v in (rec[0], rec[2], rec[3], rec[4])])
        console.print(rows)
    if report is not None:
        write_csv(problems, report)
        out.print((teks(("Menulis ", "Wrote "), lang)) + str(report))


# --- identitas ------------------------------------------------------------------------


@identitas_app.command("new-keys")
def new_keys_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder untuk dua berkas kunci.")],
) -> None:
    """Buat kunci pseudonim dan kunci brankas baru (berkas mode 600; simpan di luar git,
    cadangkan: tanpa kunci pseudonim id_keluarga tidak bisa dibuat ulang)."""
    from geo_service.services.identitas import new_keys  # lazy: CLI start-up time

    out_dir.mkdir(parents=True, exist_ok=True)
    keys = new_keys()
    for name, env in (("pseudonim.key", "GEO_PSEUDONYM_KEY"), ("brankas.key", "GEO_VAULT_KEY")):
        path = out_dir / name
        if path.exists():
            raise typer.BadParameter(f"{path} sudah ada; tidak ditimpa.")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(keys[env] + "\n")
        out.print(f"{env}_FILE={path.resolve()}")


@identitas_app.command("rotate-key")
def rotate_key_cmd(lang: LangOpt = "id") -> None:
    """Enkripsi ulang semua identitas dengan kunci brankas pertama
    (GEO_VAULT_KEY="KUNCI_BARU,KUNCI_LAMA"); setelah itu kunci lama boleh dibuang."""
    from geo_service.services.identitas import rotate_vault_key  # lazy: CLI start-up time

    with _domain_errors(lang):
        n = rotate_vault_key(_engine(), who=_who(), settings=get_settings())
    out.print(
        fmt_int(n, lang)
        + " "
        + (teks(("identitas dienkripsi ulang", "identities re-encrypted"), lang))
    )


@identitas_app.command("erase")
def erase_cmd(
    alasan: Annotated[str, typer.Option(help="Dasar permintaan (dicatat di log audit).")],
    id_keluarga: Annotated[
        list[str] | None, typer.Option("--id-keluarga", help="id_keluarga (boleh berulang).")
    ] = None,
    no_kk: Annotated[
        list[str] | None,
        typer.Option("--no-kk", help="Nomor KK (di-hash dengan kunci, tidak disimpan)."),
    ] = None,
    lang: LangOpt = "id",
) -> None:
    """Hapus identitas keluarga atas permintaan; data pseudonim dan agregat tetap."""
    from geo_service.services.identitas import erase  # lazy: CLI start-up time

    with _domain_errors(lang):
        if not id_keluarga and not no_kk:
            raise InvalidInputError(
                "Sebutkan --id-keluarga atau --no-kk.", "Give --id-keluarga or --no-kk."
            )
        n = erase(
            _engine(),
            who=_who(),
            alasan=alasan,
            settings=get_settings(),
            id_keluarga=id_keluarga or (),
            nomor_kk=no_kk or (),
        )
    out.print(fmt_int(n, lang) + " " + (teks(("identitas dihapus", "identities erased"), lang)))


@identitas_app.command("retention")
def retention_cmd(
    kabupaten: Annotated[str, typer.Option(help="Kode kabupaten, mis. 33.24.")],
    periode: Annotated[str, typer.Option(help="Periode YYYY-MM.")],
    sampai: Annotated[str, typer.Option(help="Simpan identitas periode itu sampai YYYY-MM-DD.")],
    lang: LangOpt = "id",
) -> None:
    """Atur retensi identitas satu periode (bawaan: GEO_IDENTITAS_RETENSI_BULAN)."""
    from geo_service.services.identitas import set_retention  # lazy: CLI start-up time

    with _domain_errors(lang):
        try:
            until = date.fromisoformat(sampai)
        except ValueError as exc:
            raise InvalidInputError(
                "--sampai harus YYYY-MM-DD", "--sampai must be YYYY-MM-DD"
            ) from exc
        set_retention(_engine(), kabupaten, periode, until, who=_who())
    out.print(f"{kabupaten} {periode}: {until.isoformat()}")


@identitas_app.command("apply-retention")
def apply_retention_cmd(lang: LangOpt = "id") -> None:
    """Hapus identitas periode yang masa retensinya lewat (jalankan terjadwal, mis. cron)."""
    from geo_service.services.identitas import apply_retention  # lazy: CLI start-up time

    with _domain_errors(lang):
        done = apply_retention(_engine(), who=_who(), settings=get_settings())
    if done.empty:
        out.print(teks(("Tidak ada yang lewat masa retensi.", "Nothing expired."), lang))
    for rec in done.itertuples(index=False):
        out.print(
            f"{rec.kode_kab} {rec.periode} (s.d. {rec.simpan_sampai}): {fmt_int(rec.n_dihapus, lang)}"
        )


@identitas_app.command("assign")
def assign_cmd(
    pengguna: Annotated[str, typer.Option(help="Nama pengguna berperan pendamping.")],
    sampel: Annotated[int, typer.Option(help="Nomor sampel uji petik.")],
    desa: Annotated[list[str], typer.Option("--desa", help="Kode desa (boleh berulang).")],
    lang: LangOpt = "id",
) -> None:
    """Tugaskan pendamping ke desa sebuah sampel (hanya desa itu yang terlihat namanya)."""
    from geo_service.services.identitas import assign_facilitator  # lazy: CLI start-up time

    with _domain_errors(lang):
        n = assign_facilitator(_engine(), pengguna, sampel, desa, who=_who())
    out.print(f"{pengguna}: +{n} desa")


@identitas_app.command("field-list")
def field_list_cmd(
    sampel: Annotated[int, typer.Option(help="Nomor sampel uji petik.")],
    tujuan: Annotated[str, typer.Option(help="Tujuan membuka identitas (dicatat di audit).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    format: Annotated[str, typer.Option(help="xlsx, pdf, gpkg atau opensid.")] = "xlsx",
    desa: Annotated[str | None, typer.Option(help="Hanya desa ini.")] = None,
    lang: LangOpt = "id",
) -> None:
    """Daftar uji petik bernama (nama, NIK/KK, alamat), satu desa per halaman."""
    from geo_service.services.daftar_nama import export_named_list  # lazy: CLI start-up time

    with _domain_errors(lang):
        path = export_named_list(
            _engine(),
            _who(),
            sampel,
            out_dir=out_dir,
            format=format,
            tujuan=tujuan,
            desa=desa,
            settings=get_settings(),
            lang=lang,
        )
    out.print((teks(("Menulis ", "Wrote "), lang)) + str(path))


# --- OpenSID --------------------------------------------------------------------------


@opensid_app.command("export")
def opensid_export_cmd(
    sampel: Annotated[int, typer.Option(help="Nomor sampel uji petik.")],
    tujuan: Annotated[str, typer.Option(help="Tujuan (dicatat di audit).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    desa: Annotated[str | None, typer.Option(help="Hanya desa ini.")] = None,
    lang: LangOpt = "id",
) -> None:
    """Daftar uji petik untuk operator OpenSID (NIK, no_kk, dusun/RT/RW, kode desa 10 angka)."""
    field_list_cmd(sampel, tujuan, out_dir, "opensid", desa, lang)


@opensid_app.command("import")
def opensid_import_cmd(
    file: Annotated[Path, typer.Argument(help="Hasil dari operator OpenSID (.xlsx/.csv).")],
    sampel: Annotated[int, typer.Option(help="Nomor sampel uji petik.")],
    partial: Annotated[bool, typer.Option("--partial", help="Impor baris sah saja.")] = False,
    lang: LangOpt = "id",
) -> None:
    """Impor hasil kunjungan yang dikembalikan dalam format OpenSID: no_kk/NIK di-hash
    menjadi id_keluarga dan dibuang sebelum apa pun disimpan."""
    from geo_service.services.daftar_nama import import_opensid_results  # lazy: start-up time

    with _domain_errors(lang):
        res = import_opensid_results(
            _engine(), _who(), sampel, file, partial=partial, settings=get_settings(), lang=lang
        )
    out.print(str(res.to_dict()))
    if res.status == "gagal":
        raise typer.Exit(2)
