"""The one run of an analysis: parameters, inputs, the run, its files and its stored tables.

Every adapter (``geo-service analyse`` with files or ``--db``, ``POST /analisis``, the Dask
batch, the benchmarks) goes through this module, so the same input and parameters give the
same pockets, priorities and tables wherever a run starts.

- :class:`RunParams` holds every parameter of a run and its ONE set of defaults
  (:data:`RUN_DEFAULTS`; the H3 resolution and the distance limit come from the settings).
- :func:`inputs_from_files`, :func:`inputs_from_db` and :func:`inputs_from_frames` load a
  :class:`RunInputs` (desa, families or their validation, kecamatan outlines, the
  need -> OPD table, provenance).
- :func:`run_analysis` validates, computes the indicators and (unless ``kantong=False``)
  the planning stage, and returns a :class:`RunResult`.
- :func:`write_outputs` writes the files of a run (``desa.geojson`` ... ``run.json``),
  :func:`stored_tables` is the one mapping of a run to the stored tables, and
  :func:`save_run` / :func:`finish_run` store them.

No HTTP, no typer, no printing: progress goes through an ``on_step(name)`` callback.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo_service.analysis import AnalysisParams, compute_indicators, validate_keluarga
from geo_service.analysis.pipeline import IndicatorResult
from geo_service.analysis.planning import (
    PlanningParams,
    PlanningResult,
    compute_planning,
)
from geo_service.analysis.validate import ValidationResult
from geo_service.db import repo as R
from geo_service.errors import InvalidInputError
from geo_service.i18n import fmt_int
from geo_service.io.boundaries import (
    BoundaryRepairWarning,
    boundary_files,
    read_boundaries,
    read_outlines,
)
from geo_service.io.hashing import sha256_file
from geo_service.io.keluarga import read_keluarga
from geo_service.io.reference import opd_programmes_path, read_opd_programmes
from geo_service.services.analysis_outputs import (
    coverage_table,
    run_record,
    write_outputs,
    write_validation_report,
)
from geo_service.settings import AnalysisSettings, Settings
from geo_service.synth import is_generated

OnStep = Callable[[str], None]

__all__ = [  # the files of a run live in analysis_outputs; one import place for adapters
    "RUN_DEFAULTS",
    "RowsRejected",
    "RunInputs",
    "RunParams",
    "RunResult",
    "coverage_table",
    "execute_stored_run",
    "inputs_from_db",
    "inputs_from_files",
    "inputs_from_frames",
    "read_desa",
    "read_programmes",
    "run_analysis",
    "run_record",
    "save_run",
    "sha256_file",
    "start_run",
    "stored_tables",
    "write_outputs",
    "write_validation_report",
]

#: Steps a run reports through ``on_step`` (planning adds finer ones: ``desa_gi``, ...).
MAIN_STEPS = ("validasi", "lokasi", "h3", "agregat", "kantong", "tulis", "peta")


def _setting_default(name: str) -> Any:
    """The default of a field of :class:`~geo_service.settings.AnalysisSettings` (one place)."""
    return AnalysisSettings.model_fields[name].default


@dataclass(frozen=True)
class RunParams:
    """Every parameter of one analysis run, with the one set of defaults.

    Attributes
    ----------
    h3_resolution
        H3 resolution of the family cells (6-10); default from ``GEO_H3_RESOLUTION``.
    max_distance_m
        Location rule: nearest desa accepted within this many metres; default from
        ``GEO_MAX_DISTANCE_M``.
    garis_ekstrem
        Extreme = ``pengeluaran_kapita`` below this line (Rp); None: desil 1.
    seed
        Seed of the Gi* permutations and the rank bootstrap.
    alpha
        False discovery rate (Benjamini-Hochberg) of the hot spots.
    permutations
        First-pass Gi* permutations (small p-values refined up to 9,999).
    min_jiwa_kantong
        Smallest number of extreme-poor persons in a pocket.
    kantong
        False: indicators only, no pockets, priorities, needs or coverage.
    partial
        True: analyse the valid rows when some are rejected; False: a rejected row stops
        the run (:class:`RowsRejected`).
    """

    h3_resolution: int = _setting_default("h3_resolution")
    max_distance_m: float = _setting_default("max_distance_m")
    garis_ekstrem: float | None = None
    seed: int = 7
    alpha: float = 0.05
    permutations: int = 999
    min_jiwa_kantong: int = 100
    kantong: bool = True
    partial: bool = False

    def __post_init__(self) -> None:
        # Both checks raise on bad values, so a run never starts with them.
        self.analysis_params()
        if self.kantong:
            self.planning_params()

    @classmethod
    def from_settings(cls, settings: Settings | AnalysisSettings, **given: Any) -> RunParams:
        """Defaults with the settings' H3 resolution and distance limit, then ``given``
        (``None`` values mean "the default")."""
        s = settings.analysis if isinstance(settings, Settings) else settings
        base = {"h3_resolution": s.h3_resolution, "max_distance_m": s.max_distance_m}
        return cls(**(base | {k: v for k, v in given.items() if v is not None}))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> RunParams:
        """Back from :meth:`record` (other keys, e.g. ``perencanaan``, are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})

    def record(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (``run.json`` and the stored run)."""
        return asdict(self)

    def stored_parameter(self) -> dict[str, Any]:
        """What a stored run records: these parameters plus the planning parameters."""
        rec = self.record()
        if self.kantong:
            rec["perencanaan"] = self.planning_params().record()
        return rec

    def analysis_params(self) -> AnalysisParams:
        return AnalysisParams(
            h3_resolution=self.h3_resolution,
            max_distance_m=self.max_distance_m,
            garis_ekstrem=self.garis_ekstrem,
        )

    def planning_params(self) -> PlanningParams:
        return PlanningParams(
            alpha=self.alpha,
            permutations=self.permutations,
            min_jiwa_ekstrem=self.min_jiwa_kantong,
        )


#: The defaults, for option help texts and request schemas.
RUN_DEFAULTS = RunParams()


class RowsRejected(InvalidInputError):
    """Some family rows were rejected and the run is not partial."""

    def __init__(self, validation: ValidationResult) -> None:
        n, m = len(validation.rejected), len(validation.problems)
        super().__init__(
            f"{fmt_int(n)} baris ditolak ({fmt_int(m)} masalah); tidak ada keluaran ditulis.",
            f"{n:,} rows rejected ({m:,} problems); nothing written.",
        )
        self.validation = validation


@dataclass(frozen=True)
class RunInputs:
    """What one run reads: desa, families (raw rows, or rows validated before), kecamatan
    outlines for the map, the need -> OPD table and the provenance recorded with the run."""

    desa: gpd.GeoDataFrame
    programmes: pd.DataFrame
    raw: pd.DataFrame | None = None
    validation: ValidationResult | None = None
    kecamatan: gpd.GeoDataFrame | None = None
    index: Any = None  # a BoundaryIndex of desa, when one is stored
    sources: dict[str, Any] = field(default_factory=dict)
    kode_kab: str | None = None
    periode: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunResult:
    """One finished run: indicators, planning (None without pockets), parameters."""

    params: RunParams
    indicators: IndicatorResult
    planning: PlanningResult | None
    inputs: RunInputs
    seconds: float
    waktu_utc: str

    @property
    def periode(self) -> str:
        return ", ".join(sorted(self.indicators.keluarga["periode"].unique()))

    @property
    def sintetis(self) -> bool:
        """The families come from the generator (their ids have its form)."""
        fam = self.indicators.keluarga
        return "id_keluarga" in fam.columns and is_generated(fam["id_keluarga"])

    def stored_parameter(self) -> dict[str, Any]:
        """The run's parameters as stored, with ``sintetis: true`` for generated families."""
        return self.params.stored_parameter() | ({"sintetis": True} if self.sintetis else {})


# ------------------------------------------------------------------------------ inputs


def read_programmes(data_dir: Path) -> pd.DataFrame:
    """The need -> OPD/programme table of the data folder (NotFoundError when missing:
    OPD targets are never left out silently)."""
    return read_opd_programmes(opd_programmes_path(data_dir))


def read_desa(
    boundaries: Path | None, kabupaten: str | None, *, data_dir: Path
) -> tuple[gpd.GeoDataFrame, Path, Path | None, list[str]]:
    """Desa from a boundary file (only ``kabupaten``'s when both are given), or the shipped
    boundaries of a kabupaten.

    Returns the checked desa, the desa file, the kecamatan outline file next to it (or
    None) and the repair warnings a person should read.
    """
    kec: Path | None = None
    # A layer of several kabupaten (e.g. the national indonesia_desa.parquet) with a
    # kabupaten code: only that kabupaten is read.
    only = kabupaten if boundaries is not None else None
    if boundaries is None:
        if kabupaten is None:
            raise InvalidInputError(
                "Berikan --boundaries FILE atau --kabupaten KODE.",
                "Give --boundaries FILE or --kabupaten CODE.",
            )
        files = boundary_files(data_dir, kabupaten)
        boundaries, kec = files["desa"], files.get("kecamatan")
    elif boundaries.name.startswith("desa_"):
        sibling = boundaries.with_name(boundaries.name.replace("desa_", "kecamatan_", 1))
        kec = sibling if sibling.exists() else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BoundaryRepairWarning)
        desa = read_boundaries(boundaries, kode_kab=only)
    said = [str(w.message) for w in caught if issubclass(w.category, BoundaryRepairWarning)]
    return desa, boundaries, kec, said


