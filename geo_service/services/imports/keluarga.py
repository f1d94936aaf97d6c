"""Importing a family snapshot (CSV or Parquet): streamed in chunks, validated, located, stored
in one transaction under the batch's advisory lock.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update

from geo_service.analysis import schema as S
from geo_service.analysis.validate import validate_keluarga
from geo_service.db.bulk import BulkLoader, Encoded, bulk_insert
from geo_service.db.models import (
    BATCH_BERJALAN,
    BATCH_DIGANTI,
    BATCH_SELESAI,
    JENIS_KELUARGA,
    Desa,
    ImporBatch,
    KeluargaSnapshot,
    utcnow,
)
from geo_service.db.repo.imports import (
    find_finished_batch,
    reap_interrupted_imports,
    release_batch_lock,
    start_batch,
)
from geo_service.db.repo.keluarga import claim_snapshots, keluarga_rows
from geo_service.errors import (
    InvalidInputError,
    NotFoundError,
)
from geo_service.i18n import fmt_int
from geo_service.io.hashing import sha256_file
from geo_service.io.import_files import (
    check_file,
    duplicate_ids,
    file_columns,
    read_chunks,
)
from geo_service.services.imports.batch import (
    ImportReport,
    ProgressFn,
    _already,
    _Fail,
    _fail,
    _import_connection,
    _laporan,
    _ProblemSpool,
)
from geo_service.services.imports.keluarga_rows import (
    Locator,
    cross_chunk_duplicates,
    in_key_order,
    quarantine_frame,
)
from geo_service.settings import Settings, get_settings

KELUARGA_COLUMNS = [
    S.ID,
    S.PERIODE,
    S.KODE_DESA,
    "lat",
    "lon",
    "jumlah_art",
    "desil",
    "pengeluaran_kapita",
    *S.FLAG_COLUMNS,
    "baris",
    "kode_desa_lokasi",
    "status_lokasi",
    "jarak_m",
    "lokasi_tidak_sesuai",
    "h3",
]


def import_keluarga(
    engine: Engine,
    path: str | Path,
    *,
    periode: str | None = None,
    partial: bool = False,
    replace: bool = False,
    settings: Settings | None = None,
    chunk_rows: int | None = None,
    lang: str = "id",
    on_progress: ProgressFn | None = None,
    pengguna_id: int | None = None,
    berkas: str | None = None,
    sha256: str | None = None,
    row_offset: int = 0,
    after_load: AfterLoadFn | None = None,
) -> ImportReport:
    """Import a family snapshot file (CSV or Parquet) in one transaction.

    Parameters
    ----------
    engine
        A migrated database (see :func:`geo_service.db.upgrade`).
    path
        The file; read in chunks of ``chunk_rows`` (default: setting ``import_chunk_rows``).
    periode
        The snapshot, ``YYYY-MM``; every valid row must carry it. ``None`` takes it from
        the first valid row.
    partial
        Store the valid rows and quarantine the rejected ones (default: any rejected row
        fails the whole file).
    replace
        Replace an existing snapshot of the same periode and kabupaten.
    on_progress
        Called with (rows done, rows in file) after each chunk.
    berkas
        The file name to record (uploads keep their original name; default ``path.name``).
    sha256, row_offset, after_load
        For imports through a profile (:mod:`geo_service.services.profil`): the hash of the
        source file (not of the converted one), the rows above its header (so ``baris`` is
        the sheet row), and a callback ``(connection, batch_id, periode)`` run inside the
        import's transaction after the rows are stored (the identity vault).

    Returns
    -------
    ImportReport
        ``status="selesai"``, or ``"sudah_ada"`` when the same file was imported before
        (nothing changed).

    Raises
    ------
    InvalidInputError
        Rejected rows (default mode; ``detail`` is the report, the rows are in
        ``impor_masalah``), a missing column, another periode, an unreadable file.
    DuplicateError
        The snapshot exists and ``replace`` is not set.
    DatabaseError
        The database failed during the import (nothing stored).
    """
    settings = settings or get_settings()
    path = Path(path)
    check_file(path, (".csv", ".parquet"), "keluarga")
    chunk_rows = chunk_rows or settings.imports.chunk_rows
    t0 = time.perf_counter()
    sha = sha256 or sha256_file(path)
    name = berkas or path.name
    reap_interrupted_imports(engine)
    found = find_finished_batch(engine, JENIS_KELUARGA, sha)
    if found is not None:
        return _already(found, lang)

    report = ImportReport(
        batch_id=None,
        status=BATCH_BERJALAN,
        jenis=JENIS_KELUARGA,
        berkas=name,
        sha256=sha,
        periode=periode,
    )
    spool = _ProblemSpool()
    with _import_connection(engine) as conn:
        batch_id = start_batch(
            conn,
            jenis=JENIS_KELUARGA,
            berkas=name,
            sha256=sha,
            ukuran_byte=path.stat().st_size,
            periode=periode,
            sebagian=partial,
            ganti=replace,
            pengguna_id=pengguna_id,
        )
        report.batch_id = batch_id
        try:
            job = _KeluargaLoad(
                path=path,
                batch_id=batch_id,
                settings=settings,
                chunk_rows=chunk_rows,
                partial=partial,
                replace=replace,
                lang=lang,
                on_progress=on_progress,
                t0=t0,
                row_offset=row_offset,
                after_load=after_load,
            )
            _load_keluarga(conn, job, report, spool)
        except BaseException as exc:
            error = _fail(engine, conn, batch_id, exc, report, spool, t0)
            spool.close()
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            error.detail = report
            raise error from exc
        release_batch_lock(conn, batch_id)
    spool.close()
    return report


# Called inside the import's transaction after the rows are stored: (conn, batch_id, periode).
AfterLoadFn = Callable[[Connection, int, str], None]


@dataclass(frozen=True)
class _KeluargaLoad:
    """What one family import reads and how (the parameters of :func:`_load_keluarga`)."""

    path: Path
    batch_id: int
    settings: Settings
    chunk_rows: int
    partial: bool
    replace: bool
    lang: str
    on_progress: ProgressFn | None
    t0: float
    row_offset: int = 0  # rows above the header of the source file (import profiles)
    after_load: AfterLoadFn | None = None


def _load_keluarga(
    conn: Connection, job: _KeluargaLoad, report: ImportReport, spool: _ProblemSpool
) -> None:
    _check_columns(job, report, spool)
    dup_ids, n_total = duplicate_ids(job.path, job.chunk_rows)

    conn.rollback()
    with (
        conn.execution_options(sqlite_begin="IMMEDIATE").begin(),
        ThreadPoolExecutor(1, thread_name_prefix="impor-muat") as db,
    ):
        known = set(conn.execute(select(Desa.kode)).scalars())
        if not known:
            raise _Fail(
                NotFoundError(
                    "Belum ada batas desa di basis data. Impor dulu: geo-service import batas "
                    "BERKAS",
                    "No desa boundaries in the database yet. Import them first: "
                    "geo-service import batas FILE",
                )
            )
        load = _Chunks(conn, job, report, spool, db, n_total)
        load.run(known, dup_ids)
        _finish_batch(conn, job, report, spool, load)


class _Chunks:
    """The chunk loop. Every database write of a chunk (snapshot claim, quarantine, bulk
    load) runs on ONE worker thread, in file order, while the main thread reads, validates
    and locates the next chunk (pandas/numpy/Arrow and the database driver release the GIL
    for most of their work). Progress is reported after a chunk's rows are loaded, with the
    worker idle (the fault tests stop the import exactly there)."""

    def __init__(
        self,
        conn: Connection,
        job: _KeluargaLoad,
        report: ImportReport,
        spool: _ProblemSpool,
        db: ThreadPoolExecutor,
        n_total: int,
    ) -> None:
        self.conn, self.job, self.report, self.spool, self.db = conn, job, report, spool, db
        self.n_total = n_total
        settings = job.settings
        self.locator = Locator(
            conn,
            settings.analysis.max_distance_m,
            settings.analysis.h3_resolution,
            n_total,
            run=lambda fn: db.submit(fn).result(),
        )
        # Binary COPY straight into keluarga, each chunk's payload built by array operations
        # (PostGIS) / prepared executemany (SpatiaLite); indexes built once in finish().
        self.loader = BulkLoader(conn, "keluarga", point=("lon", "lat"), expected_rows=n_total)
        self.storing = True
        # SQLite builds the indexes of a large load 2-4x faster from sorted runs (see
        # in_key_order); PostgreSQL's sorts do not care (1M families: the same server CPU
        # for every index build with and without), so its chunks keep the file order.
        self.sorted_chunks = conn.dialect.name == "sqlite"
        self.snapshots: dict[str, dict[str, int]] = {}
        self.replaced: set[int] = set()
        self.lokasi: Counter[str] = Counter()

    def run(self, known: set[str], dup_ids: set[str]) -> None:
        job, report = self.job, self.report
        pending: Future[None] | None = None
        done = offset = 0
        for chunk in read_chunks(job.path, job.chunk_rows):
            first = offset + job.row_offset
            result = validate_keluarga(chunk, known_desa=known, row_offset=first, lang=job.lang)
            valid, problems, rejected = cross_chunk_duplicates(
                chunk, result, dup_ids, first, job.lang
            )
            report.n_baris += len(chunk)
            report.n_ditolak += len(rejected)
            self.spool.add(problems)
            valid = self._check_periode(valid)
            if not job.partial and self.spool.n:
                self.storing = False  # it will fail; keep validating for the full report
            quarantine = (
                quarantine_frame(rejected, problems, job.batch_id)
                if job.partial and len(rejected)
                else None
            )
            rows = encoded = None
            if self.storing and len(valid):
                rows = keluarga_rows(valid, self.locator.locate(valid), job.batch_id)
                if self.sorted_chunks:  # the indexes build faster after the load
                    rows = in_key_order(rows)
                report.n_sah += len(rows)
                self.lokasi.update(_counts(rows["status_lokasi"]))
                encoded = self.loader.encode(rows)  # the COPY payload, on this thread
            offset += len(chunk)
            if pending is not None:
                pending.result()
                self._progress(done)
            pending, done = self.db.submit(self._store, quarantine, rows, encoded), offset
        if pending is not None:
            pending.result()
            self._progress(done)
        if self.storing:
            self.loader.finish()

    def _check_periode(self, valid: pd.DataFrame) -> pd.DataFrame:
        report = self.report
        if report.periode is None and len(valid):
            report.periode = str(valid[S.PERIODE].iloc[0])
        other = valid[S.PERIODE] != report.periode
        if other.any():
            found = ", ".join(sorted(set(valid.loc[other, S.PERIODE]))[:5])
            raise _Fail(
                InvalidInputError(
                    f"Berkas berisi periode {found}, bukan {report.periode}. Satu berkas = satu "
                    "periode; tidak ada yang diimpor.",
                    f"The file holds periode {found}, not {report.periode}. One file = one "
                    "periode; nothing imported.",
                )
            )
        return valid

    def _store(
        self,
        quarantine: pd.DataFrame | None,
        rows: pd.DataFrame | None,
        encoded: pd.DataFrame | Encoded | None = None,
    ) -> None:
        """The database work of one chunk (worker thread)."""
        if quarantine is not None:
            bulk_insert(self.conn, "karantina", quarantine)
        if rows is None:
            return
        claim_snapshots(
            self.conn,
            rows,
            str(self.report.periode),
            self.job.batch_id,
            self.job.replace,
            self.snapshots,
            self.replaced,
            self.job.settings.analysis.h3_resolution,
        )
        self.loader.add(rows if encoded is None else encoded)
        jiwa = rows["jumlah_art"].to_numpy(dtype="int64")
        inverse, codes = pd.factorize(rows["kode_kab"])  # hashing, not a sort of strings
        n = np.bincount(inverse, minlength=len(codes))
        people = np.bincount(inverse, weights=jiwa, minlength=len(codes))
        for k, c, p in zip(codes, n, people, strict=True):
            self.snapshots[str(k)]["n_keluarga"] += int(c)
            self.snapshots[str(k)]["n_jiwa"] += int(p)

    def _progress(self, done: int) -> None:
        if self.job.on_progress is not None:
            self.job.on_progress(done, self.n_total)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(c): int(k) for c, k in values.value_counts(dropna=False).items()}


def _check_columns(job: _KeluargaLoad, report: ImportReport, spool: _ProblemSpool) -> None:
    columns = file_columns(job.path)
    missing = [c for c in S.REQUIRED_COLUMNS if c not in columns]
    report.kolom_tidak_dikenal = [c for c in columns if c not in S.ALL_COLUMNS and c != "baris"]
    if missing:
        spool.add(validate_keluarga(pd.DataFrame(columns=columns), lang=job.lang).problems)
        report.n_masalah, report.masalah_per_kode = spool.n, dict(spool.counts)
        raise _Fail(
            InvalidInputError(
                f"Kolom wajib tidak ada dalam berkas: {', '.join(missing)}. Tidak ada yang diimpor.",
                f"Required columns missing from the file: {', '.join(missing)}. Nothing imported.",
            )
        )


def _finish_batch(
    conn: Connection, job: _KeluargaLoad, report: ImportReport, spool: _ProblemSpool, load: _Chunks
) -> None:
    """Refuse a file with rejected rows (default mode) or no valid row; otherwise settle the
    snapshots, the replaced batches and the batch row, all in the import's transaction."""
    batch_id, target = job.batch_id, report.periode
    report.n_masalah, report.masalah_per_kode = spool.n, dict(sorted(spool.counts.items()))
    report.kabupaten = sorted(load.snapshots)
    report.lokasi = dict(sorted(load.lokasi.items()))
    if not job.partial and spool.n:
        raise _Fail(
            InvalidInputError(
                f"{fmt_int(report.n_ditolak)} dari {fmt_int(report.n_baris)} baris ditolak ({fmt_int(spool.n)} "
                f"masalah); tidak ada yang diimpor. Laporan lengkap: impor #{batch_id}. "
                "Perbaiki berkas, atau impor dengan --partial (baris sah disimpan, baris "
                "ditolak dikarantina).",
                f"{report.n_ditolak:,} of {report.n_baris:,} rows rejected ({spool.n:,} "
                f"problems); nothing imported. Full report: import #{batch_id}. Fix the file "
                "or import with --partial (valid rows stored, rejected rows quarantined).",
            )
        )
    if report.n_sah == 0 or target is None:
        raise _Fail(
            InvalidInputError(
                "Tidak ada baris keluarga yang sah untuk diimpor.",
                "There are no valid family rows to import.",
            )
        )
    for kab, counts in load.snapshots.items():
        conn.execute(
            update(KeluargaSnapshot)
            .where(KeluargaSnapshot.periode == target, KeluargaSnapshot.kode_kab == kab)
            .values(**counts)
        )
    for old in sorted(load.replaced):
        left = conn.execute(
            select(func.count())
            .select_from(KeluargaSnapshot)
            .where(KeluargaSnapshot.batch_id == old)
        ).scalar_one()
        if not left:
            conn.execute(
                update(ImporBatch).where(ImporBatch.id == old).values(status=BATCH_DIGANTI)
            )
    report.diganti = sorted(load.replaced)
    if job.partial:
        spool.insert_all(conn, batch_id)
    if job.after_load is not None:
        job.after_load(conn, batch_id, target)
    report.status = BATCH_SELESAI
    report.detik = time.perf_counter() - job.t0
    report.pesan, report.message = _done_text(report, batch_id, target)
    conn.execute(
        update(ImporBatch)
        .where(ImporBatch.id == batch_id)
        .values(
            status=BATCH_SELESAI,
            selesai=utcnow(),
            periode=target,
            kode_kab=report.kabupaten,
            n_baris=report.n_baris,
            n_sah=report.n_sah,
            n_ditolak=report.n_ditolak,
            n_masalah=report.n_masalah,
            laporan=_laporan(report),
        )
    )


def _done_text(report: ImportReport, batch_id: int, target: str) -> tuple[str, str]:
    kabs = ", ".join(report.kabupaten)
    replaced = ", #".join(map(str, report.diganti))
    pesan = (
        f"Impor #{batch_id} selesai: {fmt_int(report.n_sah)} keluarga periode {target} "
        f"(kabupaten {kabs}) disimpan"
        + (f", {fmt_int(report.n_ditolak)} baris dikarantina" if report.n_ditolak else "")
        + (f", menggantikan impor #{replaced}" if report.diganti else "")
        + "."
    )
    message = (
        f"Import #{batch_id} done: {report.n_sah:,} families of periode "
        f"{target} (kabupaten {kabs}) stored"
        + (f", {report.n_ditolak:,} rows quarantined" if report.n_ditolak else "")
        + (f", replacing import #{replaced}" if report.diganti else "")
        + "."
    )
    return pesan, message
