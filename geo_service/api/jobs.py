"""Analysis runs in the background: one worker thread, each run in its own session.

A thin adapter over :mod:`geo_service.services.analysis_run`: the request becomes the run's
parameters (the one set of defaults), the run is recorded as started, then executed and
stored by the service exactly as ``geo-service analyse --db`` does.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from geo_service.api.schemas import AnalysisRequest
from geo_service.api.security import Principal
from geo_service.db import repo as R
from geo_service.errors import GeoServiceError
from geo_service.services import analysis_run as AR
from geo_service.settings import AnalysisSettings

log = logging.getLogger("geo_service.api.jobs")


class RunExecutor:
    """Starts runs on a single background thread (the analysis uses both cores itself)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        data_dir: Path,
        analysis: AnalysisSettings | None = None,
    ) -> None:
        self.sessions = sessions
        self.data_dir = Path(data_dir)
        self.analysis = analysis or AnalysisSettings()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analisis")
        self.futures: dict[int, Future] = {}

    def start(self, session: Session, user: Principal, req: AnalysisRequest) -> R.RunInfo:
        """Record a run (status ``berjalan``), queue it and return it."""
        scope = R.Scope.of(user.kabupaten)
        run_id = AR.start_run(
            session,
            req.run_params(self.analysis),
            kode_kab=req.kode_kab,
            periode=req.periode,
            scope=scope,
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
    sessions: sessionmaker[Session], run_id: int, scope: R.Scope, data_dir: Path
) -> None:
    """Load, analyse and store one run; it ends ``selesai``, or ``gagal`` with the reason."""
    with sessions() as session:
        try:
            AR.execute_stored_run(session, run_id, scope=scope, data_dir=data_dir)
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
