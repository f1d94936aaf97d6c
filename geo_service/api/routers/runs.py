"""Analysis runs: start one (runs in the background), poll its status, list, fetch results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from geo_service.analysis import schema as S
from geo_service.analysis.disclosure import is_suppressed_role
from geo_service.api.deps import AnalystUser, CurrentUser, LangDep, SessionDep, check_kabupaten
from geo_service.api.formats import CSV_MEDIA, XLSX_MEDIA
from geo_service.api.responses import geo_check, respond
from geo_service.api.schemas import AnalysisRequest, ErrorBody, Rows, RunStatus
from geo_service.services import results
from geo_service.services import runs as run_service

router = APIRouter(
    prefix="/analisis",
    tags=["analisis"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _utc(ts: datetime | None) -> datetime | None:
    """Aware UTC time (SQLite gives naive datetimes back)."""
    return None if ts is None else (ts if ts.tzinfo else ts.replace(tzinfo=UTC))


def _status(run) -> RunStatus:
    return RunStatus(
        id=run.id,
        kode_kab=run.kode_kab,
        periode=run.periode,
        status=run.status,
        parameter=run.parameter or {},
        seed=run.seed,
        versi=run.versi,
        mulai=_utc(run.mulai),
        selesai=_utc(run.selesai),
        detik=run.detik,
        alasan=run.alasan,
        tabel=list(run.tabel),
    )


@router.post(
    "",
    status_code=202,
    response_model=RunStatus,
    summary="Mulai analisis (berjalan di latar belakang; pantau statusnya)",
)
def start(
    request: Request, body: AnalysisRequest, user: AnalystUser, session: SessionDep
) -> RunStatus:
    check_kabupaten(user, body.kode_kab)
    run = request.app.state.runs.start(session, user, body)
    return _status(run)


@router.get("", response_model=list[RunStatus], summary="Daftar analisis (terbaru dulu)")
def list_runs(
    user: CurrentUser,
    session: SessionDep,
    kode_kab: Annotated[str | None, Query(pattern=S.KODE_KAB_PATTERN)] = None,
) -> list[RunStatus]:
    if kode_kab:
        check_kabupaten(user, kode_kab)
    return [_status(r) for r in run_service.list_runs(session, user, kode_kab)]


@router.get("/{run_id}", response_model=RunStatus, summary="Status satu analisis")
def status(run_id: RunId, user: CurrentUser, session: SessionDep) -> RunStatus:
    return _status(run_service.get_run(session, user, run_id))


@router.get(
    "/{run_id}/hasil/{tabel}",
    response_model=Rows,
    summary="Hasil satu analisis (tabel indikator atau perencanaan)",
    responses={200: {"content": {"application/json": {}, CSV_MEDIA: {}, XLSX_MEDIA: {}}}},
)
def result_table(
    request: Request,
    run_id: RunId,
    tabel: Literal[
        "desa", "kecamatan", "kabupaten", "h3", "kantong", "prioritas", "target_opd", "cakupan"
    ],
    user: CurrentUser,
    session: SessionDep,
    lang: LangDep,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    run = run_service.get_run(session, user, run_id)
    api = request.app.state.settings.api
    k = api.disclosure_k
    if tabel in ("desa", "kecamatan", "kabupaten"):
        if tabel != "kabupaten":
            geo_check(user, tabel, api)
        view = results.indicators_of_run(session, user, run, k).view
        frame, applied = getattr(view, tabel), view.suppressed_k
    elif tabel == "h3":
        geo_check(user, "h3", api)
        frame = results.h3_of_run(session, user, run, k)
        applied = k if is_suppressed_role(user.role) else None
    else:
        frame, applied = results.planning_of_run(session, user, run, tabel, k)
    return respond(request, session, user, frame, run, applied, format, tabel, lang)
