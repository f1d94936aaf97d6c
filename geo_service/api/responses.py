"""Response helpers shared by the routers: the geography check of a role, and one table
answered as GeoJSON, JSON rows, CSV or XLSX with its export audit row.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from geo_service.analysis.disclosure import geography_allowed
from geo_service.api.deps import (
    ApiSettingsDep,
)
from geo_service.api.formats import (
    GEOJSON_MEDIA,
    csv_response,
    feature_collection,
    gpkg_response,
    records,
    xlsx_response,
)
from geo_service.api.schemas import Rows
from geo_service.api.security import Principal
from geo_service.errors import AccessDeniedError, InvalidInputError
from geo_service.i18n import msg
from geo_service.io.export import csv_convention
from geo_service.services import audit as audit_service


def geo_check(user: Principal, geography: str, api: ApiSettingsDep) -> None:
    if not geography_allowed(user.role, geography, publik_geography=api.publik_geography):
        raise AccessDeniedError(
            msg("geografi_ditolak", "id", geo=api.publik_geography),
            msg("geografi_ditolak", "en", geo=api.publik_geography),
        )


def _audit_export(
    request: Request,
    session,
    user: Principal,
    objek: str,
    kode_kab: str,
    periode: str,
    n: int,
    fmt: str,
) -> None:
    if fmt in ("csv", "xlsx", "gpkg"):
        audit_service.record_audit(
            session,
            user,
            "ekspor",
            objek=objek,
            kode_kab=kode_kab,
            periode=periode,
            n_baris=n,
            rincian={"format": fmt},
            alamat_ip=request.client.host if request.client else None,
        )


def table_rows(
    frame: pd.DataFrame,
    run,
    k: int | None,
    *,
    total: int | None = None,
    halaman: int = 1,
    per_halaman: int | None = None,
) -> dict:
    return Rows(
        kode_kab=run.kode_kab,
        periode=run.periode,
        run_id=run.id,
        total=len(frame) if total is None else total,
        halaman=halaman,
        per_halaman=per_halaman,
        penekanan_k=k,
        baris=records(frame),
    ).model_dump()


def csv_convention_of(request: Request) -> str:
    """The CSV convention a request asks for: ``?csv_gaya=id`` (``;`` and ``,``, for
    spreadsheets in Bahasa Indonesia) or ``standar``/``intl`` (default)."""
    try:
        return csv_convention(request.query_params.get("csv_gaya") or "standar")
    except ValueError as exc:
        raise InvalidInputError(
            "csv_gaya harus standar, intl atau id.", "csv_gaya must be standar, intl or id."
        ) from exc


def respond(
    request: Request,
    session,
    user: Principal,
    frame: pd.DataFrame,
    run,
    k: int | None,
    fmt: str,
    objek: str,
    lang: str,
) -> Response:
    name = f"{objek}_{run.kode_kab}_{run.periode}"
    _audit_export(request, session, user, objek, run.kode_kab, run.periode, len(frame), fmt)
    if fmt == "geojson":
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InvalidInputError(
                msg("format_tidak_dikenal", "id", fmt=fmt),
                msg("format_tidak_dikenal", "en", fmt=fmt),
            )
        return JSONResponse(feature_collection(frame), media_type=GEOJSON_MEDIA)
    if fmt == "gpkg":
        return gpkg_response(frame, f"{name}.gpkg", layer=objek)
    if fmt == "csv":
        return csv_response(frame, f"{name}.csv", convention=csv_convention_of(request))
    if fmt == "xlsx":
        notes = [f"Kabupaten {run.kode_kab}, periode {run.periode}, analisis #{run.id}."]
        if k:
            notes.append(msg("angka_disembunyikan", lang, k=k))
        return xlsx_response(frame, f"{name}.xlsx", sheet=objek, notes=notes, lang=lang)
    return JSONResponse(table_rows(frame, run, k))


def tolerance_deg(zoom: int) -> float:
    """About one screen pixel at ``zoom`` (256-pixel tiles), in degrees."""
    return 360.0 / (256 * 2**zoom)
