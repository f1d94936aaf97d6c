"""Import batches: their status, problems and quarantined rows (reading side)."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from geo_service.analysis.validate import PROBLEM_COLUMNS
from geo_service.db.models import (
    BATCH_BERJALAN,
    BATCH_GAGAL,
    BATCH_SELESAI,
    ImporBatch,
    ImporMasalah,
    Karantina,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope
from geo_service.errors import (
    NotFoundError,
)


def _batch_row(session: Bind, batch_id: int, scope: Scope) -> ImporBatch:
    row = session.execute(select(ImporBatch).where(ImporBatch.id == batch_id)).scalar_one_or_none()
    if row is None or not (
        scope.is_all or (row.kode_kab and all(scope.allows(k) for k in row.kode_kab))
    ):
        raise NotFoundError(f"Impor #{batch_id} tidak ditemukan.", f"Import #{batch_id} not found.")
    return row


def list_batches(
    session: Bind,
    *,
    scope: Scope,
    jenis: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """Import batches, newest first: ``id, jenis, berkas, sha256, periode, kode_kab, status,
    sebagian, ganti, mulai, selesai, n_baris, n_sah, n_ditolak, n_masalah, alasan``.

    A limited scope sees the batches whose kabupaten all lie in it.
    """
    stmt = select(ImporBatch).order_by(ImporBatch.id.desc())
    if jenis is not None:
        stmt = stmt.where(ImporBatch.jenis == jenis)
    if status is not None:
        stmt = stmt.where(ImporBatch.status == status)
    cols = [
        "id",
        "jenis",
        "berkas",
        "sha256",
        "periode",
        "kode_kab",
        "status",
        "sebagian",
        "ganti",
        "mulai",
        "selesai",
        "n_baris",
        "n_sah",
        "n_ditolak",
        "n_masalah",
        "alasan",
    ]
    rows = []
    for b in session.execute(stmt).scalars():
        if not (scope.is_all or (b.kode_kab and all(scope.allows(k) for k in b.kode_kab))):
            continue
        rows.append([getattr(b, c) for c in cols])
        if len(rows) >= limit:
            break
    return pd.DataFrame(rows, columns=cols)


def get_batch(session: Bind, batch_id: int, *, scope: Scope) -> ImporBatch:
    """One import batch with its summary report (``laporan``)."""
    return _batch_row(session, batch_id, scope)


def batch_problems(session: Bind, batch_id: int, *, scope: Scope) -> pd.DataFrame:
    """The full row report of an import: ``baris, id_keluarga, kolom, nilai, kode_alasan,
    keterangan`` (the validator's columns)."""
    _batch_row(session, batch_id, scope)
    rows = session.execute(
        select(
            ImporMasalah.baris,
            ImporMasalah.id_keluarga,
            ImporMasalah.kolom,
            ImporMasalah.nilai,
            ImporMasalah.kode_alasan,
            ImporMasalah.keterangan,
        )
        .where(ImporMasalah.batch_id == batch_id)
        .order_by(ImporMasalah.id)
    ).all()
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["baris"] = frame["baris"].astype("Int64")
    return frame


def quarantined_rows(session: Bind, batch_id: int, *, scope: Scope) -> pd.DataFrame:
    """Rows kept in quarantine by a ``--partial`` import: ``baris, id_keluarga, kode_alasan``
    and the row's values as read."""
    _batch_row(session, batch_id, scope)
    rows = session.execute(
        select(Karantina.baris, Karantina.id_keluarga, Karantina.kode_alasan, Karantina.data)
        .where(Karantina.batch_id == batch_id)
        .order_by(Karantina.baris)
    ).all()
    data = pd.DataFrame([r[3] for r in rows])
    head = pd.DataFrame(rows, columns=["baris", "id_keluarga_karantina", "kode_alasan", "_"]).drop(
        columns="_"
    )
    return pd.concat([head, data], axis=1)


log = logging.getLogger(__name__)


_LOCK_NAMESPACE = 7_240_331  # pg advisory lock key space of running import batches


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_interrupted_imports(engine: Engine) -> list[int]:
    """Mark as failed the running batches whose import can no longer finish.

    PostgreSQL: a running import holds an advisory lock keyed by its batch id on its own
    connection; a batch whose lock can be taken is orphaned (process or connection gone).
    SQLite: a batch started on this host by a process that no longer exists is orphaned.
    Returns the ids marked failed.
    """
    reaped: list[int] = []
    with engine.connect() as conn:
        rows = conn.execute(
            select(ImporBatch.id, ImporBatch.pid, ImporBatch.host).where(
                ImporBatch.status == BATCH_BERJALAN
            )
        ).all()
        conn.rollback()
        host = socket.gethostname()
        for batch_id, pid, batch_host in rows:
            if conn.dialect.name == "postgresql":
                got = conn.execute(
                    text("SELECT pg_try_advisory_lock(:ns, :id)"),
                    {"ns": _LOCK_NAMESPACE, "id": batch_id},
                ).scalar()
                if got:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:ns, :id)"),
                        {"ns": _LOCK_NAMESPACE, "id": batch_id},
                    )
                conn.commit()
                orphan = bool(got)
            else:
                orphan = batch_host == host and pid is not None and not _pid_alive(pid)
            if orphan:
                reaped.append(batch_id)
    if reaped:
        with engine.begin() as conn:
            conn.execute(
                update(ImporBatch)
                .where(ImporBatch.id.in_(reaped), ImporBatch.status == BATCH_BERJALAN)
                .values(
                    status=BATCH_GAGAL,
                    selesai=utcnow(),
                    alasan="Proses impor terhenti di tengah jalan (proses atau koneksi mati); "
                    "tidak ada data yang tersimpan.",
                )
            )
        log.warning("Impor terhenti ditandai gagal: %s", reaped)
    return reaped


def find_finished_batch(engine: Engine, jenis: str, sha: str) -> ImporBatch | None:
    with Session(engine) as session:
        return (
            session.execute(
                select(ImporBatch).where(
                    ImporBatch.jenis == jenis,
                    ImporBatch.sha256 == sha,
                    ImporBatch.status == BATCH_SELESAI,
                )
            )
            .scalars()
            .first()
        )


def start_batch(conn: Connection, **values: Any) -> int:
    """Commit a running batch on ``conn``; on PostgreSQL also take its advisory lock."""
    batch_id = conn.execute(
        insert(ImporBatch)
        .values(
            status=BATCH_BERJALAN,
            mulai=utcnow(),
            pid=os.getpid(),
            host=socket.gethostname(),
            kode_kab=[],
            laporan={},
            n_baris=0,
            n_sah=0,
            n_ditolak=0,
            n_masalah=0,
            **values,
        )
        .returning(ImporBatch.id)
    ).scalar_one()
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": _LOCK_NAMESPACE, "id": batch_id}
        )
    conn.commit()
    return int(batch_id)


def release_batch_lock(conn: Connection, batch_id: int) -> None:
    if conn.dialect.name != "postgresql" or conn.invalidated or conn.closed:
        return
    try:
        conn.rollback()
        conn.execute(
            text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": _LOCK_NAMESPACE, "id": batch_id}
        )
        conn.commit()
    except SQLAlchemyError:  # connection gone: the lock went with it
        conn.invalidate()
