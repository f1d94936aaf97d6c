"""Setting, renewing and clearing the session cookie (HttpOnly, SameSite=Lax, Secure on HTTPS)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from geo_service.api import sesi as S


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        S.COOKIE,
        value,
        max_age=S.SESSION_TTL_S,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        S.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


def renew_session(request: Request, response: Response) -> None:
    """Re-issue the cookie (same session id, new expiry) once half its lifetime is gone."""
    web = getattr(request.state, "web_session", None)
    if web is None or not web.needs_renewal() or S.COOKIE in response.headers.get("set-cookie", ""):
        return
    value = S.issue(
        request.app.state.token_key,
        user_id=web.user_id,
        username=web.username,
        token_version=web.token_version,
        sid=web.sid,
    )
    set_session(request, response, value)
