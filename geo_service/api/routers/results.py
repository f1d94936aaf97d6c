"""Results of the newest finished run of a kabupaten: indicators, pockets, priorities,
OPD targets and coverage gaps, as GeoJSON, JSON, CSV (UTF-8 BOM) or XLSX.

Every route takes :class:`~geo_service.api.deps.KabupatenQuery` (kabupaten, caller, session,
settings, language, periode), checks the kabupaten and the geography, and answers through
:func:`_newest` (the newest finished run, the response cache, the format).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Literal

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from geo_service.api.cache import cached, newest_run_id
from geo_service.api.deps import KabupatenDep, KabupatenQuery, check_kabupaten
from geo_service.api.formats import (
    CSV_MEDIA,
    GEOJSON_MEDIA,
    GPKG_MEDIA,
    XLSX_MEDIA,
    feature_collection,
)
from geo_service.api.responses import geo_check, respond, table_rows, tolerance_deg
from geo_service.api.schemas import ErrorBody, FeatureCollection, Responses, Rows
from geo_service.db.repo import RunInfo
from geo_service.services import results
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


TABLE_CONTENT: Responses = {
    200: {"content": {"application/json": {}, CSV_MEDIA: {}, XLSX_MEDIA: {}}}
}


GEO_CONTENT: Responses = {
    200: {"content": {GEOJSON_MEDIA: {}, "application/json": {}, CSV_MEDIA: {}, GPKG_MEDIA: {}}}
}

Fetched = tuple[RunInfo, pd.DataFrame, int | None]  # run, table as the caller sees it, k


def _checked(q: KabupatenQuery, geography: str | None = None) -> None:
    """403 outside the caller's kabupaten; then 403 for a geography the role may not see."""
    check_kabupaten(q.user, q.kode_kab)
    if geography is not None:
        geo_check(q.user, geography, q.api)


def _newest_cached(q: KabupatenQuery, build: Callable[[], Response]) -> Response:
    """``build()``'s response for the newest finished run, cached per run, URL and viewer."""
    run_id = newest_run_id(
        q.request,
        q.user,
        q.kode_kab,
        q.periode,
        lambda: run_service.finished_run(q.session, q.user, q.kode_kab, q.periode).id,
    )
    return cached(q.request, q.user, run_id, q.lang, build)


def _newest(q: KabupatenQuery, format: str, nama: str, fetch: Callable[[], Fetched]) -> Response:
    """The table ``fetch()`` returns for the newest finished run, written as ``format``."""

    def build() -> Response:
        run, table, k = fetch()
        return respond(q.request, q.session, q.user, table, run, k, format, nama, q.lang)

    return _newest_cached(q, build)


def _indicators(q: KabupatenQuery, level: str) -> Fetched:
    ind = results.indicators(q.session, q.user, q.kode_kab, q.periode, q.api.disclosure_k)
    table = ind.view.kecamatan if level == "kecamatan" else ind.view.kabupaten
    return ind.run, table, ind.view.suppressed_k


def _planning(q: KabupatenQuery, nama: str) -> Fetched:
    # Reasons and labels in the request's language (issue 14).
    return results.planning_table(
        q.session, q.user, q.kode_kab, q.periode, nama, q.api.disclosure_k, q.lang
    )


@router.get(
    "/indikator/desa",
    summary="Indikator per desa",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def indikator_desa(
    q: KabupatenDep,
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
    _checked(q, "desa")

    def build() -> Response:
        ind = results.indicators(q.session, q.user, q.kode_kab, q.periode, q.api.disclosure_k)
        if format == "geojson" and zoom is not None:
            return JSONResponse(
                feature_collection(ind.view.desa, simplify_deg=tolerance_deg(zoom)),
                media_type=GEOJSON_MEDIA,
            )
        return respond(
            q.request,
            q.session,
            q.user,
            ind.view.desa,
            ind.run,
            ind.view.suppressed_k,
            format,
            "indikator_desa",
            q.lang,
        )

    return _newest_cached(q, build)


@router.get(
    "/indikator/kecamatan",
    summary="Indikator per kecamatan",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def indikator_kecamatan(
    q: KabupatenDep, format: Literal["json", "csv", "xlsx"] = "json"
) -> Response:
    _checked(q, "kecamatan")
    return _newest(q, format, "indikator_kecamatan", lambda: _indicators(q, "kecamatan"))


@router.get(
    "/indikator/kabupaten",
    summary="Indikator kabupaten (total)",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def indikator_kabupaten(
    q: KabupatenDep, format: Literal["json", "csv", "xlsx"] = "json"
) -> Response:
    _checked(q)
    return _newest(q, format, "indikator_kabupaten", lambda: _indicators(q, "kabupaten"))


@router.get(
    "/indikator/h3",
    summary="Indikator per sel H3",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def indikator_h3(
    q: KabupatenDep,
    resolusi: Annotated[int | None, Query(ge=5, le=10)] = None,
    format: Literal["geojson", "json", "csv", "xlsx", "gpkg"] = "geojson",
) -> Response:
    _checked(q, "h3")

    def fetch() -> Fetched:
        run = run_service.finished_run(q.session, q.user, q.kode_kab, q.periode)
        view = results.h3_cells(q.session, q.user, run, q.api, resolusi=resolusi)
        k = q.api.disclosure_k if q.user.role in ("opd", "publik") else None
        return run, view, k

    return _newest(q, format, "indikator_h3", fetch)


@router.get(
    "/kantong",
    summary="Kantong kemiskinan ekstrem",
    response_model=FeatureCollection | Rows,
    responses=GEO_CONTENT,
)
def kantong(
    q: KabupatenDep,
    format: Literal["geojson", "json", "csv", "xlsx", "gpkg"] = "geojson",
) -> Response:
    _checked(q)

    def fetch() -> Fetched:
        run, table, k = _planning(q, "kantong")
        if format == "geojson" and not isinstance(table, gpd.GeoDataFrame):
            table = gpd.GeoDataFrame(
                table, geometry=gpd.GeoSeries([], crs=4326) if table.empty else None, crs=4326
            )
        return run, table, k

    return _newest(q, format, "kantong", fetch)


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
    q: KabupatenDep,
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
    _checked(q)

    def build() -> Response:
        run, table, k = _planning(q, "prioritas")
        table = filter_priorities(
            table,
            kecamatan=kecamatan,
            kuadran=kuadran,
            min_keluarga=min_keluarga,
            urut=urut,
            arah=arah,
        )
        if format != "json":
            return respond(q.request, q.session, q.user, table, run, k, format, "prioritas", q.lang)
        start = (halaman - 1) * per_halaman
        page = table.iloc[start : start + per_halaman]
        return JSONResponse(
            table_rows(page, run, k, total=len(table), halaman=halaman, per_halaman=per_halaman)
        )

    return _newest_cached(q, build)


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
    q: KabupatenDep,
    opd: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    _checked(q)

    def fetch() -> Fetched:
        run, table, k = _planning(q, "target_opd")
        if opd and "opd" in table.columns:
            table = table[table["opd"].astype(str).str.casefold() == opd.casefold()]
        return run, table, k

    return _newest(q, format, "target_opd", fetch)


@router.get(
    "/cakupan",
    summary="Kesenjangan cakupan program (PKH, BPNT, PBI-JK)",
    response_model=Rows,
    responses=TABLE_CONTENT,
)
def cakupan(q: KabupatenDep, format: Literal["json", "csv", "xlsx"] = "json") -> Response:
    _checked(q)
    return _newest(q, format, "cakupan", lambda: _planning(q, "cakupan"))
