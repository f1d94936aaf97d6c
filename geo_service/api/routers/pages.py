"""The map page of a kabupaten and its TKPK meeting pack (PDF, XLSX)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo_service.api import pages
from geo_service.api.cache import cached
from geo_service.api.deps import (
    ApiSettingsDep,
    CurrentUser,
    KodeKab,
    LangDep,
    SessionDep,
    SettingsDep,
    check_kabupaten,
)
from geo_service.api.formats import XLSX_MEDIA
from geo_service.api.responses import geo_check
from geo_service.services import audit as audit_service
from geo_service.services import runs as run_service

# Errors are JSON even where the page itself is HTML or PDF.
_ERROR = {
    "description": "Kesalahan",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
router = APIRouter(
    prefix="/kabupaten/{kode_kab}",
    tags=["peta dan laporan"],
    responses={401: _ERROR, 403: _ERROR, 404: _ERROR, 422: _ERROR},
)
Periode = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


@router.get(
    "/peta",
    response_class=HTMLResponse,
    summary="Peta interaktif (semua lapisan, bekerja luring, siap cetak)",
)
def peta(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    settings: SettingsDep,
    lang: LangDep,
    periode: Periode = None,
) -> Response:
    check_kabupaten(user, kode_kab)
    geo_check(user, "desa", api)
    run = run_service.finished_run(session, user, kode_kab, periode)
    return cached(
        request,
        user,
        run.id,
        lang,
        lambda: HTMLResponse(
            pages.map_html(session, user, run, api.disclosure_k, lang, settings=settings)
        ),
    )


def _meeting_pack(
    request: Request,
    kode_kab: str,
    user,
    session,
    api,
    settings,
    lang: str,
    periode: str | None,
    *,
    fmt: str,
) -> Response:
    """The meeting pack as PDF or XLSX; every download writes an audit row."""
    from geo_service.services.report import write_report_pdf, write_report_xlsx

    check_kabupaten(user, kode_kab)
    geo_check(user, "desa", api)
    run = run_service.finished_run(session, user, kode_kab, periode)
    data = pages.report_data(session, user, run, api.disclosure_k, settings=settings)
    write, media, disposition = {
        "pdf": (write_report_pdf, "application/pdf", "inline"),
        "xlsx": (write_report_xlsx, XLSX_MEDIA, "attachment"),
    }[fmt]
    body = write(data, lang=lang)
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "ekspor",
        objek=f"laporan.{fmt}",
        kode_kab=kode_kab,
        periode=run.periode,
        n_baris=len(data.desa),
        alamat_ip=request.client.host if request.client else None,
    )
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'{disposition}; filename="laporan_{kode_kab}_{run.periode}.{fmt}"'
        },
    )


@router.get(
    "/laporan.pdf",
    summary="Paket rapat TKPK (PDF)",
    responses={200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
def laporan_pdf(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    settings: SettingsDep,
    lang: LangDep,
    periode: Periode = None,
) -> Response:
    return _meeting_pack(request, kode_kab, user, session, api, settings, lang, periode, fmt="pdf")


@router.get(
    "/laporan.xlsx",
    summary="Paket rapat TKPK (XLSX, tabel yang sama)",
    responses={200: {"content": {XLSX_MEDIA: {}}}},
    response_class=Response,
)
def laporan_xlsx(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    settings: SettingsDep,
    lang: LangDep,
    periode: Periode = None,
) -> Response:
    return _meeting_pack(request, kode_kab, user, session, api, settings, lang, periode, fmt="xlsx")
