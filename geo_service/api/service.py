"""API sign-in: the principal (role, scope) of a user, from a password or an API key.

The use cases the routes call live in :mod:`geo_service.services` (runs, wilayah, imports,
uji_petik, transisi, target); :mod:`geo_service.services.audit` writes the audit trail.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from geo_service.api.security import Principal, hash_password, verify_password
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
        versi=int(user.versi_token or 0),
    )


_DUMMY_HASH = hash_password("tidak-ada-pengguna-ini", salt=b"\x00" * 16)


def authenticate(session: Session, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password of an active user, else ``None``."""
    user = R.get_user(session, username)
    if user is None or not user.kata_sandi_hash:
        # The same scrypt work as for a real user: the answer time does not tell whether
        # the username exists (finding 8).
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.kata_sandi_hash) or not user.aktif:
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


def current_principal(session: Session, claimed: Principal) -> Principal | None:
    """The principal of a token's user as the database says now: ``None`` when the user is
    gone or inactive or the token version changed (deactivation, role, scope or password
    change); else role, scope and OPD from the user row (checked on every request)."""
    user = session.get(M.Pengguna, claimed.user_id)
    current = (
        None
        if user is None or not user.aktif or int(user.versi_token or 0) != claimed.versi
        else principal_of(user)
    )
    # End the read transaction: on SQLite (WAL) it would pin the route's snapshot before the
    # route's own work (an import committed by another connection would not be visible).
    session.rollback()
    return current
