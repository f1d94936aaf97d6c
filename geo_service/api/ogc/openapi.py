"""The OpenAPI 3.0 document of ``/ogc`` for one caller: one path per collection, with its
property filters as query parameters (GDAL's OAPIF driver reads them to filter on the
server), pygeoapi style."""

from __future__ import annotations

from typing import Any

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"


def _ok(description: str, media: str = "application/json") -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
        "400": {"description": "Parameter tidak valid"},
        "401": {"description": "Tidak terautentikasi"},
        "404": {"description": "Tidak ditemukan"},
    }


PARAMS: dict[str, Any] = {
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "minLon,minLat,maxLon,maxLat (CRS84)",
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "f": {
        "name": "f",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["json", "geojson"]},
    },
}


def document(
    base: str, collections: list[tuple[str, str, dict[str, str], bool]], *, version: str
) -> dict[str, Any]:
    """``collections``: (id, title, queryables {name: json type}, has tiles)."""
    ref = {k: {"$ref": f"#/components/parameters/{k}"} for k in PARAMS}
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Halaman awal", "operationId": "landing", "responses": _ok("OK")}},
        "/conformance": {
            "get": {
                "summary": "Kelas kesesuaian",
                "operationId": "conformance",
                "responses": _ok("OK"),
            }
        },
        "/collections": {
            "get": {
                "summary": "Koleksi",
                "operationId": "collections",
                "responses": _ok("OK"),
            }
        },
        "/api": {
            "get": {
                "summary": "Dokumen OpenAPI ini",
                "operationId": "api",
                "responses": _ok("OK", OPENAPI_MEDIA),
            }
        },
    }
    for cid, title, props, tiles in collections:
        op = cid.replace(".", "").replace("-", "")
        paths[f"/collections/{cid}"] = {
            "get": {
                "summary": title,
                "operationId": f"describe_{op}",
                "tags": [cid],
                "responses": _ok("Keterangan koleksi"),
            }
        }
        filters = [
            {
                "name": name,
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "schema": {"type": kind},
            }
            for name, kind in props.items()
        ]
        paths[f"/collections/{cid}/items"] = {
            "get": {
                "summary": f"{title}: fitur",
                "operationId": f"items_{op}",
                "tags": [cid],
                "parameters": [ref["bbox"], ref["limit"], ref["offset"], ref["f"], *filters],
                "responses": _ok("FeatureCollection", "application/geo+json"),
            }
        }
        paths[f"/collections/{cid}/items/{{featureId}}"] = {
            "get": {
                "summary": f"{title}: satu fitur",
                "operationId": f"item_{op}",
                "tags": [cid],
                "parameters": [
                    {
                        "name": "featureId",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": _ok("Feature", "application/geo+json"),
            }
        }
        paths[f"/collections/{cid}/queryables"] = {
            "get": {
                "summary": f"{title}: properti yang bisa disaring",
                "operationId": f"queryables_{op}",
                "tags": [cid],
                "responses": _ok("JSON Schema", "application/schema+json"),
            }
        }
        if tiles:
            paths[f"/collections/{cid}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"] = {
                "get": {
                    "summary": f"{title}: vector tile (MVT)",
                    "operationId": f"tile_{op}",
                    "tags": [cid],
                    "parameters": [
                        {
                            "name": n,
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 0},
                        }
                        for n in ("z", "x", "y")
                    ],
                    "responses": _ok("Mapbox Vector Tile", "application/vnd.mapbox-vector-tile"),
                }
            }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geo_service — OGC API Features",
            "version": version,
            "description": "Lapisan hasil analisis kantong kemiskinan ekstrem untuk QGIS, ArcGIS "
            "dan GDAL (OGC API – Features Part 1 Core, GeoJSON, OpenAPI 3.0; Part 3 "
            "penyaringan properti sederhana). Akses: header X-API-Key atau HTTP Basic (HTTPS).",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": PARAMS,
            "securitySchemes": {
                "kunciApi": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"kunciApi": []}, {"basic": []}, {"bearer": []}],
    }