def inputs_from_files(
    keluarga: Path,
    *,
    boundaries: Path | None = None,
    kabupaten: str | None = None,
    data_dir: Path,
) -> RunInputs:
    """Families from a CSV/Parquet file, desa from a boundary file or a kabupaten code
    (the shipped boundaries in ``data_dir``); the need -> OPD table from ``data_dir``."""
    desa, desa_path, kec_path, said = read_desa(boundaries, kabupaten, data_dir=data_dir)
    return RunInputs(
        desa=desa,
        programmes=read_programmes(data_dir),
        raw=read_keluarga(keluarga),
        kecamatan=read_outlines(kec_path),
        sources={
            "keluarga": {"berkas": keluarga.name, "sha256": sha256_file(keluarga)},
            "batas_desa": {"berkas": desa_path.name, "sha256": sha256_file(desa_path)},
        },
        warnings=said,
    )


def inputs_from_db(
    session: R.Bind,
    kode_kab: str,
    periode: str,
    *,
    scope: R.Scope,
    data_dir: Path,
) -> RunInputs:
    """The stored desa and families of a kabupaten and periode (validated on import),
    with the stored boundary index when the run is large enough to use one."""
    inputs = R.analysis_inputs(session, kode_kab, periode, scope=scope)
    fam = inputs.validation.valid
    index = R.boundary_index(
        session,
        kode_kab,
        inputs.desa,
        scope=scope,
        build_from=int((fam["lat"].notna() & fam["lon"].notna()).sum()),
    )
    return RunInputs(
        desa=inputs.desa,
        programmes=read_programmes(data_dir),
        validation=inputs.validation,
        kecamatan=inputs.kecamatan,
        index=index,
        sources={"basis_data": inputs.sumber},
        kode_kab=inputs.kode_kab,
        periode=inputs.periode,
    )


