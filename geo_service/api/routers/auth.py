"""Login (OAuth2 password flow, short-lived tokens) and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from geo_service.api import service
from geo_service.api.deps import (
    AdminUser,
    ApiSettingsDep,
    CurrentUser,
    SessionDep,
    get_login_throttle,
)
from geo_service.api.errors import AuthenticationError
from geo_service.api.schemas import ErrorBody, Me, Token
from geo_service.api.security import Principal, create_token
from geo_service.db.repo.users import get_user, revoke_sessions, set_active, set_role, set_scope
from geo_service.errors import NotFoundError
from geo_service.i18n import msg
from geo_service.services.audit import record_audit
from geo_service.services.login_throttle import check_login

router = APIRouter(prefix="/auth", tags=["akses"], responses={422: {"model": ErrorBody}})


@router.post(
    "/token",
    response_model=Token,
    summary="Masuk: tukar nama pengguna dan kata sandi dengan token berumur pendek",
    responses={401: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    api_settings: ApiSettingsDep,
) -> Token:
    client = request.client.host if request.client else "-"
    principal = check_login(
        get_login_throttle(request),
        form.username,
        client,
        lambda: service.authenticate(session, form.username, form.password),
    )
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


# --- account administration (admin of the user's kabupaten) -------------------------------


ADMIN_RESPONSES: dict[int | str, dict] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}


class PeranBaru(BaseModel):
    peran: str = Field(description="admin, analis, opd atau publik")
    kode_opd: str | None = Field(None, max_length=64)


class CakupanBaru(BaseModel):
    kabupaten: list[str] = Field(min_length=1, max_length=100)


def _administer(session, admin: Principal, nama: str, change, aksi: str, request: Request):
    """Apply ``change(session)`` to a user inside the admin's kabupaten scope; audit it."""
    target = get_user(session, nama)
    scope = {k.kode_kab for k in target.kabupaten} if target is not None else set()
    if target is None or not scope <= set(admin.kabupaten):
        # The same answer for "no such user" and "outside your kabupaten".
        raise NotFoundError(f"Pengguna {nama} tidak ditemukan.", f"User {nama} not found.")
    user = change(session)
    record_audit(
        session,
        admin,
        aksi,
        objek=f"pengguna:{user.id}",
        alamat_ip=request.client.host if request.client else None,
    )
    return {"nama_pengguna": user.nama_pengguna, "aktif": user.aktif, "peran": user.peran}


@router.post(
    "/pengguna/{nama}/nonaktifkan",
    summary="Nonaktifkan pengguna (admin)",
    responses=ADMIN_RESPONSES,
)
def nonaktifkan(nama: str, request: Request, session: SessionDep, admin: AdminUser) -> dict:
    return _administer(
        session, admin, nama, lambda s: set_active(s, nama, False), "pengguna_nonaktif", request
    )


@router.post(
    "/pengguna/{nama}/aktifkan",
    summary="Aktifkan kembali pengguna (admin)",
    responses=ADMIN_RESPONSES,
)
def aktifkan(nama: str, request: Request, session: SessionDep, admin: AdminUser) -> dict:
    return _administer(
        session, admin, nama, lambda s: set_active(s, nama, True), "pengguna_aktif", request
    )


@router.post(
    "/pengguna/{nama}/peran", summary="Ganti peran pengguna (admin)", responses=ADMIN_RESPONSES
)
def peran(
    nama: str, body: PeranBaru, request: Request, session: SessionDep, admin: AdminUser
) -> dict:
    return _administer(
        session,
        admin,
        nama,
        lambda s: set_role(s, nama, body.peran, kode_opd=body.kode_opd),
        "pengguna_peran",
        request,
    )


@router.post(
    "/pengguna/{nama}/cakupan",
    summary="Ganti cakupan kabupaten pengguna (admin)",
    responses=ADMIN_RESPONSES,
)
def cakupan(
    nama: str, body: CakupanBaru, request: Request, session: SessionDep, admin: AdminUser
) -> dict:
    if not set(body.kabupaten) <= set(admin.kabupaten):
        raise NotFoundError(f"Pengguna {nama} tidak ditemukan.", f"User {nama} not found.")
    return _administer(
        session,
        admin,
        nama,
        lambda s: set_scope(s, nama, body.kabupaten),
        "pengguna_cakupan",
        request,
    )


@router.post(
    "/pengguna/{nama}/cabut-sesi",
    summary="Akhiri semua token dan sesi (admin)",
    responses=ADMIN_RESPONSES,
)
def cabut_sesi(nama: str, request: Request, session: SessionDep, admin: AdminUser) -> dict:
    return _administer(
        session, admin, nama, lambda s: revoke_sessions(s, nama), "sesi_cabut", request
    )
