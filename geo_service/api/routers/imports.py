"""Imports: upload a boundary file or a family file (multipart), get the report.

The body size is limited before anything is read (see :class:`~geo_service.api.uploads.
BodySizeLimit`); the file streams to a private temporary folder; a zip archive is checked from
its directory (paths, sizes, ratios) before anything is extracted; the folder is always
removed afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile

from geo_service.api.deps import AdminUser, AnalystUser, ApiSettingsDep, SessionDep, SettingsDep
from geo_service.api.schemas import ErrorBody, ImportBatchStatus
from geo_service.api.uploads import saved_upload
from geo_service.errors import GeoServiceError, InvalidInputError
from geo_service.io.archive import ArchiveLimits, check_zip
from geo_service.services import audit as audit_service
from geo_service.services import runs as run_service
from geo_service.services.imports import upload as upload_service

router = APIRouter(
    prefix="/impor",
    tags=["impor"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody},
        413: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".parquet")
FAMILY_SUFFIXES = (".csv", ".parquet")
PROFILE_SUFFIXES = (".csv", ".parquet", ".xlsx")  # with an import profile (issue 16)


def _report(batch) -> ImportBatchStatus:
    return ImportBatchStatus(
        id=batch.id,
        jenis=batch.jenis,
        berkas=batch.berkas,
        sha256=batch.sha256,
        ukuran_byte=batch.ukuran_byte,
        status=batch.status,
        periode=batch.periode,
        kode_kab=list(batch.kode_kab or []),
        n_baris=batch.n_baris,
        n_sah=batch.n_sah,
        n_ditolak=batch.n_ditolak,
        n_masalah=batch.n_masalah,
        alasan=batch.alasan,
        laporan=batch.laporan or {},
    )


@contextmanager
def _audit_refusal(request: Request, session, user, jenis: str, periode: str | None = None):
    """Audit an import that is refused or fails before a report exists (issue 12: every
    import attempt is audited); the error goes on to the caller unchanged."""
    try:
        yield
    except GeoServiceError as exc:
        session.rollback()
        audit_service.record_audit(
            session,
            user,
            "impor_ditolak",
            objek=jenis,
            periode=periode,
            rincian={"kode": exc.code},
            alamat_ip=request.client.host if request.client else None,
        )
        raise


def _check_suffix(name: str, allowed: tuple[str, ...]) -> None:
    if not name.lower().endswith(allowed):
        ok = ", ".join(allowed)
        raise InvalidInputError(
            f"Jenis berkas tidak didukung: {name} (boleh: {ok})",
            f"Unsupported file type: {name} (allowed: {ok})",
        )


@router.post(
    "/batas",
    response_model=ImportBatchStatus,
    status_code=201,
    summary="Unggah batas desa (GeoJSON, GeoPackage, Shapefile dalam zip)",
)
def import_boundaries(
    request: Request,
    user: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
    api: ApiSettingsDep,
    berkas: Annotated[UploadFile, File(description="Berkas batas wilayah")],
) -> ImportBatchStatus:
    name = berkas.filename or ""
    _check_suffix(name, BOUNDARY_SUFFIXES)
    with (
        _audit_refusal(request, session, user, "batas"),
        saved_upload(berkas, max_bytes=settings.imports.upload_max_bytes) as up,
    ):
        if up.filename.lower().endswith(".zip"):
            check_zip(up.path, ArchiveLimits.from_settings(settings))
        batch = upload_service.import_file(
            session, user, "batas", up.path, settings=settings, filename=up.filename
        )
    audit_service.record_audit(
        session,
        user,
        "impor",
        objek=f"batas:{batch.id}",
        kode_kab=(batch.kode_kab or [None])[0],
        n_baris=batch.n_sah,
        rincian={"batch": batch.id, "status": batch.status},
        alamat_ip=request.client.host if request.client else None,
    )
    return _report(batch)


@router.post(
    "/keluarga",
    response_model=ImportBatchStatus,
    status_code=201,
    summary="Unggah data keluarga DTSEN (CSV atau Parquet) untuk satu periode",
)
def import_families(
    request: Request,
    user: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    api: ApiSettingsDep,
    berkas: Annotated[UploadFile, File(description="Berkas keluarga")],
    periode: Annotated[str, Form(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
    sebagian: Annotated[bool, Form(description="Impor baris sah saja")] = False,
    ganti: Annotated[bool, Form(description="Ganti snapshot periode ini")] = False,
    profil: Annotated[
        str | None,
        Form(
            pattern=r"^[a-z0-9_]{1,40}$",
            description="Profil impor yang disertakan (mis. dtsen_nama untuk berkas bernama)",
        ),
    ] = None,
) -> ImportBatchStatus:
    _check_suffix(berkas.filename or "", PROFILE_SUFFIXES if profil else FAMILY_SUFFIXES)
    with (
        _audit_refusal(request, session, user, "keluarga", periode),
        saved_upload(berkas, max_bytes=settings.imports.upload_max_bytes) as up,
    ):
        batch = upload_service.import_file(
            session,
            user,
            "keluarga",
            up.path,
            settings=settings,
            filename=up.filename,
            periode=periode,
            partial=sebagian,
            replace=ganti,
            profil=profil,
        )
    audit_service.record_audit(
        session,
        user,
        "impor",
        objek=f"keluarga:{batch.id}",
        kode_kab=(batch.kode_kab or [None])[0],
        periode=periode,
        n_baris=batch.n_sah,
        rincian={"batch": batch.id, "status": batch.status},
        alamat_ip=request.client.host if request.client else None,
    )
    return _report(batch)


@router.get("/{batch_id}", response_model=ImportBatchStatus, summary="Laporan satu impor")
def report(
    batch_id: Annotated[int, Path(ge=1, le=2**31 - 1)], user: AnalystUser, session: SessionDep
) -> ImportBatchStatus:
    return _report(run_service.get_batch(session, user, batch_id))
