"""Importing a family snapshot (CSV or Parquet): streamed in chunks, validated, located, stored
in one transaction under the batch's advisory lock.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update

from geo_service.analysis import locate as L
from geo_service.analysis import schema as S
from geo_service.analysis._util import jsonable
from geo_service.analysis.fastjoin import h3_cells_threaded
from geo_service.analysis.locate import cells_to_str, locate_keluarga
from geo_service.analysis.validate import validate_keluarga
from geo_service.db.bulk import BulkLoader, bulk_insert
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
from geo_service.db.repo import Scope, boundary_index, desa_of_kabupaten
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
from geo_service.io.hashing import sha256_file
from geo_service.io.import_files import (
    check_file,
    duplicate_ids,
    file_columns,
    norm_ids,
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


def _cross_chunk_duplicates(chunk: pd.DataFrame, result, dup_ids: set[str], offset: int, lang: str):
    """Add ``id_keluarga_ganda`` for ids repeated in other chunks (the validator sees one)."""
    if not dup_ids or S.ID not in chunk.columns:
        return result.valid, result.problems, result.rejected
    ids = norm_ids(chunk[S.ID])
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
        norm_ids(rejected[S.ID])
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
    """A problem row's value for JSON: plain numbers and text, anything else as text."""
    v = jsonable(v)
    return v if v is None or isinstance(v, str | int | float | bool) else str(v)


class _Locator:
    """Locates families among the desa of their registered kabupaten (cached per kabupaten).

    For a file of at least ``FAST_JOIN_MIN_POINTS`` rows the kabupaten's stored boundary
    index is used (built and stored once per boundary version when missing), otherwise the
    R-tree path; both give the same answer.
    """

    def __init__(
        self, conn: Connection, max_distance_m: float, h3_resolution: int, n_rows: int = 0
    ) -> None:
        self.conn = conn
        self.max_distance_m = max_distance_m
        self.h3_resolution = h3_resolution
        self.n_rows = n_rows
        self._desa: dict[str, gpd.GeoDataFrame] = {}
        self._index: dict[str, Any] = {}

    def _for(self, kode_kab: str):
        if kode_kab not in self._desa:
            desa = desa_of_kabupaten(self.conn, kode_kab, scope=Scope.all())
            self._desa[kode_kab] = desa
            self._index[kode_kab] = (
                boundary_index(self.conn, kode_kab, desa, scope=Scope.all(), build_from=self.n_rows)
                if self.n_rows >= L.FAST_JOIN_MIN_POINTS and len(desa)
                else None
            )
        return self._desa[kode_kab], self._index[kode_kab]

    def locate(self, fam: pd.DataFrame) -> pd.DataFrame:
        parts = []
        for kode_kab, group in fam.groupby(fam[S.KODE_DESA].str[:5], sort=True):
            desa, index = self._for(str(kode_kab))
            parts.append(
                locate_keluarga(group, desa, max_distance_m=self.max_distance_m, index=index)
            )
        loc = pd.concat(parts).reindex(fam.index)
        cells = h3_cells_threaded(fam["lat"].to_numpy(), fam["lon"].to_numpy(), self.h3_resolution)
        hexes = cells_to_str(cells)
        hexes[cells == 0] = None
        loc["h3"] = hexes
        return loc


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
    path, batch_id, settings, chunk_rows = job.path, job.batch_id, job.settings, job.chunk_rows
    partial, replace, lang, on_progress, t0 = (
        job.partial,
        job.replace,
        job.lang,
        job.on_progress,
        job.t0,
    )
    columns = file_columns(path)
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
    dup_ids, n_total = duplicate_ids(path, chunk_rows)

    conn.rollback()
    with conn.execution_options(sqlite_begin="IMMEDIATE").begin():
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
        locator = _Locator(
            conn, settings.analysis.max_distance_m, settings.analysis.h3_resolution, n_total
        )
        # Binary COPY into a staging table (PostGIS) / prepared executemany (SpatiaLite);
        # the rows join the table and its indexes once, in loader.finish().
        loader = BulkLoader(conn, "keluarga", point=("lon", "lat"), expected_rows=n_total)
        target = report.periode
        storing = True
        snapshots: dict[str, dict[str, int]] = {}
        replaced: set[int] = set()
        lokasi: Counter[str] = Counter()
        offset = 0
        for chunk in read_chunks(path, chunk_rows):
            first = offset + job.row_offset
            result = validate_keluarga(chunk, known_desa=known, row_offset=first, lang=lang)
            valid, problems, rejected = _cross_chunk_duplicates(chunk, result, dup_ids, first, lang)
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
                claim_snapshots(
                    conn,
                    valid,
                    target,
                    batch_id,
                    replace,
                    snapshots,
                    replaced,
                    settings.analysis.h3_resolution,
                )
                loc = locator.locate(valid)
                rows = keluarga_rows(valid, loc, batch_id)
                loader.add(rows)
                report.n_sah += len(rows)
                lokasi.update(rows["status_lokasi"].tolist())
                for kab, grp in rows.groupby("kode_kab"):
                    snapshots[kab]["n_keluarga"] += len(grp)
                    snapshots[kab]["n_jiwa"] += int(grp["jumlah_art"].sum())
            offset += len(chunk)
            if on_progress is not None:
                on_progress(offset, n_total)

        if storing:
            loader.finish()
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
        if job.after_load is not None:
            job.after_load(conn, batch_id, target)
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
