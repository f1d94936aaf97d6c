"""Import batches: their status, problems and quarantined rows (reading side)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from geo_service.analysis.validate import PROBLEM_COLUMNS
from geo_service.db.models import (
    ImporBatch,
    ImporMasalah,
    Karantina,
)
from geo_service.db.repo.common import Bind, Scope
from geo_service.errors import NotFoundError


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
