"""Selecting features of a released layer: bbox, simple property filters, paging (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

# Query parameters every items request may carry (OGC API - Features Part 1 and ours).
RESERVED = frozenset({"bbox", "limit", "offset", "f", "lang", "bbox-crs", "datetime"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


class ParameterError(ValueError):
    """A query parameter the server cannot use (answered with 400, OGC style)."""


def queryables(layer: pd.DataFrame) -> dict[str, str]:
    """Columns usable as ``?column=value`` filters and their JSON Schema types."""
    out: dict[str, str] = {}
    for c in layer.columns:
        if c == getattr(layer, "_geometry_column_name", "geometry") or c == "geometry":
            continue
        s = layer[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = "boolean"
        elif pd.api.types.is_integer_dtype(s):
            out[c] = "integer"
        elif pd.api.types.is_numeric_dtype(s):
            out[c] = "number"
        else:
            sample = s.dropna().head(50)
            if len(sample) and all(isinstance(v, list | tuple | dict | np.ndarray) for v in sample):
                continue  # lists and objects are not simple properties
            out[c] = "string"
    return out


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    try:
        parts = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise ParameterError(f"bbox tidak valid: {text}") from exc
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(np.isfinite(parts)):
        raise ParameterError(f"bbox harus 4 angka: {text}")
    minx, miny, maxx, maxy = parts
    if minx > maxx or miny > maxy:
        raise ParameterError(f"bbox terbalik: {text}")
    return minx, miny, maxx, maxy


def _matches(series: pd.Series, kind: str, value: str) -> np.ndarray:
    if kind in ("integer", "number"):
        try:
            wanted = float(value)
        except ValueError as exc:
            raise ParameterError(f"{series.name} harus angka: {value}") from exc
        return (pd.to_numeric(series, errors="coerce") == wanted).to_numpy(dtype=bool)
    if kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            raise ParameterError(f"{series.name} harus true/false: {value}")
        wanted_b = value.lower() in ("true", "1")
        return (series.astype("boolean") == wanted_b).fillna(False).to_numpy(dtype=bool)
    return (series.astype(object).map(lambda v: v is not None and str(v)) == value).to_numpy(
        dtype=bool
    )


@dataclass(frozen=True)
class Selection:
    rows: gpd.GeoDataFrame
    matched: int
    limit: int
    offset: int


def select(
    layer: gpd.GeoDataFrame,
    *,
    bbox: str | None = None,
    filters: dict[str, str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Selection:
    """The page of ``layer`` matching ``bbox`` and the property ``filters``.

    Raises
    ------
    ParameterError
        Unknown filter property, malformed bbox or value, negative offset.
    """
    limit = DEFAULT_LIMIT if limit is None else limit
    if limit < 1 or offset < 0:
        raise ParameterError("limit harus >= 1 dan offset >= 0")
    limit = min(limit, MAX_LIMIT)
    mask = np.ones(len(layer), dtype=bool)
    if bbox:
        box = shapely.box(*parse_bbox(bbox))
        geoms = layer.geometry.to_numpy()
        present = np.array([g is not None for g in geoms], dtype=bool)
        hit = np.zeros(len(layer), dtype=bool)
        if present.any():
            hit[present] = shapely.intersects(geoms[present], box)
        mask &= hit
    if filters:
        kinds = queryables(layer)
        for name, value in filters.items():
            if name not in kinds:
                raise ParameterError(f"Parameter tidak dikenal: {name}")
            mask &= _matches(layer[name], kinds[name], value)
    chosen = layer[mask]
    return Selection(
        rows=chosen.iloc[offset : offset + limit],
        matched=int(mask.sum()),
        limit=limit,
        offset=offset,
    )


def page_links(
    url: str, params: dict[str, Any], sel: Selection, media: str
) -> list[dict[str, str]]:
    """``self``, ``next`` and ``prev`` links of an items page (other parameters kept)."""

    def at(offset: int) -> str:
        q = {k: v for k, v in params.items() if k not in ("offset", "limit")}
        q |= {"limit": sel.limit, "offset": offset}
        return f"{url}?{urlencode(q)}"

    links = [{"href": at(sel.offset), "rel": "self", "type": media, "title": "halaman ini"}]
    if sel.offset + sel.limit < sel.matched:
        links.append(
            {
                "href": at(sel.offset + sel.limit),
                "rel": "next",
                "type": media,
                "title": "berikutnya",
            }
        )
    if sel.offset > 0:
        links.append(
            {
                "href": at(max(sel.offset - sel.limit, 0)),
                "rel": "prev",
                "type": media,
                "title": "sebelumnya",
            }
        )
    return links
