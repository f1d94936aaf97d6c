"""API sign-in: the principal (role, scope) of a user, from a password or an API key.

The use cases the routes call live in :mod:`geo_service.services` (runs, wilayah, imports,
uji_petik, transisi, target); :mod:`geo_service.services.audit` writes the audit trail.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from geo_service.api.security import Principal, verify_password
from geo_service.db import models as M
from geo_service.db import repo as R


def principal_of(user: M.Pengguna) -> Principal:
    """The principal (role, scope) of a user row."""
    return Principal(
        user_id=user.id,
        username=user.nama_pengguna,
        role=user.peran,
        kabupaten=tuple(sorted(k.kode_kab for k in user.kabupaten)),
        kode_opd=user.kode_opd,
    )


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password of an active user, else ``None``."""
    user = R.get_user(session, username)
    if user is None or not user.aktif or not verify_password(password, user.kata_sandi_hash):
        return None
    return principal_of(user)


def principal_for_api_key(session: Session, key: str) -> Principal | None:
    """The principal of a valid (known, unrevoked, unexpired) API key, else ``None``."""
    user = R.user_for_api_key(session, key)
    if user is None:
        return None
    principal = principal_of(user)
    session.commit()  # last-used time
    return principal
