"""JSON Schemas of the OGC API – Features Part 1 responses (landing page, conformance,
collections, collection, items, feature), written from the requirements of OGC 17-069r4
(sections 7.2-7.16) for the JSON/GeoJSON encodings, and the RFC 7946 geometry shapes."""

from __future__ import annotations

LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string", "minLength": 1},
        "rel": {"type": "string", "minLength": 1},
        "type": {"type": "string"},
        "hreflang": {"type": "string"},
        "title": {"type": "string"},
        "length": {"type": "integer"},
    },
}
LINKS = {"type": "array", "items": LINK}

LANDING = {
    "type": "object",
    "required": ["links"],
    "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": LINKS},
}
CONFORMANCE = {
    "type": "object",
    "required": ["conformsTo"],
    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
}
BBOX = {
    "type": "array",
    "items": {"type": "number"},
    "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
}
COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": LINKS,
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {
                    "type": "object",
                    "properties": {
                        "bbox": {"type": "array", "minItems": 1, "items": BBOX},
                        "crs": {
                            "type": "string",
                            "enum": [
                                "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                                "http://www.opengis.net/def/crs/OGC/0/CRS84h",
                            ],
                        },
                    },
                }
            },
        },
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
    },
}
COLLECTIONS = {
    "type": "object",
    "required": ["links", "collections"],
    "properties": {"links": LINKS, "collections": {"type": "array", "items": COLLECTION}},
}

_POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
_RING = {"type": "array", "minItems": 4, "items": _POSITION}


def _geometry(kind: str, coordinates: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {"type": {"enum": [kind]}, "coordinates": coordinates},
    }


GEOMETRY = {
    "oneOf": [
        {"type": "null"},
        _geometry("Point", _POSITION),
        _geometry("MultiPoint", {"type": "array", "items": _POSITION}),
        _geometry("LineString", {"type": "array", "minItems": 2, "items": _POSITION}),
        _geometry(
            "MultiLineString",
            {"type": "array", "items": {"type": "array", "minItems": 2, "items": _POSITION}},
        ),
        _geometry("Polygon", {"type": "array", "items": _RING}),
        _geometry("MultiPolygon", {"type": "array", "items": {"type": "array", "items": _RING}}),
    ]
}
FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"enum": ["Feature"]},
        "geometry": GEOMETRY,
        "properties": {"type": ["object", "null"]},
        "id": {"type": ["string", "integer"]},
        "links": LINKS,
    },
}
ITEMS = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE},
        "links": LINKS,
        "timeStamp": {"type": "string", "format": "date-time"},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
    },
}
