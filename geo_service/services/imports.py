"""Imports into the database: family snapshots (CSV or Parquet, streamed in chunks) and desa
boundaries (GeoJSON, GeoPackage, zipped Shapefile).

Both follow the same protocol:

1. the file's SHA-256 is computed; a file already imported (a finished batch of the same
   kind and hash) changes nothing and returns the earlier batch (``status="sudah_ada"``);
2. a batch row is committed as ``berjalan`` (running), with the process id and host;
3. everything the import writes happens in ONE transaction that also marks the batch
   ``selesai`` (done). Any failure rolls it back; the batch is then marked ``gagal``
   (failed) with the reason and the row report in a separate transaction. If the process
   or its connection dies so hard that it cannot say so itself, the next import (or
   ``geo-service db upgrade`` / ``runs list``) finds the orphaned batch with
   :func:`reap_interrupted_imports` and marks it failed.

Families: validated chunk by chunk with ``validate_keluarga`` (``row_offset``), duplicate
ids across chunks found by a first pass over the id column only, located with the contract's
rule (``locate_keluarga``, desa of the family's registered kabupaten) and given their H3
cell, then bulk-loaded (COPY on PostgreSQL). By default any rejected row fails the whole
file with the full report; ``partial=True`` stores the valid rows and quarantines the rest.
A snapshot (periode x kabupaten) is never duplicated: a second file for it is refused
unless ``replace=True``, which swaps it in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.analysis.boundaries import check_boundaries
from geo_service.analysis.locate import cells_to_str, h3_cells, locate_keluarga
from geo_service.analysis.validate import PROBLEM_COLUMNS, validate_keluarga
from geo_service.db.bulk import bulk_insert
from geo_service.db.engine import DatabaseError
from geo_service.db.models import (
    BATCH_BERJALAN,
    BATCH_DIGANTI,
    BATCH_GAGAL,
    BATCH_SELESAI,
    JENIS_BATAS,
    JENIS_KELUARGA,
    SRID,
    BatasVersi,
    Desa,
    ImporBatch,
    Kabupaten,
    Kecamatan,
    Keluarga,
    KeluargaSnapshot,
    Provinsi,
    utcnow,
)
from geo_service.db.repo import Scope, desa_of_kabupaten
from geo_service.errors import (
    BoundaryError,
    DuplicateError,
    GeoServiceError,
    InvalidInputError,
    NotFoundError,
)
from geo_service.io.archive import ArchiveLimits, extracted_zip, find_layer
from geo_service.settings import Settings, get_settings

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int | None], None]
"""Called as ``on_progress(rows_done, rows_total_or_None)``."""

STATUS_SUDAH_ADA = "sudah_ada"  # returned, never stored: the file was imported before
_LOCK_NAMESPACE = 7_240_331  # pg advisory lock key space of running import batches
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
        return self.message if lang == "en" else self.pesan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- shared helpers -------------------------------------------------------------------


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def _existing(engine: Engine, jenis: str, sha: str) -> ImporBatch | None:
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


def _start_batch(conn: Connection, **values: Any) -> int:
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


def _release(conn: Connection, batch_id: int) -> None:
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


def _check_file(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    if not path.exists():
        raise NotFoundError(
            f"Berkas {what} tidak ditemukan: {path}", f"{what.capitalize()} file not found: {path}"
        )
    if path.suffix.lower() not in suffixes:
        raise InvalidInputError(
            f"Format berkas {what} tidak dikenal: {path.name} (gunakan {', '.join(suffixes)})",
            f"Unknown {what} file format: {path.name} (use {', '.join(suffixes)})",
        )


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


# --- families -------------------------------------------------------------------------


def _norm_ids(s: pd.Series) -> pd.Series:
    """Ids as the validator compares them (text, stripped, empty = missing)."""
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = s.astype("string").str.strip()
    else:
        s = s.astype("string")
    return s.mask(s == "", pd.NA)


def _columns(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        return list(pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns)
    import pyarrow.parquet as pq

    return list(pq.ParquetFile(path).schema_arrow.names)


def _chunks(
    path: Path, chunk_rows: int, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The family file in chunks of ``chunk_rows`` rows (never the whole file at once)."""
    if path.suffix.lower() == ".csv":
        with pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            chunksize=chunk_rows,
            usecols=columns,
        ) as reader:
            yield from reader
        return
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=columns):
        yield batch.to_pandas()


