"""Wilayah: kabupaten list; kecamatan and desa of a kabupaten as GeoJSON simplified by zoom."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from geo_service.api.deps import CurrentUser, KodeKab, SessionDep, check_kabupaten
from geo_service.api.formats import GEOJSON_MEDIA, feature_collection
from geo_service.api.responses import tolerance_deg
from geo_service.api.schemas import ErrorBody, FeatureCollection, KabupatenItem
from geo_service.services import wilayah as wilayah_service

router = APIRouter(
    prefix="/wilayah",
    tags=["wilayah"],
    responses={
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
Zoom = Annotated[
    int,
    Query(
        ge=5,
        le=18,
        description="Zoom peta; geometri disederhanakan sekitar satu piksel pada zoom ini.",
    ),
]


@router.get(
    "/kabupaten",
    response_model=list[KabupatenItem],
    summary="Kabupaten yang boleh dilihat pengguna",
)
def kabupaten(user: CurrentUser, session: SessionDep) -> list[KabupatenItem]:
    return [KabupatenItem(**row) for row in wilayah_service.list_kabupaten(session, user)]


@router.get(
    "/kabupaten/{kode_kab}/kecamatan",
    response_model=FeatureCollection,
    summary="Batas kecamatan (GeoJSON)",
    responses={200: {"content": {GEOJSON_MEDIA: {}}}},
)
def kecamatan(
    kode_kab: KodeKab, user: CurrentUser, session: SessionDep, zoom: Zoom = 10
) -> JSONResponse:
    check_kabupaten(user, kode_kab)
    gdf = wilayah_service.wilayah(session, user, kode_kab, "kecamatan")
    return JSONResponse(
        feature_collection(gdf, simplify_deg=tolerance_deg(zoom)), media_type=GEOJSON_MEDIA
    )


@router.get(
    "/kabupaten/{kode_kab}/desa",
    response_model=FeatureCollection,
    summary="Batas desa (GeoJSON)",
    responses={200: {"content": {GEOJSON_MEDIA: {}}}},
)
def desa(
    kode_kab: KodeKab, user: CurrentUser, session: SessionDep, zoom: Zoom = 10
) -> JSONResponse:
    check_kabupaten(user, kode_kab)
    gdf = wilayah_service.wilayah(session, user, kode_kab, "desa")
    return JSONResponse(
        feature_collection(gdf, simplify_deg=tolerance_deg(zoom)), media_type=GEOJSON_MEDIA
    )
