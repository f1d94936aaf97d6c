"""The map page of a kabupaten and its TKPK meeting pack (PDF, XLSX)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from geo_service.api import pages
from geo_service.api.cache import cached, newest_run_id
from geo_service.api.deps import KabupatenDep, KabupatenQuery, SettingsDep, check_kabupaten
from geo_service.api.formats import XLSX_MEDIA
from geo_service.api.responses import geo_check
from geo_service.db.repo import RunInfo
from geo_service.services import audit as audit_service
from geo_service.services import runs as run_service
from geo_service.services.report import write_report_pdf, write_report_xlsx
from geo_service.services.report_data import report_data

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


@router.get(
    "/peta",
    response_class=HTMLResponse,
    summary="Peta interaktif (semua lapisan, bekerja luring, siap cetak)",
)
def peta(q: KabupatenDep, settings: SettingsDep) -> Response:
    run = _checked_run(q)
    # Remembered like the result routes' runs, so a repeat is answered before routing.
    newest_run_id(q.request, q.user, q.kode_kab, q.periode, lambda: run.id)
    return cached(
        q.request,
        q.user,
        run.id,
        q.lang,
        lambda: HTMLResponse(
            pages.map_html(q.session, q.user, run, q.api.disclosure_k, q.lang, settings=settings)
        ),
    )


def _checked_run(q: KabupatenQuery) -> RunInfo:
    """The newest finished run, after the kabupaten and desa-geography checks."""
    check_kabupaten(q.user, q.kode_kab)
    geo_check(q.user, "desa", q.api)
    return run_service.finished_run(q.session, q.user, q.kode_kab, q.periode)


def _meeting_pack(fmt: str, media: str, disposition: str, summary: str) -> None:
    """Register ``GET /laporan.{fmt}``: the meeting pack as PDF or XLSX (one route body for
    both formats); every download writes an audit row."""
    write = write_report_pdf if fmt == "pdf" else write_report_xlsx

    def route(q: KabupatenDep, settings: SettingsDep) -> Response:
        run = _checked_run(q)
        data = report_data(
            q.session, q.user, run, q.api.disclosure_k, settings=settings, lang=q.lang
        )
        body = write(data, lang=q.lang)
        audit_service.end_read(q.session)
        audit_service.record_audit(
            q.session,
            q.user,
            "ekspor",
            objek=f"laporan.{fmt}",
            kode_kab=q.kode_kab,
            periode=run.periode,
            n_baris=len(data.desa),
            alamat_ip=q.request.client.host if q.request.client else None,
        )
        name = f"laporan_{q.kode_kab}_{run.periode}.{fmt}"
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
        )

    router.get(
        f"/laporan.{fmt}",
        name=f"laporan_{fmt}",
        summary=summary,
        responses={200: {"content": {media: {}}}},
        response_class=Response,
    )(route)


_meeting_pack("pdf", "application/pdf", "inline", "Paket rapat TKPK (PDF)")
_meeting_pack("xlsx", XLSX_MEDIA, "attachment", "Paket rapat TKPK (XLSX, tabel yang sama)")