def inputs_from_frames(
    raw: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    sources: dict[str, Any] | None = None,
    kecamatan: gpd.GeoDataFrame | None = None,
    data_dir: Path,
) -> RunInputs:
    """Families and checked desa already in memory (the batch, benchmarks)."""
    return RunInputs(
        desa=desa,
        programmes=read_programmes(data_dir),
        raw=raw,
        kecamatan=kecamatan,
        sources=sources or {},
    )


# --------------------------------------------------------------------------------- run


def run_analysis(
    inputs: RunInputs,
    params: RunParams | None = None,
    *,
    lang: str = "id",
    on_step: OnStep | None = None,
) -> RunResult:
    """Validate, locate, aggregate and (with ``params.kantong``) find pockets, rank desa,
    needs and coverage.

    Raises
    ------
    RowsRejected
        Some rows were rejected and ``params.partial`` is False.
    """
    params = params or RUN_DEFAULTS
    step = on_step or (lambda name: None)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    validation = inputs.validation
    if validation is None:
        step("validasi")
        validation = validate_keluarga(inputs.raw, known_desa=inputs.desa["kode"], lang=lang)
    if not validation.ok and not params.partial:
        raise RowsRejected(validation)
    indicators = compute_indicators(
        None,
        inputs.desa,
        params.analysis_params(),
        validation=validation,
        index=inputs.index,
        lang=lang,
        on_step=step,
    )
    planning = None
    if params.kantong:
        step("kantong")
        planning = compute_planning(
            indicators,
            params.planning_params(),
            seed=params.seed,
            programmes=inputs.programmes,
            lang=lang,
            on_step=step,
        )
    return RunResult(
        params=params,
        indicators=indicators,
        planning=planning,
        inputs=inputs,
        seconds=round(time.perf_counter() - t0, 2),
        waktu_utc=started,
    )


