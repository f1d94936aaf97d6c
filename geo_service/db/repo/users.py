"""Users, their kabupaten scope and API keys (stored as keyed hashes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from geo_service.db.models import (
    ROLES,
    KunciApi,
    Pengguna,
    PenggunaKabupaten,
    utcnow,
)
from geo_service.db.repo.common import _KODE_KAB_RE, Scope, rows_changed
from geo_service.errors import InvalidInputError, NotFoundError


def create_user(
    session: Session,
    nama_pengguna: str,
    peran: str,
    *,
    kabupaten: Iterable[str],
    nama_lengkap: str | None = None,
    email: str | None = None,
    kata_sandi_hash: str | None = None,
    kode_opd: str | None = None,
) -> Pengguna:
    """A user with a role (``admin``, ``analis``, ``opd``, ``publik``) and the kabupaten
    they may see. Password hashing is the caller's (the API's) business."""
    if peran not in ROLES:
        raise InvalidInputError(
            f"Peran tidak dikenal: {peran} (pilih: {', '.join(ROLES)})",
            f"Unknown role: {peran} (choose: {', '.join(ROLES)})",
        )
    codes = sorted(set(kabupaten))
    bad = [k for k in codes if not pd.Series([k]).str.match(_KODE_KAB_RE).iloc[0]]
    if bad:
        raise InvalidInputError(
            f"Kode kabupaten salah format: {', '.join(bad)} (NN.NN)",
            f"Bad kabupaten code: {', '.join(bad)} (NN.NN)",
        )
    user = Pengguna(
        nama_pengguna=nama_pengguna,
        peran=peran,
        nama_lengkap=nama_lengkap,
        email=email,
        kata_sandi_hash=kata_sandi_hash,
        kode_opd=kode_opd,
        aktif=True,
        kabupaten=[PenggunaKabupaten(kode_kab=k) for k in codes],
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, nama_pengguna: str) -> Pengguna | None:
    return session.execute(
        select(Pengguna).where(Pengguna.nama_pengguna == nama_pengguna)
    ).scalar_one_or_none()


def user_scope(user: Pengguna) -> Scope:
    """The kabupaten scope of a user (the codes in ``pengguna_kabupaten``)."""
    return Scope.of(k.kode_kab for k in user.kabupaten)


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, pengguna_id: int, nama: str, *, kedaluwarsa: datetime | None = None
) -> str:
    """Make an API key for a user; returns the key itself, shown once. Only its SHA-256
    is stored (keys are 256-bit random, so a fast hash is enough)."""
    awalan = secrets.token_hex(6)
    key = f"gs_{awalan}_{secrets.token_urlsafe(32)}"
    session.add(
        KunciApi(
            pengguna_id=pengguna_id,
            nama=nama,
            awalan=awalan,
            hash=_key_hash(key),
            kedaluwarsa=kedaluwarsa,
        )
    )
    session.flush()
    return key


def user_for_api_key(session: Session, key: str) -> Pengguna | None:
    """The active user owning ``key`` (None for unknown, revoked or expired keys)."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "gs":
        return None
    row = session.execute(select(KunciApi).where(KunciApi.awalan == parts[1])).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.hash, _key_hash(key)):
        return None
    now = utcnow()
    if row.dicabut is not None:
        return None
    if row.kedaluwarsa is not None:
        exp = row.kedaluwarsa if row.kedaluwarsa.tzinfo else row.kedaluwarsa.replace(tzinfo=UTC)
        if exp <= now:
            return None
    user = session.get(Pengguna, row.pengguna_id)
    if user is None or not user.aktif:
        return None
    row.terakhir_dipakai = now
    return user


def revoke_api_key(session: Session, awalan: str) -> None:
    """Revoke a key by its prefix (the part after ``gs_``)."""
    stmt = (
        update(KunciApi)
        .where(KunciApi.awalan == awalan, KunciApi.dicabut.is_(None))
        .values(dicabut=utcnow())
    )
    n = rows_changed(session, stmt)
    if not n:
        raise NotFoundError(f"Kunci API {awalan} tidak ditemukan.", f"API key {awalan} not found.")


def _user_or_404(session: Session, nama_pengguna: str) -> Pengguna:
    user = get_user(session, nama_pengguna)
    if user is None:
        raise NotFoundError(
            f"Pengguna {nama_pengguna} tidak ditemukan.", f"User {nama_pengguna} not found."
        )
    return user


def _bump(user: Pengguna) -> None:
    """End every token and web session of ``user`` at its next request."""
    user.versi_token = int(user.versi_token or 0) + 1


def set_active(session: Session, nama_pengguna: str, aktif: bool) -> Pengguna:
    """Deactivate (tokens, sessions and API keys stop at once) or reactivate a user."""
    user = _user_or_404(session, nama_pengguna)
    user.aktif = aktif
    _bump(user)
    session.flush()
    return user


def set_role(
    session: Session, nama_pengguna: str, peran: str, *, kode_opd: str | None = None
) -> Pengguna:
    """Change a user's role (and OPD); existing tokens and sessions stop working."""
    if peran not in ROLES:
        raise InvalidInputError(
            f"Peran tidak dikenal: {peran} (pilih: {', '.join(ROLES)})",
            f"Unknown role: {peran} (choose: {', '.join(ROLES)})",
        )
    user = _user_or_404(session, nama_pengguna)
    user.peran = peran
    user.kode_opd = kode_opd if peran == "opd" else None
    _bump(user)
    session.flush()
    return user


def set_scope(session: Session, nama_pengguna: str, kabupaten: Iterable[str]) -> Pengguna:
    """Replace the kabupaten a user may see; existing tokens and sessions stop working."""
    codes = sorted(set(kabupaten))
    bad = [k for k in codes if not pd.Series([k]).str.match(_KODE_KAB_RE).iloc[0]]
    if bad:
        raise InvalidInputError(
            f"Kode kabupaten salah format: {', '.join(bad)} (NN.NN)",
            f"Bad kabupaten code: {', '.join(bad)} (NN.NN)",
        )
    user = _user_or_404(session, nama_pengguna)
    user.kabupaten = [PenggunaKabupaten(kode_kab=k) for k in codes]
    _bump(user)
    session.flush()
    return user


def revoke_sessions(session: Session, nama_pengguna: str) -> Pengguna:
    """End every token and web session of a user (API keys stay; see :func:`revoke_api_key`)."""
    user = _user_or_404(session, nama_pengguna)
    _bump(user)
    session.flush()
    return user
