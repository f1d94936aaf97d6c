"""Who is looking at a page: the session cookie, re-checked against the user row on every
request, and the CSRF check of the forms.

The cookie and the user check live in :mod:`geo_service.api.sesi` (shared with the JSON
API's read-only cookie branch). The principal is built by
:func:`geo_service.api.service.principal_of`, the same function the
JSON API's token and API-key paths use, so a page has the role, scope and OPD the API would
give the same user.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from geo_service.api import sesi as S
from geo_service.api.deps import SessionDep
from geo_service.api.security import Principal
from geo_service.api.sesi import principal_from_cookie, session_key
from geo_service.errors import AccessDeniedError
from geo_service.i18n import msg


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""


class CsrfError(AccessDeniedError):
    """A state-changing form arrived without its CSRF token (403)."""

    code = "csrf_ditolak"


def web_user(request: Request, session: SessionDep) -> Principal:
    """The signed-in user of a page; :class:`LoginRequired` otherwise."""
    principal = principal_from_cookie(request, session)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


def optional_web_user(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in user, or ``None`` (public pages)."""
    principal = principal_from_cookie(request, session)
    if principal is not None:
        request.state.principal = principal
    return principal


WebUser = Annotated[Principal, Depends(web_user)]
MaybeWebUser = Annotated[Principal | None, Depends(optional_web_user)]


def csrf_of(request: Request) -> str:
    """The CSRF token for the forms of this request's session ('' without a session)."""
    web = getattr(request.state, "web_session", None)
    return S.csrf_token(session_key(request), web.sid) if web else ""


def check_csrf(request: Request, presented: str | None) -> None:
    """403 unless ``presented`` is this session's CSRF token."""
    web = getattr(request.state, "web_session", None)
    if web is None or not S.csrf_ok(session_key(request), web.sid, presented):
        raise CsrfError(
            "Formulir ditolak: token keamanan (CSRF) tidak ada atau tidak cocok. Muat ulang "
            "halaman lalu kirim lagi.",
            "Form refused: the security (CSRF) token is missing or wrong. Reload the page and "
            "send it again.",
        )


def require_roles(user: Principal, *roles: str) -> None:
    """403 unless ``user`` has one of ``roles`` (the API's role rule, for pages)."""
    if user.role not in roles:
        raise AccessDeniedError(msg("peran_ditolak", "id"), msg("peran_ditolak", "en"))
