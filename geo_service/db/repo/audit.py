"""The audit trail: who did what, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import insert, select

from geo_service.db.models import (
    AuditLog,
    utcnow,
)
from geo_service.db.repo.common import Bind, Scope, _jsonable


def append_audit(
    session: Bind,
    *,
    aksi: str,
    objek: str | None = None,
    pengguna_id: int | None = None,
    aktor: str | None = None,
    kode_kab: str | None = None,
    periode: str | None = None,
    n_baris: int | None = None,
    rincian: Mapping[str, Any] | None = None,
    alamat_ip: str | None = None,
) -> None:
    """Append one audit row (who, what, when, how many rows). Never pass personal data in
    ``rincian``: ids of runs or batches, filters and formats only."""
    session.execute(
        insert(AuditLog).values(
            waktu=utcnow(),
            pengguna_id=pengguna_id,
            aktor=aktor,
            aksi=aksi,
            objek=objek,
            kode_kab=kode_kab,
            periode=periode,
            n_baris=n_baris,
            rincian=_jsonable(rincian or {}),
            alamat_ip=alamat_ip,
        )
    )


def audit_entries(session: Bind, *, scope: Scope, limit: int = 100) -> pd.DataFrame:
    """The newest audit rows in the scope (rows without kabupaten only for ``Scope.all()``)."""
    stmt = select(
        AuditLog.id,
        AuditLog.waktu,
        AuditLog.pengguna_id,
        AuditLog.aktor,
        AuditLog.aksi,
        AuditLog.objek,
        AuditLog.kode_kab,
        AuditLog.periode,
        AuditLog.n_baris,
        AuditLog.rincian,
    )
    if not scope.is_all:
        stmt = stmt.where(scope.where(AuditLog.kode_kab))
    rows = session.execute(stmt.order_by(AuditLog.id.desc()).limit(limit)).all()
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "waktu",
            "pengguna_id",
            "aktor",
            "aksi",
            "objek",
            "kode_kab",
            "periode",
            "n_baris",
            "rincian",
        ],
    )