# ------------------------------------------------------------------------ stored tables


def stored_tables(planning: PlanningResult | None) -> dict[str, pd.DataFrame]:
    """The planning tables of a run under their stored names (the API reads these)."""
    if planning is None:
        return {}
    return {
        "kantong": planning.pockets,
        "prioritas": planning.priorities,
        "target_opd": planning.opd_targets,
        "cakupan": planning.coverage_desa,
        "h3_gi": planning.h3,
        "titik_dingin": planning.cold_spots,
    }


def save_run(
    session: R.Bind,
    result: RunResult,
    *,
    kode_kab: str,
    periode: str,
    scope: R.Scope,
    pengguna_id: int | None = None,
) -> int:
    """Store a finished run and its tables in one go; returns the run id."""
    return R.save_run(
        session,
        kode_kab=kode_kab,
        periode=periode,
        result=result.indicators,
        scope=scope,
        extra=stored_tables(result.planning),
        seed=result.params.seed,
        parameter=result.stored_parameter(),
        sumber=result.inputs.sources.get("basis_data", result.inputs.sources),
        pengguna_id=pengguna_id,
    )


def start_run(
    session: R.Bind,
    params: RunParams,
    *,
    kode_kab: str,
    periode: str,
    scope: R.Scope,
    pengguna_id: int | None = None,
) -> int:
    """Record a run as started (``berjalan``) with its parameters; for background runs."""
    return R.start_run(
        session,
        kode_kab=kode_kab,
        periode=periode,
        parameter=params.stored_parameter(),
        scope=scope,
        seed=params.seed,
        pengguna_id=pengguna_id,
    )


def execute_stored_run(
    session: R.Bind, run_id: int, *, scope: R.Scope, data_dir: Path
) -> RunResult:
    """Run a started run with its recorded parameters and store its tables (``selesai``)."""
    run = R.get_run(session, run_id, scope=scope)
    params = RunParams.from_record(run.parameter or {})
    inputs = inputs_from_db(session, run.kode_kab, run.periode, scope=scope, data_dir=data_dir)
    result = run_analysis(inputs, params)
    R.finish_run(
        session,
        run_id,
        result.indicators,
        scope=scope,
        extra=stored_tables(result.planning),
        # The data decide ``sintetis``: known only now, after reading the families.
        parameter=(run.parameter or {}) | ({"sintetis": True} if result.sintetis else {}),
    )
    return result


def with_params(params: RunParams, **changes: Any) -> RunParams:
    """A copy of ``params`` with some fields changed (``None`` values ignored)."""
    return replace(params, **{k: v for k, v in changes.items() if v is not None})
