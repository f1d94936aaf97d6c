"""The run options of `analyse` and `batch` (one definition, one help text) and their
conversion to the run's parameters.

Their help texts name the run's defaults. Loading the analysis run for them would cost
``geo-service analyse --help`` about 2 s (pandas, GeoPandas, the database layer), so
:data:`DEFAULTS` holds the same values, light to import: the H3 resolution from the settings
(where :class:`~geo_service.services.analysis_run.RunParams` takes it), the others as
written in ``RunParams``. ``tests/cli/test_lazy_cli.py`` checks that every one equals
:data:`~geo_service.services.analysis_run.RUN_DEFAULTS`; the run itself is loaded by
:func:`run_params` only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from geo_service.errors import InvalidInputError
from geo_service.settings import AnalysisSettings, get_settings

if TYPE_CHECKING:
    from geo_service.services.analysis_run import RunParams


class _RunDefaults(NamedTuple):
    """The defaults of :class:`~geo_service.services.analysis_run.RunParams` that the
    options show or use (same names)."""

    h3_resolution: int
    garis_ekstrem: float | None
    seed: int
    alpha: float
    permutations: int
    min_jiwa_kantong: int
    kantong: bool
    partial: bool


#: RUN_DEFAULTS's values for the help texts (checked equal by tests/cli/test_lazy_cli.py).
DEFAULTS = _RunDefaults(
    h3_resolution=AnalysisSettings.model_fields["h3_resolution"].default,
    garis_ekstrem=None,
    seed=7,
    alpha=0.05,
    permutations=999,
    min_jiwa_kantong=100,
    kantong=True,
    partial=False,
)

# Options shared by `analyse` and `batch` (issue 10, D8): one definition, one help text.
# Run options are None for "the run's default" (RUN_DEFAULTS, shown in the help).
D = DEFAULTS
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
    # lazy: CLI start-up time (the analysis run, ~2 s), only a run needs its parameters
    from geo_service.services.analysis_run import RunParams

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
