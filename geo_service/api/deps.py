"""Typed dependencies: settings, database session, language, the calling user and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from geo_service.analysis import schema as S
from geo_service.api import service, sesi
from geo_service.api.basic_auth import basic_allowed, principal_for_basic
from geo_service.api.errors import AuthenticationError
from geo_service.api.security import Principal, api_key_prefix, verify_token
from geo_service.errors import AccessDeniedError
from geo_service.i18n import Lang, msg, request_lang
from geo_service.services.login_throttle import LoginThrottle
from geo_service.settings import ApiSettings, Settings

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    auto_error=False,
    description="Token dari /auth/token (berlaku singkat).",
)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="Kunci API (gs_...).")
basic_scheme = HTTPBasic(
    auto_error=False,
    description="HTTP Basic untuk QGIS/GDAL (nama pengguna dan kata sandi); hanya bila "
    "GEO_BASIC_AUTH mengizinkan (bawaan: mati; 'https': hanya lewat HTTPS).",
)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.settings.api


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; what a route does not commit is rolled back."""
    with request.app.state.sessions() as session:
        yield session


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's login throttle (one per app; the API and the web login share it)."""
    state = request.app.state
    throttle = getattr(state, "login_throttle", None)
    if throttle is None:
        throttle = state.login_throttle = LoginThrottle()
    return throttle


def get_lang(request: Request) -> Lang:
    return request_lang(request)


#: Path parameters of a kabupaten and a desa (one pattern each: analysis.schema).
KodeKab = Annotated[str, Path(pattern=S.KODE_KAB_PATTERN, examples=["33.24"])]
KodeDesa = Annotated[str, Path(pattern=S.KODE_DESA_PATTERN, examples=["33.24.01.2001"])]
# The optional periode of a run's results (query parameter of the /kabupaten/{kode_kab} routes).
Periode = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM; kosong = periode terbaru"),
]

SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
LangDep = Annotated[Lang, Depends(get_lang)]


def get_current_user(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    token: Annotated[str | None, Security(oauth2_scheme)] = None,
    api_key: Annotated[str | None, Security(api_key_scheme)] = None,
    basic: Annotated[HTTPBasicCredentials | None, Security(basic_scheme)] = None,
) -> Principal:
    """The caller, from a Bearer token, an API key (header ``X-API-Key`` or ``Bearer gs_...``),
    when the settings allow it HTTP Basic (:mod:`geo_service.api.basic_auth`), or for GET and
    HEAD the web session cookie (:mod:`geo_service.api.sesi`).

    Raises
    ------
    AuthenticationError
        No credentials, or invalid / expired / revoked ones (401).
    """
    if token and api_key_prefix(token):
        api_key, token = token, None
    principal: Principal | None = None
    if token:
        principal = verify_token(token, request.app.state.token_key)
        if principal is not None:
            # Checked against the user row on every request (token version, active, role).
            principal = service.current_principal(session, principal)
    elif api_key:
        principal = service.principal_for_api_key(session, api_key)
    elif basic is not None and basic_allowed(request, request.app.state.settings.api.basic_auth):
        principal = principal_for_basic(request, session, basic, get_login_throttle(request))
    elif request.method in ("GET", "HEAD") and request.cookies.get(sesi.COOKIE):
        # The web pages' session (api/web): for reading only, so the map page, the meeting
        # pack and field files open in a browser; writes need a token, a key or a page form
        # with its CSRF token.
        principal = sesi.principal_from_cookie(request, session)
    else:
        raise AuthenticationError(
            msg("tidak_terautentikasi", "id"), msg("tidak_terautentikasi", "en")
        )
    if principal is None:
        raise AuthenticationError(msg("token_tidak_valid", "id"), msg("token_tidak_valid", "en"))
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def require_roles(*roles: str):
    """A dependency that lets only ``roles`` through (403 otherwise)."""

    def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise AccessDeniedError(msg("peran_ditolak", "id"), msg("peran_ditolak", "en"))
        return user

    return check


def check_kabupaten(user: Principal, kode_kab: str) -> None:
    """403 when ``kode_kab`` is outside the user's scope."""
    if not user.may_see(kode_kab):
        raise AccessDeniedError(msg("kabupaten_ditolak", "id"), msg("kabupaten_ditolak", "en"))


@dataclass(frozen=True)
class KabupatenQuery:
    """What every ``/kabupaten/{kode_kab}/…`` results route receives: the request, the
    kabupaten, the caller, the session, the API settings, the language and the optional
    periode (one dependency instead of seven parameters per route)."""

    request: Request
    kode_kab: str
    user: Principal
    session: Session
    api: ApiSettings
    lang: str
    periode: str | None


def kabupaten_query(
    request: Request,
    kode_kab: KodeKab,
    user: CurrentUser,
    session: SessionDep,
    api: ApiSettingsDep,
    lang: LangDep,
    periode: Periode = None,
) -> KabupatenQuery:
    return KabupatenQuery(request, kode_kab, user, session, api, lang, periode)


KabupatenDep = Annotated[KabupatenQuery, Depends(kabupaten_query)]

AnalystUser = Annotated[Principal, Depends(require_roles("admin", "analis"))]
AdminUser = Annotated[Principal, Depends(require_roles("admin"))]
