"""What every import shares: the report, the row-problem spool, the one failure path (roll
back, mark the batch failed in a transaction of its own, raise a domain error).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from geo_service.analysis.validate import PROBLEM_COLUMNS
from geo_service.db.bulk import bulk_insert
from geo_service.db.engine import DatabaseError
from geo_service.db.models import (
    BATCH_GAGAL,
    ImporBatch,
    utcnow,
)
from geo_service.db.repo.imports import release_batch_lock
from geo_service.errors import (
    GeoServiceError,
    InvalidInputError,
)
from geo_service.i18n import teks

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int | None], None]


"""Called as ``on_progress(rows_done, rows_total_or_None)``."""


STATUS_SUDAH_ADA = "sudah_ada"  # returned, never stored: the file was imported before


@dataclass
class ImportReport:
    """What an import did; ``to_dict()`` is what the API returns."""

    batch_id: int | None
    status: str  # selesai | sudah_ada | gagal
    jenis: str
    berkas: str
    sha256: str
    periode: str | None = None
    kabupaten: list[str] = field(default_factory=list)
    n_baris: int = 0
    n_sah: int = 0
    n_ditolak: int = 0
    n_masalah: int = 0
    masalah_per_kode: dict[str, int] = field(default_factory=dict)
    kolom_tidak_dikenal: list[str] = field(default_factory=list)
    lokasi: dict[str, int] = field(default_factory=dict)
    diganti: list[int] = field(default_factory=list)  # batches whose snapshots were replaced
    diperbaiki: list[str] = field(default_factory=list)  # desa repaired by make_valid
    pesan: str = ""
    message: str = ""
    detik: float = 0.0

    def text(self, lang: str = "id") -> str:
        return teks((self.pesan, self.message), lang)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _already(batch: ImporBatch, lang: str) -> ImportReport:
    rep = ImportReport(
        batch_id=batch.id,
        status=STATUS_SUDAH_ADA,
        jenis=batch.jenis,
        berkas=batch.berkas,
        sha256=batch.sha256,
        periode=batch.periode,
        kabupaten=list(batch.kode_kab or []),
        n_baris=batch.n_baris,
        n_sah=batch.n_sah,
        n_ditolak=batch.n_ditolak,
        n_masalah=batch.n_masalah,
        masalah_per_kode=dict((batch.laporan or {}).get("masalah_per_kode", {})),
    )
    rep.pesan = (
        f"Berkas ini sudah pernah diimpor (impor #{batch.id}, "
        f"{batch.n_sah:,} baris); tidak ada yang diubah."
    )
    rep.message = (
        f"This file was imported before (import #{batch.id}, {batch.n_sah:,} rows); "
        "nothing changed."
    )
    return rep


def _record_failure(
    engine: Engine, batch_id: int, reason: str, report: ImportReport, problems: _ProblemSpool | None
) -> None:
    """Mark the batch failed with its reason and report, in a transaction of its own."""
    try:
        with engine.begin() as conn:
            conn.execute(
                update(ImporBatch)
                .where(ImporBatch.id == batch_id)
                .values(
                    status=BATCH_GAGAL,
                    selesai=utcnow(),
                    alasan=reason[:4000],
                    periode=report.periode,
                    kode_kab=report.kabupaten,
                    n_baris=report.n_baris,
                    n_sah=0,
                    n_ditolak=report.n_ditolak,
                    n_masalah=report.n_masalah,
                    laporan=_laporan(report),
                )
            )
            if problems is not None:
                problems.insert_all(conn, batch_id)
    except SQLAlchemyError:
        log.exception(
            "Impor #%s gagal dan statusnya tidak dapat dicatat; "
            "impor berikutnya akan menandainya gagal.",
            batch_id,
        )


def _laporan(report: ImportReport) -> dict[str, Any]:
    return {
        "masalah_per_kode": report.masalah_per_kode,
        "kolom_tidak_dikenal": report.kolom_tidak_dikenal,
        "lokasi": report.lokasi,
        "diganti": report.diganti,
        "diperbaiki": report.diperbaiki,
        "kabupaten": report.kabupaten,
        "detik": round(report.detik, 2),
    }


class _Fail(Exception):
    """A known reason to stop an import: carries the domain error to raise."""

    def __init__(self, error: GeoServiceError) -> None:
        super().__init__(error.pesan)
        self.error = error


class _ProblemSpool:
    """The row report, spooled to disk (a 1M-row bad file must not fill memory)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="geo-service-laporan-")
        self._parts: list[Path] = []
        self.counts: Counter[str] = Counter()
        self.n = 0

    def add(self, problems: pd.DataFrame) -> None:
        if problems.empty:
            return
        self.counts.update(problems["kode_alasan"].tolist())
        self.n += len(problems)
        part = Path(self._dir.name) / f"{len(self._parts):06d}.parquet"
        frame = problems[PROBLEM_COLUMNS].copy()
        for c in ["id_keluarga", "kolom", "nilai", "kode_alasan", "keterangan"]:
            frame[c] = frame[c].astype("string")
        frame["baris"] = frame["baris"].astype("Int64")
        frame.to_parquet(part, index=False)
        self._parts.append(part)

    def insert_all(self, conn: Connection, batch_id: int) -> None:
        for part in self._parts:
            frame = pd.read_parquet(part)
            frame.insert(0, "batch_id", batch_id)
            bulk_insert(conn, "impor_masalah", frame)

    def close(self) -> None:
        self._dir.cleanup()


@contextmanager
def _import_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn


def _wrap(exc: BaseException) -> GeoServiceError:
    """A domain error for any failure during an import (technical text to the log only)."""
    if isinstance(exc, _Fail):
        return exc.error
    if isinstance(exc, GeoServiceError):
        return exc
    log.warning("Impor gagal: %s: %s", type(exc).__name__, str(exc)[:2000])
    if isinstance(exc, DBAPIError | SQLAlchemyError):
        return DatabaseError(
            "Impor gagal karena kesalahan basis data (koneksi terputus atau ditolak); "
            "tidak ada data yang tersimpan.",
            "Import failed on a database error (connection lost or refused); nothing was stored.",
        )
    if isinstance(exc, UnicodeDecodeError):
        return InvalidInputError(
            "Berkas bukan teks UTF-8 (mis. disimpan Excel sebagai ANSI); simpan ulang sebagai "
            "'CSV UTF-8'. Berkas tidak dapat dibaca sampai selesai; tidak ada data yang "
            "tersimpan.",
            "The file is not UTF-8 text (e.g. saved by Excel as ANSI); save it again as "
            "'CSV UTF-8'. The file could not be read to the end; nothing was stored.",
        )
    return InvalidInputError(
        f"Berkas tidak dapat dibaca sampai selesai ({type(exc).__name__}); "
        "tidak ada data yang tersimpan.",
        f"The file could not be read to the end ({type(exc).__name__}); nothing was stored.",
    )


def _fail(
    engine: Engine,
    conn: Connection,
    batch_id: int,
    exc: BaseException,
    report: ImportReport,
    spool,
    t0: float,
):
    """Roll the import back, mark its batch failed (own transaction) and return the domain
    error to raise; the database holds what it held before the import."""
    if conn.in_transaction() and not conn.invalidated:
        try:
            conn.rollback()
        except SQLAlchemyError:
            conn.invalidate()
    error = _wrap(exc)
    report.status = BATCH_GAGAL
    report.detik = time.perf_counter() - t0
    report.pesan, report.message = error.pesan, error.message
    release_batch_lock(conn, batch_id)
    _record_failure(engine, batch_id, error.pesan, report, spool)
    return error