def _duplicate_ids(path: Path, chunk_rows: int) -> tuple[set[str], int]:
    """Ids occurring more than once anywhere in the file, and the number of rows.

    Pass 1 hashes every id (8 bytes each); only ids whose hash repeats are compared
    exactly in a second pass over the id column.
    """
    hashes = []
    n = 0
    for chunk in _chunks(path, chunk_rows, [S.ID]):
        n += len(chunk)
        ids = _norm_ids(chunk[S.ID]).dropna()
        hashes.append(pd.util.hash_array(ids.to_numpy(dtype=object)))
    if not hashes:
        return set(), n
    all_hashes = np.concatenate(hashes)
    uniq, counts = np.unique(all_hashes, return_counts=True)
    repeated = uniq[counts > 1]
    if not len(repeated):
        return set(), n
    exact: Counter[str] = Counter()
    for chunk in _chunks(path, chunk_rows, [S.ID]):
        ids = _norm_ids(chunk[S.ID]).dropna()
        hit = np.isin(pd.util.hash_array(ids.to_numpy(dtype=object)), repeated)
        exact.update(ids[hit].tolist())
    return {k for k, v in exact.items() if v > 1}, n


def _cross_chunk_duplicates(chunk: pd.DataFrame, result, dup_ids: set[str], offset: int, lang: str):
    """Add ``id_keluarga_ganda`` for ids repeated in other chunks (the validator sees one)."""
    if not dup_ids or S.ID not in chunk.columns:
        return result.valid, result.problems, result.rejected
    ids = _norm_ids(chunk[S.ID])
    baris = pd.Series(np.arange(len(chunk), dtype=np.int64) + offset + 2, index=chunk.index)
    flagged = set(
        result.problems.loc[result.problems["kode_alasan"] == "id_keluarga_ganda", "baris"]
        .dropna()
        .astype(int)
    )
    need = ids.isin(dup_ids).fillna(False).astype(bool) & ~baris.isin(flagged)
    if not need.any():
        return result.valid, result.problems, result.rejected
    extra = pd.DataFrame(
        {
            "baris": baris[need].astype("Int64"),
            S.ID: ids[need],
            "kolom": S.ID,
            "nilai": ids[need].astype("string"),
            "kode_alasan": "id_keluarga_ganda",
            "keterangan": S.reason_text("id_keluarga_ganda", lang),
        }
    )
    problems = pd.concat([result.problems, extra], ignore_index=True)
    problems = problems.sort_values(["baris", "kode_alasan"], kind="stable").reset_index(drop=True)
    already = set(result.rejected["baris"].astype(int))
    new_rows = need & ~baris.isin(already)
    rejected = result.rejected
    if new_rows.any():
        add = chunk.loc[new_rows].copy()
        add.insert(0, "baris", baris[new_rows])
        rejected = pd.concat([rejected, add]).sort_values("baris", kind="stable")
    valid = result.valid[~result.valid["baris"].isin(set(baris[need]))]
    return valid, problems, rejected


def _quarantine_frame(
    rejected: pd.DataFrame, problems: pd.DataFrame, batch_id: int
) -> pd.DataFrame:
    codes = (
        problems.dropna(subset=["baris"])
        .groupby("baris")["kode_alasan"]
        .agg(lambda s: ",".join(sorted(set(s))))
    )
    raw = rejected.drop(columns="baris")
    data = [
        json.dumps(
            {k: _plain(v) for k, v in zip(raw.columns, row, strict=True)}, ensure_ascii=False
        )
        for row in raw.itertuples(index=False, name=None)
    ]
    ids = (
        _norm_ids(rejected[S.ID])
        if S.ID in rejected.columns
        else pd.Series(pd.NA, index=rejected.index, dtype="string")
    )
    return pd.DataFrame(
        {
            "batch_id": batch_id,
            "baris": rejected["baris"].astype("int64").to_numpy(),
            "id_keluarga": ids.to_numpy(dtype=object),
            "kode_alasan": rejected["baris"].map(codes).fillna("").to_numpy(dtype=object),
            "data": data,
        }
    )


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v if isinstance(v, str | int | float | bool) else str(v)


