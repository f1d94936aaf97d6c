"""Ground checks (uji petik), transitions between periodes, and targets.

- ``POST /kabupaten/{kode_kab}/uji-petik``: draw a sample from the families in the database
  (flagged families ordered by the newest run's pockets and desa ranks, plus a stratified
  random sample per desa); ``GET`` lists the samples;
- ``GET /uji-petik/{sampel_id}``, ``.../berkas`` (field files: XLSX, CSV or GeoPackage, of one
  desa or the whole sample), ``POST .../hasil`` (returned results, all or nothing unless
  ``sebagian=true``; 409 for the same file again), ``.../progres`` (per desa as JSON, GeoJSON
  or CSV, with error-rate estimates);
- ``GET /kabupaten/{kode_kab}/transisi``: desil transitions and graduation across periodes;
- ``GET /kabupaten/{kode_kab}/target``: progress towards the kabupaten's targets.

Samples, field files, results and transitions are household-level: ``analis`` and ``admin``
of the kabupaten only; every read, export and import of them leaves an audit row. Targets are
kabupaten figures: every role of the kabupaten.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from geo_service.analysis import schema as S
from geo_service.analysis import uji_petik as G
from geo_service.analysis.target import progress_report
from geo_service.api.deps import (
    AnalystUser,
    ApiSettingsDep,
    CurrentUser,
    KodeKab,
    LangDep,
    SessionDep,
    SettingsDep,
    check_kabupaten,
)
from geo_service.api.formats import (
    CSV_MEDIA,
    GEOJSON_MEDIA,
    csv_response,
    feature_collection,
    records,
)
from geo_service.api.schemas import (
    ErrorBody,
    FeatureCollection,
    FieldImportReport,
    ProgressBody,
    Responses,
    SampleRequest,
    SampleSummary,
    TargetRows,
    TransitionBody,
)
from geo_service.api.uploads import saved_upload
from geo_service.errors import InvalidInputError
from geo_service.services import audit as audit_service
from geo_service.services import target as target_service
from geo_service.services import transisi as transisi_service
from geo_service.services import uji_petik as uji_petik_service

ERRORS: Responses = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
router = APIRouter(tags=["uji petik, transisi, target"], responses=ERRORS)

SampelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
KodeDesa = Annotated[
    str | None,
    Query(
        pattern=S.KODE_DESA_PATTERN,
        examples=["33.24.01.2001"],
        description="Satu desa; kosong = seluruh sampel",
    ),
]
RESULT_SUFFIXES = (".csv", ".xlsx", ".gpkg")
FILE_CONTENT: Responses = {
    200: {"content": {m: {} for m in uji_petik_service.FIELD_MEDIA.values()}}
}


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _summary(info) -> SampleSummary:
    return SampleSummary(**info.to_dict())


@router.post(
    "/kabupaten/{kode_kab}/uji-petik",
    status_code=201,
    response_model=SampleSummary,
    summary="Buat sampel uji petik dari data keluarga di basis data",
)
def create_sample(
    kode_kab: KodeKab,
    user: AnalystUser,
    session: SessionDep,
    body: Annotated[SampleRequest | None, Body()] = None,
) -> SampleSummary:
    check_kabupaten(user, kode_kab)
    req = body or SampleRequest()
    try:
        params = G.SampleParams(
            seed=req.seed,
            n_per_desa=req.n_per_desa,
            alokasi=req.alokasi,
            min_per_strata=req.min_per_strata,
            maks_bendera=req.maks_bendera,
            maks_bendera_per_desa=req.maks_bendera_per_desa,
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc), str(exc)) from exc
    info = uji_petik_service.build_sample(
        session, user, kode_kab, periode=req.periode, params=params, now=datetime.now(UTC)
    )
    return _summary(info)


@router.get(
    "/kabupaten/{kode_kab}/uji-petik",
    response_model=list[SampleSummary],
    summary="Daftar sampel uji petik kabupaten",
)
def list_samples(kode_kab: KodeKab, user: AnalystUser, session: SessionDep) -> list[SampleSummary]:
    check_kabupaten(user, kode_kab)
    return [_summary(i) for i in uji_petik_service.list_samples(session, user, kode_kab)]


@router.get("/uji-petik/{sampel_id}", response_model=SampleSummary, summary="Satu sampel uji petik")
def get_sample(sampel_id: SampelId, user: AnalystUser, session: SessionDep) -> SampleSummary:
    return _summary(uji_petik_service.sample_info(session, user, sampel_id))


@router.get(
    "/uji-petik/{sampel_id}/berkas",
    response_class=Response,
    responses=FILE_CONTENT,
    summary="Berkas lapangan: XLSX, CSV atau GeoPackage (satu desa, atau seluruh sampel)",
)
def field_files(
    request: Request,
    sampel_id: SampelId,
    user: AnalystUser,
    session: SessionDep,
    lang: LangDep,
    format: Literal["xlsx", "csv", "gpkg"] = "xlsx",
    desa: KodeDesa = None,
) -> Response:
    body, name, media, n = uji_petik_service.field_files(
        session, user, sampel_id, format, desa, lang
    )
    info = uji_petik_service.sample_info(session, user, sampel_id)
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "ekspor",
        objek=f"uji_petik:{sampel_id}",
        kode_kab=info.kode_kab,
        periode=info.periode,
        n_baris=n,
        rincian={"format": format, "desa": desa},
        alamat_ip=_ip(request),
    )
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post(
    "/uji-petik/{sampel_id}/hasil",
    status_code=201,
    response_model=FieldImportReport,
    responses={409: {"model": ErrorBody}, 413: {"model": ErrorBody}},
    summary="Unggah hasil lapangan (CSV, XLSX atau GeoPackage yang dikembalikan)",
)
def upload_results(
    request: Request,
    sampel_id: SampelId,
    user: AnalystUser,
    session: SessionDep,
    settings: SettingsDep,
    lang: LangDep,
    berkas: Annotated[
        UploadFile | None, File(description="Hasil lapangan: .csv, .xlsx atau .gpkg")
    ] = None,
    sebagian: Annotated[
        bool, Form(description="Impor baris sah walau ada baris bermasalah")
    ] = False,
) -> FieldImportReport:
    uji_petik_service.sample_info(session, user, sampel_id)  # 404 before looking at the body
    if berkas is None or not berkas.filename:
        raise InvalidInputError(
            "Berkas hasil wajib dikirim (kolom 'berkas').",
            "A result file is required (field 'berkas').",
        )
    if not berkas.filename.lower().endswith(RESULT_SUFFIXES):
        raise InvalidInputError(
            f"Jenis berkas tidak didukung: {berkas.filename} (boleh: .csv, .xlsx, .gpkg)",
            f"Unsupported file type: {berkas.filename} (allowed: .csv, .xlsx, .gpkg)",
        )
    with saved_upload(berkas, max_bytes=settings.imports.upload_max_bytes) as up:
        out, verified = uji_petik_service.import_field_results(
            session,
            user,
            sampel_id,
            up.path,
            filename=up.filename,
            sha256=up.sha256,
            size=up.size,
            partial=sebagian,
            lang=lang,
            now=datetime.now(UTC),
            alamat_ip=_ip(request),
        )
    return FieldImportReport(**out.to_dict(), laporan_warga_diverifikasi=verified)


@router.get(
    "/uji-petik/{sampel_id}/progres",
    response_model=ProgressBody | FeatureCollection,
    responses={200: {"content": {"application/json": {}, GEOJSON_MEDIA: {}, CSV_MEDIA: {}}}},
    summary="Progres per desa (tabel, peta) dan taksiran persentase data tidak sesuai",
)
def progress(
    sampel_id: SampelId,
    user: AnalystUser,
    session: SessionDep,
    lang: LangDep,
    format: Literal["json", "geojson", "csv"] = "json",
    kelompok: Literal["kecamatan", "desa"] = "kecamatan",
) -> Response:
    info, prog, est = uji_petik_service.sample_progress(
        session, user, sampel_id, kelompok=kelompok, lang=lang
    )
    if format == "geojson":
        return JSONResponse(
            feature_collection(uji_petik_service.progress_shapes(session, user, info, prog)),
            media_type=GEOJSON_MEDIA,
        )
    if format == "csv":
        return csv_response(prog, f"progres_uji_petik_{sampel_id}.csv")
    sums = prog[["n_sampel", "n_acak", "n_bendera", "n_selesai", "n_selesai_acak", "n_salah"]].sum()
    total: dict[str, float] = {k: int(v) for k, v in sums.items()}
    total["pct_selesai"] = round(100.0 * total["n_selesai"] / max(total["n_sampel"], 1), 1)
    body = ProgressBody(
        sampel=_summary(info), total=total, progres=records(prog), taksiran=records(est)
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get(
    "/kabupaten/{kode_kab}/transisi",
    response_model=TransitionBody,
    responses={200: {"content": {"application/json": {}, CSV_MEDIA: {}}}},
    summary="Transisi desil dan graduasi antar periode (keluarga dicocokkan per id)",
)
def transitions(
    request: Request,
    kode_kab: KodeKab,
    user: AnalystUser,
    session: SessionDep,
    lang: LangDep,
    periode: Annotated[
        list[str] | None,
        Query(description="Dua periode atau lebih (ulangi); kosong = semua periode", max_length=24),
    ] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)
    for p in periode or []:
        if not (
            len(p) == 7
            and p[4] == "-"
            and p[:4].isdigit()
            and p[5:].isdigit()
            and 1 <= int(p[5:]) <= 12
        ):
            raise InvalidInputError(
                f"Periode tidak valid: {p} (YYYY-MM)", f"Invalid periode: {p} (YYYY-MM)"
            )
    out = transisi_service.transitions(session, user, kode_kab, periode, lang)
    audit_service.end_read(session)
    audit_service.record_audit(
        session,
        user,
        "baca_keluarga",
        objek="transisi",
        kode_kab=kode_kab,
        periode=out["periode"][-1],
        n_baris=sum(out["n_keluarga"].values()),
        rincian={"periode": out["periode"], "format": format},
        alamat_ip=_ip(request),
    )
    if format == "csv":
        return csv_response(out["graduasi"], f"graduasi_{kode_kab}.csv")
    body = TransitionBody(
        **{
            **out,
            "graduasi": records(out["graduasi"]),
            "tren": None if out["tren"] is None else records(out["tren"]),
            "kelas_kantong": None
            if out["kelas_kantong"] is None
            else records(out["kelas_kantong"]),
        }
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get(
    "/kabupaten/{kode_kab}/target",
    response_model=TargetRows,
    responses={200: {"content": {"application/json": {}, CSV_MEDIA: {}}}},
    summary="Capaian target kabupaten: nilai sekarang, target, laju diperlukan/teramati",
)
def targets(
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    api: ApiSettingsDep,
    lang: LangDep,
    format: Literal["json", "csv"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)
    table = target_service.target_progress(
        session, user, kode_kab, settings=settings, k=api.disclosure_k, lang=lang
    )
    if format == "csv":
        return csv_response(table, f"target_{kode_kab}.csv")
    body = TargetRows(
        kode_kab=kode_kab,
        baris=records(table),
        teks=progress_report(table, lang) if len(table) else "",
    )
    return JSONResponse(body.model_dump(mode="json"))
