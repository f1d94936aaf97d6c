"""What the page routes share: the periode parameter, the analyst roles, the start of a
kabupaten page (language, scope and geography checks) and the map's inline data."""

from __future__ import annotations

import json
from typing import Annotated

import pandas as pd
from fastapi import Query, Request

from geo_service.api.deps import check_kabupaten
from geo_service.api.routers.results import geo_check
from geo_service.api.web import data as D
from geo_service.api.web.render import page_lang

Periode = Annotated[str | None, Query(pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")]
ANALYSTS = ("admin", "analis")


def start_page(request: Request, user, kode_kab: str, api=None) -> str:
    """The page's language after the scope check (and, given the API settings, the check
    that the role may see desa geography)."""
    lang = page_lang(request)
    check_kabupaten(user, kode_kab)
    if api is not None:
        geo_check(user, "desa", api)
    return lang


def map_json(
    request, session, user, run, k, table: pd.DataFrame | None, points: str | None = None
) -> str:
    """The map's inline data: where its layers are (fetched once, kept by the browser: the
    URL names the run) and one marker per desa of ``table`` (the list shown; ``points`` is
    that list already as JSON)."""
    if points is None:
        markers = (
            D.priority_points(D.desa_points(request, session, user, run, k), table)
            if table is not None
            else []
        )
        points = json.dumps(markers, separators=(",", ":"))
    head = json.dumps(
        {"url": f"/kabupaten/{run.kode_kab}/hal/peta/{run.id}.json", "kab": run.kode_kab},
        separators=(",", ":"),
    )
    return f'{head[:-1]},"prioritas":{points}}}'.replace("</", "<\\/")
