"""Identities over HTTP (issue 16): field lists with names for ``admin``/``analis`` and a
``pendamping`` (the desa of their sample), the OpenSID exchange, erasure on request.

- ``GET /uji-petik/{sampel_id}/daftar-nama?format=xlsx|pdf|gpkg|opensid&tujuan=&desa=``:
  the named list (purpose required; audited without identities);
- ``POST /uji-petik/{sampel_id}/hasil-opensid``: results returned in OpenSID's terms
  (no_kk/nik hashed into id_keluarga and dropped before anything is stored);
- ``POST /identitas/hapus``: erase identities on request (admin).

Thin adapters over :mod:`geo_service.services.identitas` and
:mod:`geo_service.services.daftar_nama`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from geo_service.api.deps import AdminUser, AnalystUser, CurrentUser, SettingsDep
from geo_service.api.schemas import ErrorBody
from geo_service.api.security import Principal
from geo_service.api.uploads import saved_upload
from geo_service.db.repo.common import Scope
from geo_service.errors import InvalidInputError
from geo_service.services import daftar_nama as daftar_service
from geo_service.services import identitas as ident

router = APIRouter(
    tags=["identitas"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)

SampelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "opensid": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "gpkg": "application/geopackage+sqlite3",
}
RESULT_SUFFIXES = (".csv", ".xlsx")


def pemohon(user: Principal) -> ident.Pemohon:
    """The API caller in service terms (role, kabupaten scope, id, name for the audit)."""
    return ident.Pemohon(
        peran=user.role,
        scope=Scope.of(user.kabupaten),
        pengguna_id=user.user_id,
        aktor=user.username,
    )


@router.get(
    "/uji-petik/{sampel_id}/daftar-nama",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in set(MEDIA.values())}}},
    summary="Daftar uji petik bernama (nama, NIK/KK, alamat), satu desa per halaman",
)
def named_list(
    request: Request,
    sampel_id: SampelId,
    user: CurrentUser,
    settings: SettingsDep,
    background: BackgroundTasks,
    tujuan: Annotated[
        str | None, Query(max_length=200, description="Tujuan (wajib; dicatat di audit)")
    ] = None,
    format: Literal["xlsx", "pdf", "gpkg", "opensid"] = "xlsx",
    desa: Annotated[str | None, Query(pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")] = None,
    lang: Literal["id", "en"] = "id",
) -> FileResponse:
    folder = tempfile.TemporaryDirectory(prefix="geo_daftar_")
    background.add_task(folder.cleanup)
    path = daftar_service.export_named_list(
        request_engine(request),
        pemohon(user),
        sampel_id,
        out_dir=FilePath(folder.name),
        format=format,
        tujuan=tujuan,
        settings=settings,
        desa=desa,
        lang=lang,
    )
    return FileResponse(
        path,
        media_type=MEDIA[format],
        filename=path.name,
        headers={"Cache-Control": "no-store"},
    )


def request_engine(request: Request) -> Engine:
    """The app's engine (the services open their own transactions on it)."""
    return request.app.state.engine


class OpensidImport(BaseModel):
    status: str
    batch_id: int | None = None
    berkas: str
    diimpor: bool
    baris_sah: int | None = None
    n_masalah: int | None = None
    baru: int | None = None
    diperbarui: int | None = None


@router.post(
    "/uji-petik/{sampel_id}/hasil-opensid",
    response_model=OpensidImport,
    summary="Unggah hasil uji petik dari operator OpenSID (no_kk/NIK di-hash, lalu dibuang)",
)
def opensid_results(
    request: Request,
    sampel_id: SampelId,
    user: AnalystUser,
    settings: SettingsDep,
    berkas: Annotated[UploadFile | None, File(description="Hasil OpenSID: .xlsx atau .csv")] = None,
    sebagian: Annotated[bool, Form(description="Impor baris sah saja")] = False,
    lang: Literal["id", "en"] = "id",
) -> OpensidImport:
    ident.check_sample(request_engine(request), pemohon(user), sampel_id)  # 404 before the body
    if berkas is None or not (berkas.filename or "").lower().endswith(RESULT_SUFFIXES):
        raise InvalidInputError(
            "Jenis berkas tidak didukung (boleh: .xlsx, .csv)",
            "Unsupported file type (allowed: .xlsx, .csv)",
        )
    with saved_upload(berkas, max_bytes=settings.imports.upload_max_bytes) as up:
        res = daftar_service.import_opensid_results(
            request_engine(request),
            pemohon(user),
            sampel_id,
            up.path,
            settings=settings,
            partial=sebagian,
            lang=lang,
        )
    d = res.to_dict()
    return OpensidImport(**{k: d.get(k) for k in OpensidImport.model_fields})


class EraseRequest(BaseModel):
    alasan: str = Field(min_length=3, max_length=200, description="Dasar permintaan")
    id_keluarga: list[str] = Field(default_factory=list, max_length=10_000)
    no_kk: list[str] = Field(default_factory=list, max_length=10_000)


class EraseResult(BaseModel):
    n_dihapus: int


@router.post(
    "/identitas/hapus",
    response_model=EraseResult,
    summary="Hapus identitas keluarga atas permintaan (agregat dan data pseudonim tetap)",
)
def erase(
    body: EraseRequest, user: AdminUser, settings: SettingsDep, request: Request
) -> EraseResult:
    n = ident.erase(
        request_engine(request),
        who=pemohon(user),
        alasan=body.alasan,
        settings=settings,
        id_keluarga=body.id_keluarga,
        nomor_kk=body.no_kk,
    )
    return EraseResult(n_dihapus=n)
