"""Results of the newest finished run of a kabupaten: indicators, pockets, priorities,
OPD targets and coverage gaps, as GeoJSON, JSON, CSV (UTF-8 BOM) or XLSX.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from geo_service.api import results
from geo_service.api.cache import cached, newest_run_id
from geo_service.api.deps import (
    ApiSettingsDep,
    CurrentUser,
    KodeKab,
    LangDep,
    SessionDep,
    check_kabupaten,
)
from geo_service.api.formats import (
    CSV_MEDIA,
    GEOJSON_MEDIA,
    GPKG_MEDIA,
    XLSX_MEDIA,
    feature_collection,
)
from geo_service.api.responses import geo_check, respond, table_rows, tolerance_deg
from geo_service.api.schemas import ErrorBody, FeatureCollection, Responses, Rows
from geo_service.api.security import Principal
from geo_service.services import runs as run_service

router = APIRouter(
    prefix="/kabupaten/{kode_kab}",
    tags=["hasil"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)


Periode = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; kosong = periode terbaru"),
]


TABLE_CONTENT: Responses = {
    200: {"content": {"application/json": {}, CSV_MEDIA: {}, XLSX_MEDIA: {}}}
}


GEO_CONTENT: Responses = {
    200: {"content": {GEOJSON_MEDIA: {}, "application/json": {}, CSV_MEDIA: {}, GPKG_MEDIA: {}}}
}


def _newest_cached(
    request: Request, session, user: Principal, kode_kab: str, periode: str | None, lang: str, build
) -> Response:
    """``build()``'s response for the newest finished run, cached per run, URL and viewer."""
    run_id = newest_run_id(
        request,
        user,
        kode_kab,
        periode,
        lambda: run_service.finished_run(session, user, kode_kab, periode).id,
    )
    return cached(request, user, run_id, lang, build)