class _Locator:
    """Locates families among the desa of their registered kabupaten (cached per kabupaten)."""

    def __init__(self, conn: Connection, max_distance_m: float, h3_resolution: int) -> None:
        self.conn = conn
        self.max_distance_m = max_distance_m
        self.h3_resolution = h3_resolution
        self._desa: dict[str, gpd.GeoDataFrame] = {}
        self._index: dict[str, Any] = {}

    def _for(self, kode_kab: str, n_geotag: int):
        if kode_kab not in self._desa:
            self._desa[kode_kab] = desa_of_kabupaten(self.conn, kode_kab, scope=Scope.all())
        desa = self._desa[kode_kab]
        from geo_service.analysis import locate as L

        threshold = getattr(L, "FAST_JOIN_MIN_POINTS", None)
        if threshold is not None and n_geotag >= threshold and kode_kab not in self._index:
            from geo_service.analysis.fastjoin import build_boundary_index

            self._index[kode_kab] = build_boundary_index(desa, kode_col="kode", resolution=11)
        return desa, self._index.get(kode_kab)

    def locate(self, fam: pd.DataFrame) -> pd.DataFrame:
        parts = []
        for kode_kab, group in fam.groupby(fam[S.KODE_DESA].str[:5], sort=True):
            n_geotag = int((group["lat"].notna() & group["lon"].notna()).sum())
            desa, index = self._for(str(kode_kab), n_geotag)
            kwargs = {"index": index} if index is not None else {}
            parts.append(locate_keluarga(group, desa, max_distance_m=self.max_distance_m, **kwargs))
        loc = pd.concat(parts).reindex(fam.index)
        cells = h3_cells(fam["lat"].to_numpy(), fam["lon"].to_numpy(), self.h3_resolution)
        hexes = cells_to_str(cells)
        hexes[cells == 0] = None
        loc["h3"] = hexes
        return loc


