"""Login (OAuth2 password flow, short-lived tokens) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from geo_service.api import service
from geo_service.api.deps import ApiSettingsDep, CurrentUser, SessionDep
from geo_service.api.errors import AuthenticationError
from geo_service.api.schemas import ErrorBody, Me, Token
from geo_service.api.security import create_token
from geo_service.i18n import msg

router = APIRouter(prefix="/auth", tags=["akses"], responses={422: {"model": ErrorBody}})


@router.post(
    "/token",
    response_model=Token,
    summary="Masuk: tukar nama pengguna dan kata sandi dengan token berumur pendek",
    responses={401: {"model": ErrorBody}},
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    api_settings: ApiSettingsDep,
) -> Token:
    principal = service.authenticate(session, form.username, form.password)
    if principal is None:
        raise AuthenticationError(msg("login_gagal", "id"), msg("login_gagal", "en"))
    token = create_token(principal, request.app.state.token_key, ttl_s=api_settings.token_ttl_s)
    return Token(access_token=token, expires_in=api_settings.token_ttl_s)


@router.get(
    "/saya",
    response_model=Me,
    summary="Pengguna yang sedang masuk",
    responses={401: {"model": ErrorBody}},
)
def me(user: CurrentUser) -> Me:
    return Me(
        id=user.user_id,
        nama_pengguna=user.username,
        peran=user.role,
        kabupaten=list(user.kabupaten),
        kode_opd=user.kode_opd,
    )
