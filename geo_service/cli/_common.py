"""Helpers every command group shares: consoles, the run options of `analyse` and `batch`,
progress bar, domain errors, desa loading, problem tables and the analysis summary.

Light to import (``geo-service <command> --help`` loads it): the run options come from
:mod:`geo_service.cli._run_options` (light: their defaults without the analysis run), the
analysis run, pandas and the family reader are imported inside the functions that use
them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from geo_service.cli._run_options import (  # noqa: F401 - the commands import them from here
    DEFAULTS,
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
from geo_service.errors import GeoServiceError, InvalidInputError
from geo_service.i18n import fmt_int, fmt_percent, msg, teks
from geo_service.settings import get_settings

console = Console(stderr=True)
out = Console()

OutDirOpt = Annotated[Path, typer.Option("--out", help="Folder keluaran.")]
LangOpt = Annotated[str, typer.Option(help="Bahasa: id atau en.")]


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
    """A domain error ends the command with its message in ``lang`` and exit code 2."""
    try:
        yield
    except GeoServiceError as exc:
        console.print(f"[bold red]{teks(('Gagal', 'Failed'), lang)}:[/] {exc.text(lang)}")
        raise typer.Exit(2) from exc


def _load_desa(boundaries: Path | None, kabupaten: str | None):
    """Desa, desa file and kecamatan file; boundary repairs are printed as warnings."""
    # lazy: CLI start-up time, the analysis run loads pandas, GeoPandas and the database
    from geo_service.services.analysis_run import read_desa

    desa, path, kec, said = read_desa(boundaries, kabupaten, data_dir=get_settings().paths.data_dir)
    _print_warnings(said)
    return desa, path, kec


def _desa_quiet(kabupaten: str | None, boundaries: Path | None):
    """Desa of a boundary file or a kabupaten, repairs not printed (ground checks, periodes)."""
    # lazy: CLI start-up time, the analysis run loads pandas, GeoPandas and the database
    from geo_service.services.analysis_run import read_desa

    return read_desa(boundaries, kabupaten, data_dir=get_settings().paths.data_dir)[0]


def _indicators(path: Path, desa, lang: str, partial: bool = False):
    """Indicators of one family file: the one analysis run without pockets (the run's
    defaults otherwise); rejected rows stop it unless ``partial``."""
    # lazy: CLI start-up time, the analysis run loads pandas, GeoPandas and the database
    from geo_service.io.keluarga import read_keluarga
    from geo_service.services import analysis_run as AR  # lazy: as above

    settings = get_settings()
    inputs = AR.inputs_from_frames(read_keluarga(path), desa, data_dir=settings.paths.data_dir)
    params = AR.RunParams.from_settings(settings, kantong=False, partial=partial)
    try:
        return AR.run_analysis(inputs, params, lang=lang).indicators
    except AR.RowsRejected as exc:
        n = len(exc.validation.rejected)
        raise InvalidInputError(
            f"{path.name}: {fmt_int(n)} baris ditolak; jalankan "
            "`geo-service analyse` untuk laporan lengkap, atau gunakan --partial.",
            f"{path.name}: {n:,} rows rejected; run "
            "`geo-service analyse` for the full report, or use --partial.",
        ) from exc


def _print_warnings(said: list[str], lang: str = "id") -> None:
    for text in said:
        console.print(f"[yellow]{msg('peringatan', lang)}:[/] {text}")


def _print_problems(validation, lang: str, limit: int = 20) -> None:
    import pandas as pd  # lazy: CLI start-up time, pandas only when problems are printed

    counts = Table(title=teks(("Masalah per kode alasan", "Problems by reason code"), lang))
    counts.add_column("kode_alasan")
    counts.add_column("jumlah", justify="right")
    for code, n in validation.counts().items():
        counts.add_row(code, fmt_int(n, lang))
    console.print(counts)
    rows = Table(
        title=teks(("Contoh masalah", "Example problems"), lang)
        + f" ({min(limit, len(validation.problems))}/{len(validation.problems)})"
    )
    for col in ["baris", "id_keluarga", "kolom", "nilai", "kode_alasan"]:
        rows.add_column(col)
    for rec in validation.problems.head(limit).itertuples(index=False):
        rows.add_row(*["" if pd.isna(v) else str(v) for v in rec[:5]])
    console.print(rows)


def _print_summary(result, out_dir: Path, lang: str) -> None:
    """Kabupaten totals, location statuses and the files written (``result``: indicators)."""
    kab = result.kabupaten.iloc[0]
    loc = result.location_summary()
    out.print(f"{msg('hasil', lang)}: {kab['nama_kab']}")
    out.print(
        msg(
            "ringkasan_kabupaten",
            lang,
            keluarga=fmt_int(kab["n_keluarga"], lang),
            jiwa=fmt_int(kab["n_jiwa"], lang),
            ekstrem=fmt_int(kab["n_jiwa_ekstrem"], lang),
            pct=fmt_percent(kab["pct_jiwa_ekstrem"], lang, 2),
        )
    )
    out.print("  " + ", ".join(f"{k}: {fmt_int(v, lang)}" for k, v in loc.items()))
    if len(result.validation.rejected):
        out.print(msg("baris_ditolak", lang, n=fmt_int(len(result.validation.rejected), lang)))
    out.print(
        msg("menulis", lang, what=f"{out_dir}/:")
        + " "
        + ", ".join(sorted(p.name for p in out_dir.iterdir() if not p.name.startswith(".")))
    )