def _keluarga_rows(fam: pd.DataFrame, loc: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    out = pd.DataFrame(
        {"batch_id": batch_id, "kode_kab": fam[S.KODE_DESA].str[:5]}, index=fam.index
    )
    for c in [
        S.ID,
        S.PERIODE,
        S.KODE_DESA,
        "lat",
        "lon",
        "jumlah_art",
        "desil",
        *S.FLAG_COLUMNS,
        "baris",
    ]:
        out[c] = fam[c]
    out["pengeluaran_kapita"] = fam["pengeluaran_kapita"].round().astype("Int64")
    for c in ["kode_desa_lokasi", "status_lokasi", "jarak_m", "lokasi_tidak_sesuai", "h3"]:
        out[c] = loc[c]
    out["lokasi_tidak_sesuai"] = out["lokasi_tidak_sesuai"].astype(bool)
    return out.reset_index(drop=True)


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
    _check_file(path, (".csv", ".parquet"), "keluarga")
    chunk_rows = chunk_rows or settings.import_chunk_rows
    t0 = time.perf_counter()
    sha = sha256_file(path)
    name = berkas or path.name
    reap_interrupted_imports(engine)
    found = _existing(engine, JENIS_KELUARGA, sha)
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
        batch_id = _start_batch(
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
            _load_keluarga(
                conn,
                path,
                batch_id,
                report,
                spool,
                settings=settings,
                chunk_rows=chunk_rows,
                partial=partial,
                replace=replace,
                lang=lang,
                on_progress=on_progress,
                t0=t0,
            )
        except BaseException as exc:
            error = _fail(engine, conn, batch_id, exc, report, spool, t0)
            spool.close()
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            error.detail = report
            raise error from exc
        _release(conn, batch_id)
    spool.close()
    return report


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
    _release(conn, batch_id)
    _record_failure(engine, batch_id, error.pesan, report, spool)
    return error


def _load_keluarga(
    conn: Connection,
    path: Path,
    batch_id: int,
    report: ImportReport,
    spool: _ProblemSpool,
    *,
    settings: Settings,
    chunk_rows: int,
    partial: bool,
    replace: bool,
    lang: str,
    on_progress: ProgressFn | None,
    t0: float,
) -> None:
    columns = _columns(path)
    missing = [c for c in S.REQUIRED_COLUMNS if c not in columns]
    report.kolom_tidak_dikenal = [c for c in columns if c not in S.ALL_COLUMNS and c != "baris"]
    if missing:
        spool.add(validate_keluarga(pd.DataFrame(columns=columns), lang=lang).problems)
        report.n_masalah, report.masalah_per_kode = spool.n, dict(spool.counts)
        raise _Fail(
            InvalidInputError(
                f"Kolom wajib tidak ada dalam berkas: {', '.join(missing)}. Tidak ada yang diimpor.",
                f"Required columns missing from the file: {', '.join(missing)}. Nothing imported.",
            )
        )
    dup_ids, n_total = _duplicate_ids(path, chunk_rows)

    conn.rollback()
    with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
        known = set(conn.execute(select(Desa.kode)).scalars())
        if not known:
            raise _Fail(
                NotFoundError(
                    "Belum ada batas desa di basis data. Impor dulu: geo-service import boundaries "
                    "BERKAS",
                    "No desa boundaries in the database yet. Import them first: "
                    "geo-service import boundaries FILE",
                )
            )
        locator = _Locator(conn, settings.max_distance_m, settings.h3_resolution)
        target = report.periode
        storing = True
        snapshots: dict[str, dict[str, int]] = {}
        replaced: set[int] = set()
        lokasi: Counter[str] = Counter()
        offset = 0
        for chunk in _chunks(path, chunk_rows):
            result = validate_keluarga(chunk, known_desa=known, row_offset=offset, lang=lang)
            valid, problems, rejected = _cross_chunk_duplicates(
                chunk, result, dup_ids, offset, lang
            )
            report.n_baris += len(chunk)
            report.n_ditolak += len(rejected)
            spool.add(problems)
            if target is None and len(valid):
                target = str(valid[S.PERIODE].iloc[0])
                report.periode = target
            other = valid[S.PERIODE] != target
            if other.any():
                found = ", ".join(sorted(set(valid.loc[other, S.PERIODE]))[:5])
                raise _Fail(
                    InvalidInputError(
                        f"Berkas berisi periode {found}, bukan {target}. Satu berkas = satu periode; "
                        "tidak ada yang diimpor.",
                        f"The file holds periode {found}, not {target}. One file = one periode; "
                        "nothing imported.",
                    )
                )
            if not partial and spool.n:
                storing = False  # it will fail; keep validating for the full report
            if partial and len(rejected):
                bulk_insert(conn, "karantina", _quarantine_frame(rejected, problems, batch_id))
            if storing and len(valid):
                _claim_snapshots(
                    conn,
                    valid,
                    target,
                    batch_id,
                    replace,
                    snapshots,
                    replaced,
                    settings.h3_resolution,
                )
                loc = locator.locate(valid)
                rows = _keluarga_rows(valid, loc, batch_id)
                bulk_insert(conn, "keluarga", rows, point=("lon", "lat"))
                report.n_sah += len(rows)
                lokasi.update(rows["status_lokasi"].tolist())
                for kab, grp in rows.groupby("kode_kab"):
                    snapshots[kab]["n_keluarga"] += len(grp)
                    snapshots[kab]["n_jiwa"] += int(grp["jumlah_art"].sum())
            offset += len(chunk)
            if on_progress is not None:
                on_progress(offset, n_total)

        report.n_masalah, report.masalah_per_kode = spool.n, dict(sorted(spool.counts.items()))
        report.kabupaten = sorted(snapshots)
        report.lokasi = dict(sorted(lokasi.items()))
        if not partial and spool.n:
            raise _Fail(
                InvalidInputError(
                    f"{report.n_ditolak:,} dari {report.n_baris:,} baris ditolak ({spool.n:,} "
                    f"masalah); tidak ada yang diimpor. Laporan lengkap: impor #{batch_id}. "
                    "Perbaiki berkas, atau impor dengan --partial (baris sah disimpan, baris "
                    "ditolak dikarantina).",
                    f"{report.n_ditolak:,} of {report.n_baris:,} rows rejected ({spool.n:,} "
                    f"problems); nothing imported. Full report: import #{batch_id}. Fix the file "
                    "or import with --partial (valid rows stored, rejected rows quarantined).",
                )
            )
        if report.n_sah == 0:
            raise _Fail(
                InvalidInputError(
                    "Tidak ada baris keluarga yang sah untuk diimpor.",
                    "There are no valid family rows to import.",
                )
            )
        for kab, counts in snapshots.items():
            conn.execute(
                update(KeluargaSnapshot)
                .where(KeluargaSnapshot.periode == target, KeluargaSnapshot.kode_kab == kab)
                .values(**counts)
            )
        for old in sorted(replaced):
            left = conn.execute(
                select(func.count())
                .select_from(KeluargaSnapshot)
                .where(KeluargaSnapshot.batch_id == old)
            ).scalar_one()
            if not left:
                conn.execute(
                    update(ImporBatch).where(ImporBatch.id == old).values(status=BATCH_DIGANTI)
                )
        report.diganti = sorted(replaced)
        if partial:
            spool.insert_all(conn, batch_id)
        report.status = BATCH_SELESAI
        report.detik = time.perf_counter() - t0
        kabs = ", ".join(report.kabupaten)
        report.pesan = (
            f"Impor #{batch_id} selesai: {report.n_sah:,} keluarga periode {target} "
            f"(kabupaten {kabs}) disimpan"
            + (f", {report.n_ditolak:,} baris dikarantina" if report.n_ditolak else "")
            + (
                f", menggantikan impor #{', #'.join(map(str, report.diganti))}"
                if report.diganti
                else ""
            )
            + "."
        )
        report.message = (
            f"Import #{batch_id} done: {report.n_sah:,} families of periode "
            f"{target} (kabupaten {kabs}) stored"
            + (f", {report.n_ditolak:,} rows quarantined" if report.n_ditolak else "")
            + (
                f", replacing import #{', #'.join(map(str, report.diganti))}"
                if report.diganti
                else ""
            )
            + "."
        )
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


def _claim_snapshots(
    conn: Connection,
    valid: pd.DataFrame,
    periode: str,
    batch_id: int,
    replace: bool,
    snapshots: dict[str, dict[str, int]],
    replaced: set[int],
    h3_resolution: int,
) -> None:
    """Take the snapshot (periode x kabupaten) of every new kabupaten of this chunk."""
    for kab in sorted(set(valid[S.KODE_DESA].str[:5]) - set(snapshots)):
        old = conn.execute(
            select(KeluargaSnapshot.batch_id).where(
                KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kab
            )
        ).scalar()
        if old is not None:
            if not replace:
                raise _Fail(
                    DuplicateError(
                        f"Data keluarga periode {periode} kabupaten {kab} sudah ada (impor #{old}). "
                        "Gunakan --replace untuk menggantinya; tidak ada yang diimpor.",
                        f"Families of periode {periode} for kabupaten {kab} exist already "
                        f"(import #{old}). Use --replace to replace them; nothing imported.",
                    )
                )
            conn.execute(
                delete(Keluarga).where(Keluarga.periode == periode, Keluarga.kode_kab == kab)
            )
            conn.execute(
                delete(KeluargaSnapshot).where(
                    KeluargaSnapshot.periode == periode, KeluargaSnapshot.kode_kab == kab
                )
            )
            replaced.add(int(old))
        conn.execute(
            insert(KeluargaSnapshot).values(
                periode=periode,
                kode_kab=kab,
                batch_id=batch_id,
                n_keluarga=0,
                n_jiwa=0,
                h3_resolusi=h3_resolution,
                dibuat=utcnow(),
            )
        )
        snapshots[kab] = {"n_keluarga": 0, "n_jiwa": 0}


# --- boundaries -----------------------------------------------------------------------

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", ".parquet")


@contextmanager
def _boundary_layer(path: Path, limits: ArchiveLimits) -> Iterator[Path]:
    if path.suffix.lower() == ".zip":
        with extracted_zip(path, limits=limits) as folder:
            yield find_layer(folder)
    else:
        yield path


def read_boundary_file(
    path: str | Path, *, settings: Settings | None = None
) -> tuple[gpd.GeoDataFrame, str | None]:
    """Read a desa layer (GeoJSON, GeoPackage, GeoParquet, Shapefile or zipped Shapefile)
    and return it raw with its original CRS text.

    Raises
    ------
    BoundaryError
        A Shapefile without ``.prj``, no CRS at all, or an unreadable file.
    """
    settings = settings or get_settings()
    path = Path(path)
    with _boundary_layer(path, ArchiveLimits.from_settings(settings)) as layer:
        if layer.suffix.lower() == ".shp":
            stem = layer.with_suffix("")
            prj = [
                p
                for p in layer.parent.iterdir()
                if p.stem == stem.name and p.suffix.lower() == ".prj"
            ]
            if not prj:
                raise BoundaryError(
                    f"Shapefile {layer.name} tidak punya berkas .prj (sistem koordinat), jadi "
                    "letaknya tidak dapat dipastikan. Sertakan berkas .prj dalam zip, atau "
                    "kirim GeoPackage/GeoJSON.",
                    f"Shapefile {layer.name} has no .prj file (coordinate system), so where it "
                    "lies cannot be known. Include the .prj in the zip, or send GeoPackage/"
                    "GeoJSON.",
                )
        try:
            raw = (
                gpd.read_parquet(layer)
                if layer.suffix.lower() == ".parquet"
                else gpd.read_file(layer)
            )
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
            raise BoundaryError(
                f"Berkas batas wilayah tidak dapat dibaca: {path.name}",
                f"Boundary file cannot be read: {path.name}",
                detail=str(exc),
            ) from exc
    if raw.crs is None:
        raise BoundaryError(
            f"Berkas batas wilayah {path.name} tidak punya CRS (sistem koordinat).",
            f"Boundary file {path.name} has no CRS (coordinate system).",
        )
    return raw, raw.crs.to_string()


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Every polygon as a MultiPolygon (the column type of the wilayah tables)."""
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        out[i] = shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g
    return out


def _union(geoms) -> Any:
    u = shapely.union_all(np.asarray(list(geoms), dtype=object))
    if u.geom_type == "Polygon":
        return shapely.MultiPolygon([u])
    if u.geom_type != "MultiPolygon":
        parts = [g for g in getattr(u, "geoms", []) if g.geom_type in ("Polygon",)]
        parts += [
            p for g in getattr(u, "geoms", []) if g.geom_type == "MultiPolygon" for p in g.geoms
        ]
        return shapely.MultiPolygon(parts) if parts else None
    return u


def _wkb(g) -> Any:
    from geoalchemy2.shape import from_shape

    return None if g is None else from_shape(g, srid=SRID)


def import_boundaries(
    engine: Engine,
    path: str | Path,
    *,
    settings: Settings | None = None,
    lang: str = "id",
    pengguna_id: int | None = None,
    berkas: str | None = None,
) -> ImportReport:
    """Import a desa boundary layer in one transaction (a new boundary version).

    The layer needs a CRS (a Shapefile needs its ``.prj``); it is reprojected to EPSG:4326,
    repaired with ``make_valid`` and its codes checked (``check_boundaries``). The desa,
    kecamatan and kabupaten of every kabupaten in the file are replaced; kecamatan and
    kabupaten outlines are the union of their desa.

    Raises
    ------
    BoundaryError
        No CRS / no ``.prj``, bad or duplicate codes, unreadable file.
    InvalidInputError, TooLargeError
        An unsafe or oversized zip archive.
    """
    settings = settings or get_settings()
    path = Path(path)
    _check_file(path, BOUNDARY_SUFFIXES, "batas wilayah")
    t0 = time.perf_counter()
    sha = sha256_file(path)
    name = berkas or path.name
    reap_interrupted_imports(engine)
    found = _existing(engine, JENIS_BATAS, sha)
    if found is not None:
        return _already(found, lang)
    report = ImportReport(
        batch_id=None, status=BATCH_BERJALAN, jenis=JENIS_BATAS, berkas=name, sha256=sha
    )
    with _import_connection(engine) as conn:
        batch_id = _start_batch(
            conn,
            jenis=JENIS_BATAS,
            berkas=name,
            sha256=sha,
            ukuran_byte=path.stat().st_size,
            pengguna_id=pengguna_id,
        )
        report.batch_id = batch_id
        try:
            raw, crs_asal = read_boundary_file(path, settings=settings)
            checked = check_boundaries(raw)
            if checked.problems:
                raise _Fail(BoundaryError(" ".join(checked.problems), detail=checked.problems))
            desa = checked.desa
            report.diperbaiki = list(checked.repaired)
            report.kabupaten = sorted(desa["kode_kab"].unique())
            report.n_baris = report.n_sah = len(desa)
            conn.rollback()
            with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
                _store_boundaries(conn, desa, batch_id, name, sha, crs_asal, report)
                report.status = BATCH_SELESAI
                report.detik = time.perf_counter() - t0
                report.pesan = (
                    f"Impor #{batch_id} selesai: {len(desa):,} desa kabupaten "
                    f"{', '.join(report.kabupaten)} (dari {crs_asal})"
                    + (
                        f"; {len(report.diperbaiki)} poligon diperbaiki (make_valid)"
                        if report.diperbaiki
                        else ""
                    )
                    + "."
                )
                report.message = (
                    f"Import #{batch_id} done: {len(desa):,} desa of kabupaten "
                    f"{', '.join(report.kabupaten)} (from {crs_asal})"
                    + (f"; {len(report.diperbaiki)} polygons repaired" if report.diperbaiki else "")
                    + "."
                )
                conn.execute(
                    update(ImporBatch)
                    .where(ImporBatch.id == batch_id)
                    .values(
                        status=BATCH_SELESAI,
                        selesai=utcnow(),
                        kode_kab=report.kabupaten,
                        n_baris=report.n_baris,
                        n_sah=report.n_sah,
                        laporan=_laporan(report),
                    )
                )
        except BaseException as exc:
            error = _fail(engine, conn, batch_id, exc, report, None, t0)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            if error.detail is None:
                error.detail = report
            raise error from exc
        _release(conn, batch_id)
    return report


def _store_boundaries(
    conn: Connection,
    desa: gpd.GeoDataFrame,
    batch_id: int,
    name: str,
    sha: str,
    crs_asal: str | None,
    report: ImportReport,
) -> None:
    kabs = report.kabupaten
    versi_id = conn.execute(
        insert(BatasVersi)
        .values(
            batch_id=batch_id,
            berkas=name,
            sha256=sha,
            kode_kab=kabs,
            n_desa=len(desa),
            crs_asal=crs_asal,
            diperbaiki=report.diperbaiki,
            dibuat=utcnow(),
        )
        .returning(BatasVersi.id)
    ).scalar_one()
    desa = desa.copy()
    desa["geometry"] = _multi(desa.geometry.to_numpy())
    if "kode_prov" not in desa.columns:
        desa["kode_prov"] = desa["kode_kab"].str[:2]
    if "nama_prov" not in desa.columns:
        desa["nama_prov"] = desa["kode_prov"]
    conn.execute(delete(Desa).where(Desa.kode_kab.in_(kabs)))
    conn.execute(delete(Kecamatan).where(Kecamatan.kode_kab.in_(kabs)))
    for kode_prov, grp in desa.groupby("kode_prov"):
        if conn.execute(select(Provinsi.kode).where(Provinsi.kode == kode_prov)).first() is None:
            nama_prov = str(grp["nama_prov"].iloc[0])
            conn.execute(insert(Provinsi).values(kode=kode_prov, nama=nama_prov))
    for kode_kab, grp in desa.groupby("kode_kab"):
        values = {
            "nama": str(grp["nama_kab"].iloc[0]),
            "kode_prov": str(grp["kode_prov"].iloc[0]),
            "versi_id": versi_id,
            "geom": _wkb(_union(grp.geometry)),
        }
        if conn.execute(select(Kabupaten.kode).where(Kabupaten.kode == kode_kab)).first():
            conn.execute(update(Kabupaten).where(Kabupaten.kode == kode_kab).values(**values))
        else:
            conn.execute(insert(Kabupaten).values(kode=kode_kab, **values))
    kec_rows = [
        {
            "kode": str(k),
            "nama": str(g["nama_kec"].iloc[0]),
            "kode_kab": str(k)[:5],
            "geom": _wkb(_union(g.geometry)),
        }
        for k, g in desa.groupby("kode_kec")
    ]
    conn.execute(insert(Kecamatan), kec_rows)
    desa_rows = [
        {
            "kode": r.kode,
            "nama": str(r.nama),
            "kode_kec": r.kode_kec,
            "kode_kab": r.kode_kab,
            "jenis": _text_or_none(getattr(r, "jenis", None)),
            "versi_id": versi_id,
            "geom": _wkb(r.geometry),
        }
        for r in desa.itertuples(index=False)
    ]
    for start in range(0, len(desa_rows), 2_000):
        conn.execute(insert(Desa), desa_rows[start : start + 2_000])
    for kode_prov in sorted(desa["kode_prov"].unique()):
        geoms = (
            conn.execute(
                select(Kabupaten.geom.ST_AsBinary()).where(Kabupaten.kode_prov == kode_prov)
            )
            .scalars()
            .all()
        )
        shapes = [shapely.from_wkb(bytes(g)) for g in geoms if g is not None]
        conn.execute(
            update(Provinsi)
            .where(Provinsi.kode == kode_prov)
            .values(geom=_wkb(_union(shapes)) if shapes else None)
        )


def _text_or_none(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