@router.get(
    "/indikator/desa",
    summary="Indikator per desa",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def indikator_desa(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    format: Literal["geojson", "json", "csv", "xlsx", "gpkg"] = "geojson",
    zoom: Annotated[
        int | None,
        Query(
            ge=5,
            le=18,
            description="GeoJSON: sederhanakan geometri untuk zoom "
            "peta ini (kosong: geometri penuh)",
        ),
    ] = None,
) -> Response:
    check_kabupaten(user, kode_kab)
    geo_check(user, "desa", api)

    def build() -> Response:
        ind = results.indicators(session, user, kode_kab, periode, api.disclosure_k)
        if format == "geojson" and zoom is not None:
            return JSONResponse(
                feature_collection(ind.view.desa, simplify_deg=tolerance_deg(zoom)),
                media_type=GEOJSON_MEDIA,
            )
        return respond(
            request,
            session,
            user,
            ind.view.desa,
            ind.run,
            ind.view.suppressed_k,
            format,
            "indikator_desa",
            lang,
        )

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


@router.get(
    "/indikator/kecamatan",
    summary="Indikator per kecamatan",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def indikator_kecamatan(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)
    geo_check(user, "kecamatan", api)

    def build() -> Response:
        ind = results.indicators(session, user, kode_kab, periode, api.disclosure_k)
        return respond(
            request,
            session,
            user,
            ind.view.kecamatan,
            ind.run,
            ind.view.suppressed_k,
            format,
            "indikator_kecamatan",
            lang,
        )

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


@router.get(
    "/indikator/kabupaten",
    summary="Indikator kabupaten (total)",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def indikator_kabupaten(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)

    def build() -> Response:
        ind = results.indicators(session, user, kode_kab, periode, api.disclosure_k)
        return respond(
            request,
            session,
            user,
            ind.view.kabupaten,
            ind.run,
            ind.view.suppressed_k,
            format,
            "indikator_kabupaten",
            lang,
        )

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


@router.get(
    "/indikator/h3",
    summary="Indikator per sel H3",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def indikator_h3(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    resolusi: Annotated[int | None, Query(ge=5, le=10)] = None,
    format: Literal["geojson", "json", "csv", "xlsx", "gpkg"] = "geojson",
) -> Response:
    check_kabupaten(user, kode_kab)
    geo_check(user, "h3", api)

    def build() -> Response:
        run = run_service.finished_run(session, user, kode_kab, periode)
        view = results.h3_cells(session, user, run, api, resolusi=resolusi)
        k = api.disclosure_k if user.role in ("opd", "publik") else None
        return respond(request, session, user, view, run, k, format, "indikator_h3", lang)

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


@router.get(
    "/kantong",
    summary="Kantong kemiskinan ekstrem",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def kantong(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    format: Literal["geojson", "json", "csv", "xlsx", "gpkg"] = "geojson",
) -> Response:
    check_kabupaten(user, kode_kab)

    def build() -> Response:
        run, table, k = results.planning_table(
            session, user, kode_kab, periode, "kantong", api.disclosure_k
        )
        if format == "geojson" and not isinstance(table, gpd.GeoDataFrame):
            table = gpd.GeoDataFrame(
                table, geometry=gpd.GeoSeries([], crs=4326) if table.empty else None, crs=4326
            )
        return respond(request, session, user, table, run, k, format, "kantong", lang)

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


SORTABLE = (
    "peringkat",
    "skor",
    "n_jiwa_ekstrem",
    "pct_jiwa_ekstrem",
    "n_keluarga_ekstrem",
    "nama_desa",
    "kode_desa",
)


@router.get(
    "/prioritas",
    summary="Daftar desa prioritas: saring, urutkan, halaman",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def prioritas(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    kecamatan: Annotated[
        str | None, Query(max_length=100, description="Kode atau nama kecamatan")
    ] = None,
    kuadran: Annotated[list[Literal["I", "II", "III", "IV"]] | None, Query()] = None,
    min_keluarga: Annotated[
        int, Query(ge=0, le=1_000_000, description="Minimal keluarga miskin ekstrem")
    ] = 0,
    urut: Literal[SORTABLE] = "peringkat",  # type: ignore[valid-type]
    arah: Literal["naik", "turun"] = "naik",
    halaman: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_halaman: Annotated[int, Query(ge=1, le=1000)] = 50,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)

    def build() -> Response:
        run, table, k = results.planning_table(
            session, user, kode_kab, periode, "prioritas", api.disclosure_k
        )
        table = filter_priorities(
            table,
            kecamatan=kecamatan,
            kuadran=kuadran,
            min_keluarga=min_keluarga,
            urut=urut,
            arah=arah,
        )
        if format != "json":
            return respond(request, session, user, table, run, k, format, "prioritas", lang)
        start = (halaman - 1) * per_halaman
        page = table.iloc[start : start + per_halaman]
        return JSONResponse(
            table_rows(page, run, k, total=len(table), halaman=halaman, per_halaman=per_halaman)
        )

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


def filter_priorities(
    table: pd.DataFrame,
    *,
    kecamatan: str | None,
    kuadran: Sequence[str] | None,
    min_keluarga: int,
    urut: str,
    arah: str,
) -> pd.DataFrame:
    """Filter and sort the priority list (pure)."""
    out = table
    if out.empty:
        return out
    if kecamatan:
        mask = pd.Series(False, index=out.index)
        for col in ("kode_kec", "nama_kec"):
            if col in out.columns:
                mask |= out[col].astype(str).str.casefold() == kecamatan.casefold()
        out = out[mask]
    if kuadran and "kuadran" in out.columns:
        wanted = set(kuadran)
        out = out[out["kuadran"].astype(str).isin(wanted)]
    if min_keluarga and "n_keluarga_ekstrem" in out.columns:
        out = out[
            pd.to_numeric(out["n_keluarga_ekstrem"], errors="coerce").fillna(-1) >= min_keluarga
        ]
    if urut in out.columns:
        key = out[urut]
        if urut not in ("nama_desa", "kode_desa"):
            key = pd.to_numeric(key, errors="coerce")
        order = key.sort_values(ascending=arah == "naik", na_position="last", kind="stable").index
        out = out.loc[order]
    return out.reset_index(drop=True)


@router.get(
    "/target-opd", summary="Target desa per OPD", response_model=Rows, responses=TABLE_CONTENT
)
def target_opd(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    opd: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)

    def build() -> Response:
        run, table, k = results.planning_table(
            session, user, kode_kab, periode, "target_opd", api.disclosure_k
        )
        if opd and "opd" in table.columns:
            table = table[table["opd"].astype(str).str.casefold() == opd.casefold()]
        return respond(request, session, user, table, run, k, format, "target_opd", lang)

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)


@router.get(
    "/cakupan",
    summary="Kesenjangan cakupan program (PKH, BPNT, PBI-JK)",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def cakupan(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    check_kabupaten(user, kode_kab)

    def build() -> Response:
        run, table, k = results.planning_table(
            session, user, kode_kab, periode, "cakupan", api.disclosure_k
        )
        return respond(request, session, user, table, run, k, format, "cakupan", lang)

    return _newest_cached(request, session, user, kode_kab, periode, lang, build)
