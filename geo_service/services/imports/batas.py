"""Importing a desa boundary layer (wilayah): read, checked, stored as a new boundary version."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, update

from geo_service.analysis.boundaries import check_boundaries
from geo_service.db.models import (
    BATCH_BERJALAN,
    BATCH_SELESAI,
    JENIS_BATAS,
    ImporBatch,
    utcnow,
)
from geo_service.db.repo.imports import (
    find_finished_batch,
    reap_interrupted_imports,
    release_batch_lock,
    start_batch,
)
from geo_service.db.repo.wilayah import store_boundaries
from geo_service.errors import (
    BoundaryError,
)
from geo_service.i18n import fmt_int
from geo_service.io.hashing import sha256_file
from geo_service.io.import_files import (
    BOUNDARY_SUFFIXES,
    check_file,
    read_boundary_file,
)
from geo_service.services.imports.batch import (
    ImportReport,
    _already,
    _Fail,
    _fail,
    _import_connection,
    _laporan,
)
from geo_service.settings import Settings, get_settings


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
    check_file(path, BOUNDARY_SUFFIXES, "batas wilayah")
    t0 = time.perf_counter()
    sha = sha256_file(path)
    name = berkas or path.name
    reap_interrupted_imports(engine)
    found = find_finished_batch(engine, JENIS_BATAS, sha)
    if found is not None:
        return _already(found, lang)
    report = ImportReport(
        batch_id=None, status=BATCH_BERJALAN, jenis=JENIS_BATAS, berkas=name, sha256=sha
    )
    with _import_connection(engine) as conn:
        batch_id = start_batch(
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
                store_boundaries(conn, desa, batch_id, name, sha, crs_asal, report)
                report.status = BATCH_SELESAI
                report.detik = time.perf_counter() - t0
                report.pesan = (
                    f"Impor #{batch_id} selesai: {fmt_int(len(desa))} desa kabupaten "
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
        release_batch_lock(conn, batch_id)
    return report
