"""Log in and out with a browser: ``GET /masuk``, ``POST /masuk``, ``POST /keluar``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from geo_service.api import service
from geo_service.api import sesi as S
from geo_service.api.deps import SessionDep
from geo_service.api.sesi import principal_from_cookie, session_key, token_version
from geo_service.api.web.auth import MaybeWebUser, check_csrf
from geo_service.api.web.cookies import clear_session, set_session
from geo_service.api.web.render import finish, html_errors, page_lang, redirect, render
from geo_service.api.web.teks import t
from geo_service.api.web.throttle import retry_after, throttle_of
from geo_service.db import repo as R
from geo_service.services import audit as audit_service

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a local path (no scheme, no host, no '//' or '\\') is followed after login."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _login_form(
    request: Request, lang: str, *, error: str | None = None, status_code: int = 200, nxt=""
) -> HTMLResponse:
    pre = request.cookies.get(S.PRE_CSRF_COOKIE) or S.new_pre_csrf()
    response = render(
        request,
        "masuk.html",
        None,
        lang,
        status_code=status_code,
        galat=error,
        pre_csrf=pre,
        lanjut=safe_next(nxt),
    )
    response.set_cookie(
        S.PRE_CSRF_COOKIE,
        pre,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/masuk",
    )
    return response


@router.get("/masuk", response_class=HTMLResponse)
def masuk_form(request: Request, user: MaybeWebUser, lanjut: str = "") -> Response:
    if user is not None:
        return finish(request, redirect(safe_next(lanjut)))
    return _login_form(request, page_lang(request), nxt=lanjut)


@router.post("/masuk", response_class=HTMLResponse)
def masuk(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    lanjut: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    lang = page_lang(request)
    if not S.pre_csrf_ok(request.cookies.get(S.PRE_CSRF_COOKIE), csrf_token):
        return _login_form(request, lang, error=t("csrf_ditolak", lang), status_code=403)
    address = request.client.host if request.client else "-"
    throttle = throttle_of(request.app)
    wait = retry_after(throttle, username, address)
    if wait is not None:
        refused = _login_form(
            request, lang, error=t("terlalu_sering", lang, detik=wait), nxt=lanjut
        )
        refused.status_code = 429
        refused.headers["Retry-After"] = str(wait)
        return refused
    principal = service.authenticate(session, username, password)
    if principal is None:
        throttle.failed(username, address)
        # No user name in the audit: people type passwords into that field.
        audit_service.record_audit(session, None, "login_gagal", objek="web", alamat_ip=address)
        return _login_form(request, lang, error=t("login_gagal", lang), status_code=401, nxt=lanjut)
    throttle.succeeded(username, address)
    user = R.get_user(session, principal.username)
    value = S.issue(
        session_key(request),
        user_id=principal.user_id,
        username=principal.username,
        token_version=token_version(user),
    )  # a new random session id on every login: the old cookie's CSRF tokens die with it
    audit_service.record_audit(session, principal, "login", objek="web", alamat_ip=address)
    response = redirect(safe_next(lanjut))
    set_session(request, response, value)
    response.delete_cookie(S.PRE_CSRF_COOKIE, path="/masuk")
    return response


@router.post("/keluar")
@html_errors
def keluar(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    principal = principal_from_cookie(request, session)
    if principal is not None:
        check_csrf(request, csrf_token)
        audit_service.record_audit(session, principal, "logout", objek="web")
    response = redirect("/masuk")
    clear_session(request, response)
    return response


def login_redirect(request: Request) -> Response:
    """Where a page without a valid session sends the browser."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = redirect(f"/masuk?lanjut={quote(target, safe='')}")
    if request.cookies.get(S.COOKIE):
        clear_session(request, response)
    return response
