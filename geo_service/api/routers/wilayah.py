"""Wilayah: kabupaten list; kecamatan and desa of a kabupaten as GeoJSON simplified by zoom."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from geo_service.api import service
from geo_service.api.deps import CurrentUser, SessionDep, check_kabupaten
from geo_service.api.formats import GEOJSON_MEDIA, feature_collection
from geo_service.api.schemas import ErrorBody, FeatureCollection, KabupatenItem

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
KodeKab = Annotated[str, Path(pattern=r"^\d{2}\.\d{2}$", examples=["33.24"])]
Zoom = Annotated[
    int,
    Query(
        ge=5,
        le=18,
        description="Zoom peta; geometri disederhanakan sekitar satu piksel pada zoom ini.",
    ),
]


def tolerance_deg(zoom: int) -> float:
    """About one screen pixel at ``zoom`` (256-pixel tiles), in degrees."""
    return 360.0 / (256 * 2**zoom)


@router.get(
    "/kabupaten",
    response_model=list[KabupatenItem],
    summary="Kabupaten yang boleh dilihat pengguna",
)
def kabupaten(user: CurrentUser, session: SessionDep) -> list[KabupatenItem]:
    return [KabupatenItem(**row) for row in service.list_kabupaten(session, user)]


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
    gdf = service.wilayah(session, user, kode_kab, "kecamatan")
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
    gdf = service.wilayah(session, user, kode_kab, "desa")
    return JSONResponse(
        feature_collection(gdf, simplify_deg=tolerance_deg(zoom)), media_type=GEOJSON_MEDIA
    )
