"""Citizen reports (laporan warga), like Kemensos' Cek Bansos "usul/sanggah".

A citizen or village operator reports a changed condition of a family, objects to a
recipient, or proposes a family that is left out, with a reason, optionally a photo and
coordinates. Each report gets a number (``nomor``) to look up its status later; it enters
the ground-check queue (the family, when named, is flagged ``laporan_warga`` in the next
sample) and shows as overdue (``terlambat``) when still open after ``BATAS_HARI`` days.

Personal data (UU PDP 27/2022): the reporter gets back only the number, the kind of report,
the status and dates, never family data. A NIK (16 digits) is refused wherever it is typed.
Contact details, when given, are kept for officers and never returned by the public lookup.

This module is storage-agnostic: :class:`CitizenReportService` works on any
:class:`ReportStore` (:class:`~geo_service.io.laporan_warga.MemoryReportStore` for tests,
:class:`~geo_service.io.laporan_warga.JsonFileReportStore` for a folder,
:class:`~geo_service.db.repo.laporan_warga.DbReportStore` for the database). The rules are in
:mod:`geo_service.analysis.laporan_warga`; rate limiting in :mod:`geo_service.services.ratelimit`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

import pandas as pd

from geo_service.analysis import schema as S
from geo_service.analysis.laporan_warga import (
    BATAS_HARI,
    JENIS_LAPORAN,
    OPEN_STATUSES,
    STATUS_LAPORAN,
    CitizenReport,
    is_overdue,
    photo_kind,
    public_status,
    queue_frame,
    reported_families,
    validate_report,
)
from geo_service.errors import InvalidInputError, NotFoundError
from geo_service.io.laporan_warga import JsonFileReportStore, MemoryReportStore
from geo_service.services.ratelimit import RateLimiter, RateLimitError

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


class ReportStore(Protocol):
    def add(self, report: CitizenReport) -> None: ...
    def get(self, nomor: str) -> CitizenReport | None: ...
    def update(self, report: CitizenReport) -> None: ...
    def all(self) -> list[CitizenReport]: ...
    def save_photo(self, sha256: str, kind: str, data: bytes) -> None: ...


def new_number(now: datetime, kode_kab: str) -> str:
    """``LW-3324-250602-7K2M9QXA``: kabupaten, date, 40 random bits (Crockford base32)."""
    rand = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"LW-{kode_kab.replace('.', '')}-{now:%y%m%d}-{rand}"


def _caller_hash(key: str) -> str:
    return hashlib.sha256(("geo_service-laporan:" + key).encode()).hexdigest()[:16]


@dataclass
class CitizenReportService:
    """Submit, look up and move reports; no HTTP, no database (any :class:`ReportStore`)."""

    store: ReportStore
    known_desa: Iterable[str] | None = None
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    number: Callable[[datetime, str], str] = new_number

    def submit(
        self, payload: Mapping, *, caller: str, foto: bytes | None = None, lang: str = "id"
    ) -> dict:
        """Store a report; return its public status (with ``nomor``).

        Raises
        ------
        RateLimitError
            Too many reports from ``caller`` (the API answers 429).
        InvalidInputError
            Any problem; ``detail`` lists them all.
        """
        if not self.limiter.allow(caller):
            raise RateLimitError(
                "Terlalu banyak laporan dalam waktu singkat; coba lagi nanti.",
                "Too many reports in a short time; please try again later.",
            )
        clean, problems = validate_report(payload, known_desa=self.known_desa, foto=foto, lang=lang)
        if problems:
            raise InvalidInputError(
                "Laporan belum lengkap atau tidak valid.",
                "The report is incomplete or invalid.",
                detail=problems,
            )
        now = self.clock()
        digest = None
        if foto is not None:
            digest = hashlib.sha256(foto).hexdigest()
            self.store.save_photo(digest, clean["foto_jenis"], foto)
        nomor = self.number(now, clean["kode_kab"])
        while self.store.get(nomor) is not None:  # astronomically rare
            nomor = self.number(now, clean["kode_kab"])
        report = CitizenReport(
            nomor=nomor,
            kode_kab=clean["kode_kab"],
            kode_desa=clean["kode_desa"],
            jenis=clean["jenis"],
            keterangan=clean["keterangan"],
            dibuat=now.isoformat(timespec="seconds"),
            diperbarui=now.isoformat(timespec="seconds"),
            id_keluarga=clean["id_keluarga"],
            lat=clean["lat"],
            lon=clean["lon"],
            foto_sha256=digest,
            foto_jenis=clean["foto_jenis"],
            kontak=clean["kontak"],
            pelapor=_caller_hash(caller),
        )
        self.store.add(report)
        return public_status(report, now, lang)

    def status(self, nomor: str, lang: str = "id") -> dict:
        """The public status of a report (404 when the number is unknown)."""
        report = self.store.get(nomor.strip().upper())
        if report is None:
            raise NotFoundError("Nomor laporan tidak ditemukan.", "Report number not found.")
        return public_status(report, self.clock(), lang)

    def queue(
        self, kode_kab: Iterable[str] | None = None, *, hanya_terbuka: bool = True
    ) -> pd.DataFrame:
        """Reports for officers of the given kabupaten (all when None)."""
        allowed = set(kode_kab) if kode_kab is not None else None
        reports = [
            r
            for r in self.store.all()
            if (allowed is None or r.kode_kab in allowed)
            and (not hanya_terbuka or r.status in OPEN_STATUSES)
        ]
        return queue_frame(reports, self.clock())

    def set_status(
        self, nomor: str, status: str, *, catatan: str | None = None, sampel_id: str | None = None
    ) -> CitizenReport:
        """Move a report on (officers)."""
        if status not in STATUS_LAPORAN:
            raise InvalidInputError(
                f"Status laporan tidak dikenal: {status}", f"Unknown report status: {status}"
            )
        report = self.store.get(nomor)
        if report is None:
            raise NotFoundError("Nomor laporan tidak ditemukan.", "Report number not found.")
        report = replace(
            report,
            status=status,
            diperbarui=self.clock().isoformat(timespec="seconds"),
            catatan_petugas=catatan if catatan is not None else report.catatan_petugas,
            sampel_id=sampel_id or report.sampel_id,
        )
        self.store.update(report)
        return report

    def mark_queued(self, sample_ids: Iterable[str], sampel_id: str) -> int:
        """Reports whose family is in a new sample move to ``antre_uji_petik``."""
        ids = set(sample_ids)
        n = 0
        for r in self.store.all():
            if r.status == "diterima" and r.id_keluarga in ids:
                self.set_status(r.nomor, "antre_uji_petik", sampel_id=sampel_id)
                n += 1
        return n

    def close_from_results(self, hasil: pd.DataFrame) -> int:
        """Reports whose family has a field result move to ``diverifikasi``."""
        done = set(hasil[S.ID].astype(str)) if len(hasil) else set()
        n = 0
        for r in self.store.all():
            if r.status in OPEN_STATUSES and r.id_keluarga in done:
                self.set_status(r.nomor, "diverifikasi")
                n += 1
        return n


# Names callers used from this module before the split (rules, stores, rate limit).
__all__ = [
    "BATAS_HARI",
    "JENIS_LAPORAN",
    "OPEN_STATUSES",
    "STATUS_LAPORAN",
    "CitizenReport",
    "CitizenReportService",
    "JsonFileReportStore",
    "MemoryReportStore",
    "RateLimitError",
    "RateLimiter",
    "ReportStore",
    "is_overdue",
    "new_number",
    "photo_kind",
    "public_status",
    "queue_frame",
    "reported_families",
    "validate_report",
]
