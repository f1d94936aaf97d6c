"""The ``geo-service`` app: builds the typer app and registers every command group.

One module per group: :mod:`.generate`, :mod:`.analyse`, :mod:`.batch`, :mod:`.bench`,
:mod:`.db` (``db``, ``import``, ``runs``), :mod:`.api` (``serve``, ``report``, ``user``),
:mod:`.uji_petik` (``uji-petik``), :mod:`.transisi`, :mod:`.target`, :mod:`.identitas`
(``profil``, ``identitas``, ``opensid``); shared helpers in
:mod:`._common`. English verbs, Bahasa Indonesia domain nouns.

The groups are loaded lazily (:class:`LazyGroup`): ``geo-service --help`` lists the commands
from :data:`COMMANDS` without importing any command module (pandas, GeoPandas, the analysis
and the database layer take seconds to import), and ``geo-service <command> ...`` imports
only the module of that command. ``tests/cli/test_lazy_cli.py`` checks that every listed
help line and every command's own help are those of the modules.
"""

from __future__ import annotations

import importlib
import os
import sys
from difflib import get_close_matches
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

# Every top-level command and group: name -> (module in geo_service.cli that registers it,
# the first paragraph of its help, line breaks included, as `geo-service --help` shows it). In the order shown
# (typer shows single commands before groups).
COMMANDS: dict[str, tuple[str, str]] = {
    "generate": (
        "generate",
        "Buat data keluarga DTSEN sintetis pada poligon desa nyata, terkalibrasi angka BPS.",
    ),
    "analyse": (
        "analyse",
        "Hitung indikator, kantong kemiskinan dan lokasi prioritas; tulis tabel dan peta.",
    ),
    "batch": (
        "batch",
        "Analisis per kabupaten di klaster Dask (sama dengan `analyse`: parameter dan berkas);\n"
        "hasil per kabupaten + ringkasan nasional.",
    ),
    "serve": ("api", "Jalankan layanan web (FastAPI + uvicorn); dokumentasi API di /docs."),
    "report": (
        "api",
        "Buat paket rapat TKPK: PDF (peta statis, prioritas, target OPD, cakupan, metode) dan "
        "XLSX.",
    ),
    "bench": (
        "bench",
        "Bandingkan join + H3 + agregat dengan alat lain (waktu, keluarga/detik, memori puncak).",
    ),
    "transisi": (
        "transisi",
        "Bandingkan beberapa periode: matriks transisi desil, graduasi per desa, tren, kelas "
        "kantong.",
    ),
    "target": (
        "target",
        "Capaian target kabupaten: nilai sekarang, target, laju yang diperlukan dan teramati.",
    ),
    "db": ("db", "Basis data: migrasi skema."),
    "import": ("db", "Impor batas wilayah dan data keluarga ke basis data."),
    "runs": ("db", "Analisis yang tersimpan di basis data."),
    "user": ("api", "Pengguna layanan web: buat pengguna dan kunci API."),
    "uji-petik": ("uji_petik", "Uji petik (pemeriksaan lapangan) data keluarga DTSEN."),
    "profil": ("identitas", "Profil impor: cara kolom sebuah berkas dipetakan ke kontrak."),
    "identitas": (
        "identitas",
        "Identitas keluarga (UU PDP): kunci, daftar bernama, penghapusan, retensi.",
    ),
    "opensid": (
        "identitas",
        "Pertukaran daftar uji petik dengan OpenSID (NIK/KK, dusun/RT/RW, kode 10 angka).",
    ),
}

_LOADED: dict[str, TyperGroup] = {}  # module name -> its commands, built once per process


def module_commands(module: str) -> TyperGroup:
    """The commands that ``geo_service.cli.<module>`` registers, as a typer group."""
    group = _LOADED.get(module)
    if group is None:
        sub = typer.Typer()
        importlib.import_module(f"geo_service.cli.{module}").register(sub)
        group = _LOADED[module] = typer.main.get_group(sub)
    return group


class LazyGroup(TyperGroup):
    """The root group: commands from :data:`COMMANDS`, each module imported when one of its
    commands runs (or shows its own help); the root help lists them without importing."""

    _listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*COMMANDS, *(n for n in self.commands if n not in COMMANDS)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, summary = COMMANDS[cmd_name]
        if self._listing:  # the root help: name and summary only
            return TyperCommand(cmd_name, help=summary)
        return module_commands(module).get_command(ctx, cmd_name)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:  # "Did you mean", over the lazy names
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if self.suggest_commands and matches:
                names = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {names}?"
            raise


APP_OPTIONS: dict[str, Any] = {
    "help": "geo_service: kantong kemiskinan ekstrem dari data DTSEN (Bahasa Indonesia; --lang en).",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_show_locals": False,
}

app = typer.Typer(cls=LazyGroup, **APP_OPTIONS)


@app.callback()
def _options(
    ctx: typer.Context,
    csv_gaya: str = typer.Option(
        None,
        "--csv-gaya",
        envvar="GEO_CSV_GAYA",
        help="CSV yang ditulis: 'standar' (alias 'intl': pemisah , dan desimal .) atau 'id' "
        "(pemisah ; dan desimal ,, untuk lembar kerja berbahasa Indonesia).",
    ),
) -> None:
    """Options for every command (``geo-service --csv-gaya id analyse ...``)."""
    if csv_gaya:
        # lazy: CLI start-up time (io.export loads GeoPandas), only --csv-gaya needs it
        from geo_service.io.export import CSV_ENV, csv_convention

        try:
            conv = csv_convention(csv_gaya)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--csv-gaya") from exc
        before = os.environ.get(CSV_ENV)
        os.environ[CSV_ENV] = conv  # read by io.export.write_csv, threads included

        def restore() -> None:
            if before is None:
                os.environ.pop(CSV_ENV, None)
            else:
                os.environ[CSV_ENV] = before

        ctx.call_on_close(restore)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
