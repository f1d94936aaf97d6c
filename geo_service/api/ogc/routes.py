"""OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 3 simple property filters)
and vector tiles under ``/ogc``, for QGIS, ArcGIS and GDAL (``OAPIF:``).

The landing page and the conformance list are open (they hold no data); everything else
needs the same credentials as the JSON API: ``X-API-Key`` header (QGIS "API Header"
authentication), Bearer token, or HTTP Basic when enabled.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from geo_service import __version__
from geo_service.api.cache import cached
from geo_service.api.deps import ApiSettingsDep, CurrentUser, LangDep, SessionDep
from geo_service.api.ogc import data
from geo_service.api.ogc.features import RESERVED, ParameterError, page_links, queryables, select
from geo_service.api.ogc.openapi import OPENAPI_MEDIA, document
from geo_service.api.schemas import ErrorBody
from geo_service.api.security import Principal
from geo_service.errors import NotFoundError
from geo_service.i18n import teks
from geo_service.io import mvt
from geo_service.io.geojson import GEOJSON_MEDIA, feature_collection, features
from geo_service.services import audit as audit_service
from geo_service.services import tiles
from geo_service.services import wilayah as wilayah_service

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 422, 429)
}
router = APIRouter(prefix="/ogc", tags=["OGC API"], responses=_ERRORS)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
JSON = "application/json"
SCHEMA_MEDIA = "application/schema+json"
CollectionId = Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9_.\-]+$")]
Limit = Annotated[int | None, Query(ge=1, description="Jumlah fitur per halaman (maks 10000)")]
Offset = Annotated[int, Query(ge=0)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"code": "InvalidParameterValue", "description": message}, 400)


def _format_ok(request: Request) -> bool:
    return request.query_params.get("f", "json") in ("json", "geojson")


def _cache(request: Request) -> data.LayerCache:
    cache = getattr(request.app.state, "ogc_layers", None)
    if cache is None:
        cache = request.app.state.ogc_layers = data.LayerCache()
    return cache


def _layer(request: Request, session, user: Principal, api, col: data.Collection):
    return data.released_layer(session, user, api, col, _cache(request))


@router.get("", summary="Halaman awal OGC API", include_in_schema=True)
@router.get("/", include_in_schema=False)
def landing(request: Request, lang: LangDep) -> JSONResponse:
    base = _base(request)
    return JSONResponse(
        {
            "title": teks(
                (
                    "geo_service — kantong kemiskinan ekstrem",
                    "geo_service — extreme-poverty pockets",
                ),
                lang,
            ),
            "description": teks(
                (
                    (
                        "Indikator desa dan sel H3, kantong dan desa prioritas per kabupaten "
                        "sebagai OGC API – Features dan vector tiles."
                    ),
                    (
                        "Desa and H3 indicators, pockets and priority desa per kabupaten as OGC API – "
                        "Features and vector tiles."
                    ),
                ),
                lang,
            ),
            "links": [
                {"href": base, "rel": "self", "type": JSON, "title": "halaman ini"},
                {
                    "href": f"{base}/api",
                    "rel": "service-desc",
                    "type": OPENAPI_MEDIA,
                    "title": "OpenAPI 3.0",
                },
                {
                    "href": str(request.base_url).rstrip("/") + "/docs",
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": "Dokumentasi API",
                },
                {
                    "href": f"{base}/conformance",
                    "rel": "conformance",
                    "type": JSON,
                    "title": "Kelas kesesuaian",
                },
                {"href": f"{base}/collections", "rel": "data", "type": JSON, "title": "Koleksi"},
            ],
        }
    )


@router.get("/conformance", summary="Kelas kesesuaian OGC")
def conformance() -> JSONResponse:
    return JSONResponse({"conformsTo": CONFORMANCE})


def _collection_json(
    request: Request, col: data.Collection, lang: str, bbox: list[float] | None
) -> dict[str, Any]:
    base = _base(request)
    cid = col.ref.id
    here = f"{base}/collections/{cid}"
    links: list[dict[str, Any]] = [
        {"href": here, "rel": "self", "type": JSON, "title": col.title(lang)},
        {"href": f"{here}/items", "rel": "items", "type": GEOJSON_MEDIA, "title": "Fitur"},
        {
            "href": f"{here}/queryables",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "type": SCHEMA_MEDIA,
            "title": "Properti yang bisa disaring",
        },
    ]
    if data.KINDS[col.ref.kind].tiles:
        links.append(
            {
                "href": f"{here}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}",
                "rel": "item",
                "type": mvt.MVT_MEDIA,
                "title": "Vector tiles (MVT, WebMercatorQuad)",
                "templated": True,
            }
        )
    out: dict[str, Any] = {
        "id": cid,
        "title": col.title(lang),
        "description": f"Analisis #{col.run.id}, periode {col.run.periode}.",
        "links": links,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
    }
    if bbox:
        out["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
    return out


EXTENT_TTL_S = 300.0  # a kabupaten's extent is remembered this long (boundaries rarely change)


def _kabupaten_bbox(
    request: Request, session, user: Principal, kode_kab: str
) -> list[float] | None:
    """The extent of a kabupaten's desa (the caller's scope is checked by the query)."""
    memo = getattr(request.app.state, "ogc_extents", None)
    if memo is None:
        memo = request.app.state.ogc_extents = {}
    hit = memo.get(kode_kab)
    if hit is not None and time.monotonic() - hit[0] < EXTENT_TTL_S and user.may_see(kode_kab):
        return hit[1]
    try:
        bbox = data.extent(wilayah_service.wilayah(session, user, kode_kab, "desa"))
    except NotFoundError:
        bbox = None
    memo[kode_kab] = (time.monotonic(), bbox)
    return bbox


@router.get("/collections", summary="Koleksi (lapisan) yang boleh dibaca")
def collections(
    request: Request, user: CurrentUser, session: SessionDep, api: ApiSettingsDep, lang: LangDep
) -> JSONResponse:
    if not _format_ok(request):
        return _bad("f harus json")
    base = _base(request)
    cols = [
        _collection_json(request, c, lang, _kabupaten_bbox(request, session, user, c.ref.kode_kab))
        for c in data.catalogue(session, user, api)
    ]
    return JSONResponse(
        {
            "links": [
                {"href": f"{base}/collections", "rel": "self", "type": JSON, "title": "Koleksi"}
            ],
            "collections": cols,
        }
    )


@router.get("/collections/{collection_id}", summary="Keterangan satu koleksi")
def collection(
    request: Request,
    collection_id: CollectionId,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
) -> JSONResponse:
    col = data.resolve(session, user, api, collection_id)
    bbox = _kabupaten_bbox(request, session, user, col.ref.kode_kab)
    return JSONResponse(_collection_json(request, col, lang, bbox))


@router.get("/collections/{collection_id}/queryables", summary="Properti yang bisa disaring")
def collection_queryables(
    request: Request,
    collection_id: CollectionId,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
) -> JSONResponse:
    col = data.resolve(session, user, api, collection_id)
    layer = _layer(request, session, user, api, col)
    url = f"{_base(request)}/collections/{col.ref.id}/queryables"
    return JSONResponse(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": url,
            "type": "object",
            "title": col.title(lang),
            "properties": {
                name: {"title": name, "type": kind} for name, kind in queryables(layer).items()
            },
            "additionalProperties": True,
        },
        media_type=SCHEMA_MEDIA,
    )


@router.get(
    "/collections/{collection_id}/items",
    summary="Fitur satu koleksi (GeoJSON; bbox, limit, offset, saringan properti)",
    responses={200: {"content": {GEOJSON_MEDIA: {}}}},
)
def items(
    request: Request,
    collection_id: CollectionId,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    limit: Limit = None,
    offset: Offset = 0,
    bbox: Annotated[
        str | None, Query(max_length=200, description="minLon,minLat,maxLon,maxLat")
    ] = None,
) -> Response:
    if not _format_ok(request):
        return _bad("f harus json atau geojson")
    col = data.resolve(session, user, api, collection_id)

    def build() -> Response:
        layer = _layer(request, session, user, api, col)
        filters = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        try:
            sel = select(layer, bbox=bbox, filters=filters, limit=limit, offset=offset)
        except ParameterError as exc:
            return _bad(str(exc))
        url = f"{_base(request)}/collections/{col.ref.id}/items"
        params = dict(request.query_params)
        links = page_links(url, params, sel, GEOJSON_MEDIA) + [
            {
                "href": f"{_base(request)}/collections/{col.ref.id}",
                "rel": "collection",
                "type": JSON,
                "title": "Koleksi",
            }
        ]
        body = feature_collection(
            sel.rows,
            id_column=data.feature_key(col.ref.kind, layer),
            links=links,
            numberMatched=sel.matched,
            numberReturned=len(sel.rows),
            timeStamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        return JSONResponse(body, media_type=GEOJSON_MEDIA)

    # A finished run never changes: pages are kept per run, URL and viewer (and base URL,
    # which the links carry).
    return cached(request, user, col.run.id, _base(request), build)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="Satu fitur",
    responses={200: {"content": {GEOJSON_MEDIA: {}}}},
)
def item(
    request: Request,
    collection_id: CollectionId,
    feature_id: Annotated[str, Path(max_length=64)],
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
) -> Response:
    col = data.resolve(session, user, api, collection_id)
    layer = _layer(request, session, user, api, col)
    key = data.feature_key(col.ref.kind, layer)
    rows = layer[layer[key].astype(str) == feature_id] if key else layer.iloc[0:0]
    if rows.empty:
        raise NotFoundError(f"Fitur '{feature_id}' tidak ada.", f"No feature '{feature_id}'.")
    feat = features(rows.iloc[:1], id_column=key)[0]
    here = f"{_base(request)}/collections/{col.ref.id}"
    feat["links"] = [
        {"href": f"{here}/items/{feature_id}", "rel": "self", "type": GEOJSON_MEDIA},
        {"href": here, "rel": "collection", "type": JSON},
    ]
    return JSONResponse(feat, media_type=GEOJSON_MEDIA)


@router.get(
    "/collections/{collection_id}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    summary="Vector tile (Mapbox Vector Tile) lapisan desa atau H3",
    responses={200: {"content": {mvt.MVT_MEDIA: {}}}},
)
def tile(
    request: Request,
    collection_id: CollectionId,
    z: Annotated[int, Path(ge=0, le=24)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
) -> Response:

    col = data.resolve(session, user, api, collection_id)
    if not data.KINDS[col.ref.kind].tiles:
        raise NotFoundError(
            f"Koleksi '{collection_id}' tidak punya vector tiles.",
            f"Collection '{collection_id}' has no vector tiles.",
        )
    if not mvt.check_tile(z, x, y):
        return _bad(f"tile {z}/{x}/{y} di luar WebMercatorQuad")

    def build() -> Response:
        layer = _layer(request, session, user, api, col)
        body = tiles.vector_tile(
            session,
            audit_service.scope_of(user),
            col.run.id,
            col.ref.kind,
            layer,
            z,
            x,
            y,
            from_store=bool(layer.attrs.get("tersimpan", True)),
        )
        return Response(
            body, media_type=mvt.MVT_MEDIA, headers={"Cache-Control": "private, max-age=300"}
        )

    return cached(request, user, col.run.id, _base(request), build)


@router.get(
    "/api",
    summary="Dokumen OpenAPI 3.0 OGC API ini",
    responses={200: {"content": {OPENAPI_MEDIA: {}}}},
)
def api_document(
    request: Request, user: CurrentUser, session: SessionDep, api: ApiSettingsDep, lang: LangDep
) -> Response:
    entries = []
    for c in data.catalogue(session, user, api):
        layer = _layer(request, session, user, api, c)
        entries.append((c.ref.id, c.title(lang), queryables(layer), data.KINDS[c.ref.kind].tiles))
    doc = document(_base(request), entries, version=__version__)
    return JSONResponse(doc, media_type=OPENAPI_MEDIA)
