"""The run options of `analyse` and `batch` (one definition, one help text) and their
conversion to the run's parameters. Their help texts name the run's defaults, so this module
loads the analysis run; :mod:`geo_service.cli._common` hands these names out on first use, so
commands that take no run options start without it."""

from __future__ import annotations

from typing import Annotated

import typer

from geo_service.errors import InvalidInputError
from geo_service.services.analysis_run import RUN_DEFAULTS, RunParams
from geo_service.settings import get_settings

# Options shared by `analyse` and `batch` (issue 10, D8): one definition, one help text.
# Run options are None for "the run's default" (RUN_DEFAULTS, shown in the help).
D = RUN_DEFAULTS
H3Opt = Annotated[
    int | None,
    typer.Option("--h3-res", min=6, max=10, help=f"Resolusi H3 (6-10; bawaan {D.h3_resolution})."),
]
PartialOpt = Annotated[
    bool,
    typer.Option("--partial", help="Analisis baris sah saja; baris ditolak ke validation.csv."),
]
GarisOpt = Annotated[
    float | None,
    typer.Option(help="Ekstrem = pengeluaran_kapita di bawah garis ini (Rp), bukan desil 1."),
]
SeedOpt = Annotated[
    int | None, typer.Option(help=f"Benih permutasi Gi* dan bootstrap peringkat ({D.seed}).")
]
AlphaOpt = Annotated[
    float | None, typer.Option(help=f"Batas FDR (Benjamini-Hochberg) titik panas ({D.alpha}).")
]
PermOpt = Annotated[
    int | None,
    typer.Option(
        help=f"Permutasi Gi* tahap pertama ({D.permutations}; p kecil diperhalus sampai 9.999)."
    ),
]
MinJiwaOpt = Annotated[
    int | None,
    typer.Option(help=f"Minimal jiwa miskin ekstrem dalam satu kantong ({D.min_jiwa_kantong})."),
]
TanpaKantongOpt = Annotated[
    bool, typer.Option("--tanpa-kantong", help="Hanya indikator, tanpa kantong dan prioritas.")
]


def run_params(
    *,
    h3_res: int | None,
    partial: bool,
    garis_ekstrem: float | None,
    seed: int | None,
    alpha: float | None,
    permutasi: int | None,
    min_jiwa_kantong: int | None,
    tanpa_kantong: bool,
) -> RunParams:
    """Command-line options -> the run's parameters (unset options keep the defaults)."""
    try:
        return RunParams.from_settings(
            get_settings(),
            h3_resolution=h3_res,
            garis_ekstrem=garis_ekstrem,
            seed=seed,
            alpha=alpha,
            permutations=permutasi,
            min_jiwa_kantong=min_jiwa_kantong,
            kantong=not tanpa_kantong,
            partial=partial,
        )
    except ValueError as exc:
        raise InvalidInputError(f"Parameter tidak sah: {exc}", f"Invalid parameter: {exc}") from exc
