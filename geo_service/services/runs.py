"""Stored analysis runs as a caller may see them: lists, the newest finished run, a result
table, import batches. Every call scoped to the caller's kabupaten; only domain errors.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from geo_service.db import models as M
from geo_service.db import repo as R
from geo_service.errors import NotFoundError
from geo_service.services.audit import Caller, scope_of


def list_runs(
    session: Session,
    user: Caller,
    kode_kab: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> list[R.RunInfo]:
    return R.list_runs(session, scope=scope_of(user), kode_kab=kode_kab, limit=limit, offset=offset)


def get_run(session: Session, user: Caller, run_id: int) -> R.RunInfo:
    return R.get_run(session, run_id, scope=scope_of(user))


def finished_run(session: Session, user: Caller, kode_kab: str, periode: str | None) -> R.RunInfo:
    """The newest finished run of a kabupaten (and periode, when given) in the caller's scope."""
    runs = R.list_runs(
        session,
        scope=scope_of(user),
        kode_kab=kode_kab,
        periode=periode,
        status=M.RUN_SELESAI,
        limit=200,
    )
    runs = [r for r in runs if "desa" in r.tabel]
    if not runs:
        sfx_id = f" periode {periode}" if periode else ""
        raise NotFoundError(
            f"Belum ada hasil analisis untuk kabupaten {kode_kab}{sfx_id}. Jalankan analisis "
            "dulu (POST /analisis).",
            f"No analysis results for kabupaten {kode_kab}{sfx_id} yet. Run an analysis "
            "first (POST /analisis).",
        )
    return max(runs, key=lambda r: (r.periode, r.id))


def run_table(session: Session, user: Caller, run: R.RunInfo, nama: str) -> pd.DataFrame:
    """A stored result frame of ``run`` (GeoDataFrame when it has geometry)."""
    if nama in run.tabel:
        return R.load_run_table(session, run.id, nama, scope=scope_of(user))
    raise NotFoundError(
        f"Analisis #{run.id} tidak punya tabel '{nama}'.", f"Run #{run.id} has no table '{nama}'."
    )


def get_batch(session: Session, user: Caller, batch_id: int) -> M.ImporBatch:
    return R.get_batch(session, batch_id, scope=scope_of(user))


def list_batches(session: Session, user: Caller, *, limit: int = 50) -> pd.DataFrame:
    return R.list_batches(session, scope=scope_of(user), limit=limit)


def latest_periode(session: Session, user: Caller, kode_kab: str) -> str:
    """The newest periode with families of a kabupaten (NotFoundError when none)."""
    snaps = R.list_snapshots(session, scope=scope_of(user), kode_kab=kode_kab)
    if snaps.empty:
        raise NotFoundError(
            f"Data keluarga kabupaten {kode_kab} belum diimpor.",
            f"No families of kabupaten {kode_kab} have been imported.",
        )
    return str(snaps["periode"].iloc[0])


def latest_run_or_none(
    session: Session, user: Caller, kode_kab: str, periode: str
) -> R.RunInfo | None:
    try:
        return finished_run(session, user, kode_kab, periode)
    except NotFoundError:
        return None


def table_or_none(session: Session, user: Caller, run: R.RunInfo, nama: str) -> pd.DataFrame | None:
    try:
        return run_table(session, user, run, nama)
    except NotFoundError:
        return None
