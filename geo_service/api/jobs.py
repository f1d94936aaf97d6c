"""Analysis runs in the background: one worker thread, each run in its own session."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from geo_service.api.schemas import AnalysisRequest
from geo_service.api.security import Principal
from geo_service.db import repo as R
from geo_service.errors import GeoServiceError

log = logging.getLogger("geo_service.api.jobs")


class RunExecutor:
    """Starts runs on a single background thread (the analysis uses both cores itself)."""

    def __init__(self, sessions: sessionmaker[Session], data_dir=None) -> None:
        self.sessions = sessions
        self.data_dir = data_dir
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analisis")
        self.futures: dict[int, Future] = {}

    def start(self, session: Session, user: Principal, req: AnalysisRequest) -> R.RunInfo:
        """Record a run (status ``berjalan``), queue it and return it."""
        scope = R.Scope.of(user.kabupaten)
        run_id = R.start_run(
            session,
            kode_kab=req.kode_kab,
            periode=req.periode,
            parameter=req.model_dump(),
            scope=scope,
            seed=req.seed,
            pengguna_id=user.user_id,
        )
        session.commit()
        self.futures[run_id] = self.pool.submit(
            execute_run, self.sessions, run_id, scope, self.data_dir
        )
        return R.get_run(session, run_id, scope=scope)

    def wait(self, run_id: int, timeout: float | None = None) -> None:
        """Block until a run started here has ended (tests, CLI)."""
        fut = self.futures.get(run_id)
        if fut is not None:
            fut.result(timeout=timeout)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def execute_run(
    sessions: sessionmaker[Session], run_id: int, scope: R.Scope, data_dir=None
) -> None:
    """Load, analyse and store one run; it ends ``selesai``, or ``gagal`` with the reason."""
    with sessions() as session:
        run = R.get_run(session, run_id, scope=scope)
        try:
            result, extra = analyse(session, run, scope, data_dir)
            R.finish_run(session, run_id, result, scope=scope, extra=extra)
            session.commit()
        except Exception as exc:  # noqa: BLE001 - the run records every failure
            session.rollback()
            log.exception("analysis run %s failed", run_id)
            reason = (
                exc.pesan
                if isinstance(exc, GeoServiceError)
                else (f"Kesalahan tak terduga ({type(exc).__name__}); lihat log server.")
            )
            R.fail_run(session, run_id, reason, scope=scope)
            session.commit()


def analyse(session: Session, run: R.RunInfo, scope: R.Scope, data_dir=None):
    """Indicators (and planning tables when the planning stage is installed) of a run."""
    from geo_service.analysis import AnalysisParams, compute_indicators

    p = run.parameter or {}
    inputs = R.analysis_inputs(session, run.kode_kab, run.periode, scope=scope)
    params = AnalysisParams(
        h3_resolution=int(p.get("h3_resolusi", 8)),
        max_distance_m=float(p.get("jarak_maks_m", 250.0)),
        garis_ekstrem=p.get("garis_ekstrem"),
    )
    fam = inputs.validation.valid
    index = R.boundary_index(
        session,
        run.kode_kab,
        inputs.desa,
        scope=scope,
        build_from=int((fam["lat"].notna() & fam["lon"].notna()).sum()),
    )
    result = compute_indicators(
        None, inputs.desa, params, validation=inputs.validation, index=index
    )
    return result, planning_tables(result, p, seed=run.seed or 0, data_dir=data_dir)


def planning_tables(result, params: dict, *, seed: int, data_dir=None) -> dict[str, pd.DataFrame]:
    """Pockets, priorities, OPD targets and coverage from the planning stage, if installed.

    The need -> OPD table is ``data_dir/opd_programmes.csv`` (no OPD targets without it).
    """
    try:
        from geo_service.analysis.planning import PlanningParams, compute_planning
    except ImportError:
        return {}
    programmes = None
    if data_dir is not None:
        from pathlib import Path

        from geo_service.io.reference import read_opd_programmes

        path = Path(data_dir) / "opd_programmes.csv"
        if path.exists():
            programmes = read_opd_programmes(path)
    kwargs = {"permutations": int(params["permutasi"])} if "permutasi" in params else {}
    planning = compute_planning(result, PlanningParams(**kwargs), seed=seed, programmes=programmes)
    return {
        "kantong": planning.pockets,
        "prioritas": planning.priorities,
        "target_opd": planning.opd_targets,
        "cakupan": planning.coverage_desa,
        "h3_gi": planning.h3,
        "titik_dingin": planning.cold_spots,
    }
