"""Citizen reports (laporan warga) in the database: the report store, the reports in a scope,
and the status moves driven by ground checks (queued with a sample, verified by its results).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from geo_service.analysis.laporan_warga import OPEN_STATUSES, CitizenReport
from geo_service.analysis.laporan_warga import reported_families as open_families
from geo_service.db.models import (
    LaporanWarga,
    LaporanWargaFoto,
    UjiPetikHasil,
)
from geo_service.db.repo.common import Bind, Scope, rows_changed
from geo_service.db.repo.uji_petik.sampel import _sample_row

_REPORT_FIELDS = tuple(CitizenReport.__dataclass_fields__)


def _report(row: LaporanWarga) -> CitizenReport:
    return CitizenReport(**{f: getattr(row, f) for f in _REPORT_FIELDS})


def citizen_reports(
    session: Bind, *, scope: Scope, kode_kab: str | None = None, hanya_terbuka: bool = False
) -> list[CitizenReport]:
    """Citizen reports in the scope (household level: for analis/admin), oldest first."""
    stmt = select(LaporanWarga).where(scope.where(LaporanWarga.kode_kab))
    if kode_kab is not None:
        scope.check(kode_kab)
        stmt = stmt.where(LaporanWarga.kode_kab == kode_kab)
    if hanya_terbuka:
        stmt = stmt.where(LaporanWarga.status.in_(OPEN_STATUSES))
    rows = session.execute(stmt.order_by(LaporanWarga.dibuat, LaporanWarga.nomor)).scalars()
    return [_report(r) for r in rows]


def reported_families(session: Bind, kode_kab: str, *, scope: Scope) -> list[str]:
    """Families named by open reports of a kabupaten (flagged ``laporan_warga``)."""
    scope.check(kode_kab)
    ids = session.execute(
        select(LaporanWarga.id_keluarga).where(
            LaporanWarga.kode_kab == kode_kab,
            LaporanWarga.status.in_(OPEN_STATUSES),
            LaporanWarga.id_keluarga.is_not(None),
        )
    ).scalars()
    return sorted({str(i) for i in ids if i is not None})


class DbReportStore:
    """A :class:`~geo_service.services.laporan_warga.ReportStore` over the database: each call runs in a
    transaction of its own (the citizen service is storage-agnostic)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, report: CitizenReport) -> None:
        with self.sessions.begin() as s:
            s.merge(LaporanWarga(**report.to_dict()))

    def get(self, nomor: str) -> CitizenReport | None:
        with self.sessions() as s:
            row = s.get(LaporanWarga, nomor)
            return None if row is None else _report(row)

    def update(self, report: CitizenReport) -> None:
        self.add(report)

    def all(self) -> list[CitizenReport]:
        with self.sessions() as s:
            return citizen_reports(s, scope=Scope.all())

    def save_photo(self, sha256: str, kind: str, data: bytes) -> None:
        with self.sessions.begin() as s:
            if s.get(LaporanWargaFoto, sha256) is None:
                s.add(LaporanWargaFoto(sha256=sha256, jenis=kind, data=data))

    def photo(self, sha256: str) -> tuple[str, bytes] | None:
        with self.sessions() as s:
            row = s.get(LaporanWargaFoto, sha256)
            return None if row is None else (row.jenis, bytes(row.data))

    def reported_families(self) -> list[str]:
        return open_families(self.all())


def mark_reports_queued(
    session: Bind,
    id_keluarga: Iterable[str],
    sampel_kode: str,
    *,
    kode_kab: str,
    scope: Scope,
    now: datetime,
) -> int:
    """Open reports (``diterima``) naming a family of a new sample move to
    ``antre_uji_petik`` with the sample's code; returns how many."""
    scope.check(kode_kab)
    ids = sorted(set(map(str, id_keluarga)))
    n = 0
    for start in range(0, len(ids), 900):
        n += rows_changed(
            session,
            update(LaporanWarga)
            .where(
                LaporanWarga.kode_kab == kode_kab,
                LaporanWarga.status == "diterima",
                LaporanWarga.id_keluarga.in_(ids[start : start + 900]),
            )
            .values(
                status="antre_uji_petik",
                sampel_id=sampel_kode,
                diperbarui=now.isoformat(timespec="seconds"),
            ),
        )
    return n


def close_reports_from_results(
    session: Bind, sampel_id: int, *, scope: Scope, now: datetime
) -> int:
    """Open reports naming a family with a field result in the sample move to
    ``diverifikasi``; returns how many."""
    row = _sample_row(session, sampel_id, scope)
    done = select(UjiPetikHasil.id_keluarga).where(UjiPetikHasil.sampel_id == sampel_id)
    return rows_changed(
        session,
        update(LaporanWarga)
        .where(
            LaporanWarga.kode_kab == row.kode_kab,
            LaporanWarga.status.in_(OPEN_STATUSES),
            LaporanWarga.id_keluarga.in_(done),
        )
        .values(status="diverifikasi", diperbarui=now.isoformat(timespec="seconds")),
    )
