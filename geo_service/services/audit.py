"""The caller of a use case (any object with a user id, name, role and kabupaten, e.g. the
API's ``Caller``), its repository scope, and the audit trail (one row per action, never
personal data).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from geo_service.db import repo as R


class Caller(Protocol):
    """Who calls a use case: the API's ``Principal`` is one (structural type)."""

    # Read-only members (properties), so a frozen dataclass such as ``Principal`` fits.
    @property
    def user_id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def kabupaten(self) -> tuple[str, ...]: ...

    @property
    def household_level(self) -> bool: ...


def scope_of(user: Caller) -> R.Scope:
    """The repository scope of a caller: exactly their kabupaten (admins included)."""
    return R.Scope.of(user.kabupaten)


def record_audit(
    session: Session,
    user: Caller | None,
    aksi: str,
    *,
    objek: str | None = None,
    kode_kab: str | None = None,
    periode: str | None = None,
    n_baris: int | None = None,
    rincian: dict[str, Any] | None = None,
    alamat_ip: str | None = None,
) -> None:
    """Append one audit row (who, what, when, how many rows; never personal data) and commit."""
    R.append_audit(
        session,
        aksi=aksi,
        objek=objek,
        pengguna_id=user.user_id if user else None,
        aktor=user.username if user else None,
        kode_kab=kode_kab,
        periode=periode,
        n_baris=n_baris,
        rincian=rincian,
        alamat_ip=alamat_ip,
    )
    session.commit()


def begin_write(session: Session) -> None:
    """End the current (read) transaction and begin one that writes.

    On SQLite the new one takes the write lock at once (``BEGIN IMMEDIATE``): a read
    transaction cannot become a writing one after another connection has committed (the
    database would answer "locked" at once); PostgreSQL ignores the option.
    """
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def end_read(session: Session) -> None:
    """End a read-only transaction before the audit row is written (see
    :func:`begin_write`)."""
    session.rollback()
