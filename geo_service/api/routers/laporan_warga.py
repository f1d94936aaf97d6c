"""Citizen reports (laporan warga): submit and look up (public, rate-limited, no family data
returned), and the officers' queue (analis/admin of the kabupaten).

The logic lives in :mod:`geo_service.services.laporan_warga`; this router only adapts HTTP to it. Reports are
kept in the database (table ``laporan_warga``, photos in ``laporan_warga_foto``) through
:class:`~geo_service.db.repo.laporan_warga.DbReportStore`. ``POST /laporan-warga`` and
``GET /laporan-warga/{nomor}`` are public on purpose (citizens have no account) and
rate-limited (429, mapped in the one error table); the queue and status changes are for
``analis``/``admin`` of the report's kabupaten, and reading the queue leaves an audit row.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from geo_service.analysis import schema as S
from geo_service.analysis.laporan_warga import (
    JENIS_LAPORAN,
    MAX_FOTO_BYTES,
    STATUS_LAPORAN,
    queue_frame,
)
from geo_service.api.deps import AnalystUser, LangDep, SessionDep, check_kabupaten
from geo_service.api.schemas import ErrorBody
from geo_service.db.repo import Scope, desa_codes
from geo_service.db.repo.laporan_warga import DbReportStore, citizen_reports
from geo_service.errors import InvalidInputError, TooLargeError
from geo_service.services import audit as audit_service
from geo_service.services.laporan_warga import CitizenReportService
from geo_service.services.ratelimit import RateLimiter, RateLimitError

router = APIRouter(
    prefix="/laporan-warga",
    tags=["laporan warga"],
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)

Nomor = Annotated[
    str, Path(pattern=r"^LW-\d{4}-\d{6}-[0-9A-Z]{8}$", examples=["LW-3324-250602-7K2M9QXA"])
]
FORM_FIELDS = {"kode_desa", "jenis", "keterangan", "id_keluarga", "lat", "lon", "kontak", "foto"}


class ReportStatus(BaseModel):
    """What a reporter sees: never any family data."""

    model_config = ConfigDict(extra="forbid")
    nomor: str = Field(examples=["LW-3324-250602-7K2M9QXA"])
    jenis: Literal[tuple(JENIS_LAPORAN)]  # type: ignore[valid-type]
    jenis_teks: str
    status: Literal[tuple(STATUS_LAPORAN)]  # type: ignore[valid-type]
    status_teks: str
    dibuat: str = Field(examples=["2025-06-02"])
    diperbarui: str
    hari_sejak_dibuat: int
    terlambat: bool = Field(description="Masih terbuka lebih dari 14 hari.")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal[tuple(STATUS_LAPORAN)]  # type: ignore[valid-type]
    catatan: str | None = Field(None, max_length=1000)


class QueueRows(BaseModel):
    n: int
    baris: list[dict[str, Any]]


class _KnownDesa:
    """Desa codes in the database, read when a report is checked (boundaries may be imported
    while the service runs)."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions

    def __iter__(self):
        with self.sessions() as s:
            return iter(desa_codes(s, scope=Scope.all()))


def get_reports(request: Request) -> CitizenReportService:
    """One service per app over the database (rate limits are per process, in memory)."""
    state = request.app.state
    svc = getattr(state, "laporan_warga", None)
    if svc is None:
        limits = state.settings.rate_limits
        svc = CitizenReportService(
            DbReportStore(state.sessions),
            known_desa=_KnownDesa(state.sessions),
            limiter=RateLimiter(limits.laporan()),
        )
        state.laporan_warga = svc
        state.laporan_warga_cek = RateLimiter(limits.cek())
    return svc


ReportsDep = Annotated[CitizenReportService, Depends(get_reports)]


def _caller(request: Request) -> str:
    host = request.client.host if request.client else "unknown"
    return hashlib.sha256(host.encode()).hexdigest()


@router.post(
    "",
    status_code=201,
    response_model=ReportStatus,
    summary="Laporkan perubahan kondisi atau keberatan (publik, dibatasi)",
)
async def submit(
    request: Request,
    reports: ReportsDep,
    lang: LangDep,
    kode_desa: Annotated[str, Form(examples=["33.24.01.2001"])],
    jenis: Annotated[str, Form(description=", ".join(JENIS_LAPORAN))],
    keterangan: Annotated[str, Form(max_length=1000)],
    id_keluarga: Annotated[str | None, Form(max_length=64)] = None,
    lat: Annotated[float | None, Form()] = None,
    lon: Annotated[float | None, Form()] = None,
    kontak: Annotated[str | None, Form(max_length=200)] = None,
    foto: Annotated[UploadFile | None, File(description="JPEG/PNG, maks 5 MB")] = None,
) -> Any:
    form = await request.form()
    unknown = sorted(set(form.keys()) - FORM_FIELDS)
    if unknown:
        raise InvalidInputError(
            "Kolom tidak dikenal: " + ", ".join(unknown), "Unknown fields: " + ", ".join(unknown)
        )
    data = None
    if foto is not None and foto.filename:
        data = await foto.read(MAX_FOTO_BYTES + 1)
        if len(data) > MAX_FOTO_BYTES:
            raise TooLargeError("Foto lebih dari 5 MB.", "The photo is larger than 5 MB.")
    payload = {
        "kode_desa": kode_desa,
        "jenis": jenis,
        "keterangan": keterangan,
        "id_keluarga": id_keluarga,
        "lat": lat,
        "lon": lon,
        "kontak": kontak,
    }
    return reports.submit(payload, caller=_caller(request), foto=data, lang=lang)


@router.get(
    "/{nomor}",
    response_model=ReportStatus,
    summary="Status laporan menurut nomornya (publik, tanpa data keluarga)",
)
def status(nomor: Nomor, request: Request, reports: ReportsDep, lang: LangDep) -> Any:
    if not request.app.state.laporan_warga_cek.allow(_caller(request)):
        raise RateLimitError(
            "Terlalu banyak permintaan; coba lagi nanti.",
            "Too many requests; please try again later.",
        )
    return reports.status(nomor, lang)


@router.get(
    "",
    response_model=QueueRows,
    summary="Antrean laporan warga untuk uji petik (analis/admin)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def queue(
    request: Request,
    user: AnalystUser,
    reports: ReportsDep,
    session: SessionDep,
    kode_kab: Annotated[str, Query(pattern=S.KODE_KAB_PATTERN, examples=["33.24"])],
    semua: Annotated[bool, Query(description="Termasuk yang sudah ditutup")] = False,
) -> QueueRows:
    check_kabupaten(user, kode_kab)
    found = citizen_reports(
        session, scope=audit_service.scope_of(user), kode_kab=kode_kab, hanya_terbuka=not semua
    )
    frame = queue_frame(found, reports.clock())
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "baca_laporan_warga",
        objek="laporan_warga",
        kode_kab=kode_kab,
        n_baris=len(rows),
        rincian={"semua": semua},
        alamat_ip=request.client.host if request.client else None,
    )
    return QueueRows(n=len(rows), baris=rows)


@router.patch(
    "/{nomor}/status",
    response_model=ReportStatus,
    summary="Ubah status laporan (analis/admin)",
    responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
)
def change_status(
    nomor: Nomor, body: StatusChange, user: AnalystUser, reports: ReportsDep, lang: LangDep
) -> Any:
    current = reports.store.get(nomor)
    if current is not None:
        check_kabupaten(user, current.kode_kab)
    reports.set_status(nomor, body.status, catatan=body.catatan)
    return reports.status(nomor, lang)
