"""Domain errors to HTTP responses: the one table, and the handlers that use it.

Every error body has the same shape (:class:`~geo_service.api.schemas.ErrorBody`): a code, the
message in the request's language and, for bad input, the fields at fault.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo_service import errors as E
from geo_service.i18n import msg, request_lang, validation_message
from geo_service.services.ratelimit import RateLimitError

log = logging.getLogger("geo_service.api")


class AuthenticationError(E.GeoServiceError):
    """No credentials, or credentials that are invalid or expired."""

    code = "tidak_terautentikasi"


# The one table: domain error type -> HTTP status. Most specific first.
ERROR_STATUS: list[tuple[type[E.GeoServiceError], int]] = [
    (AuthenticationError, 401),
    (E.AccessDeniedError, 403),
    (E.NotFoundError, 404),
    (E.DuplicateError, 409),
    (E.TooLargeError, 413),
    (RateLimitError, 429),
    (E.KunciError, 503),  # a key missing or wrong on the server: never plaintext (issue 16)
    (E.InvalidInputError, 422),
    (E.BoundaryError, 422),
]
RETRY_AFTER_S = 3600  # told to a rate-limited caller (the longest window of the limits)
try:  # the storage layer's "database unavailable" error, when present
    from geo_service.db.engine import DatabaseError as _DatabaseError

    ERROR_STATUS.append((_DatabaseError, 503))
except ImportError:  # pragma: no cover - storage layer absent
    pass


def status_for(exc: E.GeoServiceError) -> int:
    """The HTTP status of a domain error (500 for an unmapped type)."""
    for kind, status in ERROR_STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def _jsonable(detail: Any) -> Any:
    if detail is None or isinstance(detail, str | int | float | bool):
        return detail
    if isinstance(detail, dict):
        return {str(k): _jsonable(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [_jsonable(v) for v in detail][:1000]
    if hasattr(detail, "to_dict") and not hasattr(detail, "head"):  # an import report
        try:
            return _jsonable(detail.to_dict())
        except Exception:  # noqa: BLE001 - best effort
            return None
    if hasattr(detail, "to_dict"):  # a DataFrame: the row report
        try:
            return _jsonable(
                detail.head(1000)
                .astype(object)
                .where(detail.head(1000).notna(), None)
                .to_dict(orient="records")
            )
        except Exception:  # noqa: BLE001 - best effort, never fail while failing
            return None
    return str(detail)


def error_body(code: str, pesan: str, detail: Any = None) -> dict[str, Any]:
    return {"kode": code, "pesan": pesan, "detail": _jsonable(detail)}


async def _domain_error(request: Request, exc: E.GeoServiceError) -> JSONResponse:
    status = status_for(exc)
    lang = request_lang(request)
    if status >= 500:
        log.error("domain error %s: %s (%s)", type(exc).__name__, exc.message, exc.detail)
        detail = None
    else:
        detail = exc.detail if status in (409, 413, 422) else None
    headers = (
        {"WWW-Authenticate": "Bearer"}
        if status == 401
        else {"Retry-After": str(getattr(exc, "retry_after_s", RETRY_AFTER_S))}
        if status == 429
        else None
    )
    return JSONResponse(
        error_body(exc.code, exc.text(lang), detail), status_code=status, headers=headers
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    lang = request_lang(request)
    fields = [
        {
            "lokasi": [str(p) for p in err.get("loc", ())],
            "pesan": validation_message(
                err.get("type", ""), err.get("ctx"), lang, err.get("msg", "")
            ),
            "jenis": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return JSONResponse(
        error_body("input_tidak_valid", msg("input_tidak_valid", lang), fields), status_code=422
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    lang = request_lang(request)
    if exc.status_code == 400:  # a body that cannot be parsed (e.g. not UTF-8) is bad input
        return JSONResponse(
            error_body(
                "input_tidak_valid",
                msg("input_tidak_valid", lang),
                [{"lokasi": ["body"], "pesan": str(exc.detail), "jenis": "body_tidak_terbaca"}],
            ),
            status_code=422,
        )
    code = {
        401: "tidak_terautentikasi",
        403: "akses_ditolak",
        404: "tidak_ditemukan",
        413: "terlalu_besar",
    }.get(exc.status_code, "kesalahan_http")
    text = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and text == "Not Found":
        text = msg("tidak_ditemukan", lang)
    return JSONResponse(
        error_body(code, text), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    lang = request_lang(request)
    return JSONResponse(
        error_body("kesalahan_server", msg("kesalahan_server", lang)), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app`` (through the decorator, which is typed for handlers
    of a narrower exception type than ``add_exception_handler``)."""
    app.exception_handler(E.GeoServiceError)(_domain_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(Exception)(_unexpected)
