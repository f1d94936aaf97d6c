"""Access (roles, users, their kabupaten, API keys) and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo_service.db.models.base import (
    Base,
    BigId,
    utcnow,
)

# --- access ---------------------------------------------------------------------------


class Peran(Base):
    __tablename__ = "peran"

    kode: Mapped[str] = mapped_column(String(20), primary_key=True)
    keterangan: Mapped[str] = mapped_column(Text)


class Pengguna(Base):
    __tablename__ = "pengguna"

    id: Mapped[int] = mapped_column(primary_key=True)
    nama_pengguna: Mapped[str] = mapped_column(String(64), unique=True)
    nama_lengkap: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    peran: Mapped[str] = mapped_column(ForeignKey("peran.kode"))
    kata_sandi_hash: Mapped[str | None] = mapped_column(String(255))  # for OAuth2 password flow
    kode_opd: Mapped[str | None] = mapped_column(String(64))  # role opd: which OPD
    aktif: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on deactivation, role, scope or password change: tokens and sessions carrying
    # an older version stop working at the next request (migration 0004).
    versi_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)

    kabupaten: Mapped[list[PenggunaKabupaten]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class PenggunaKabupaten(Base):
    """The kabupaten a user may see (the scope enforced in repository queries)."""

    __tablename__ = "pengguna_kabupaten"

    pengguna_id: Mapped[int] = mapped_column(
        ForeignKey("pengguna.id", ondelete="CASCADE"), primary_key=True
    )
    kode_kab: Mapped[str] = mapped_column(String(5), primary_key=True)


class KunciApi(Base):
    """An API key: only its SHA-256 is stored; ``awalan`` (prefix) finds it quickly."""

    __tablename__ = "kunci_api"

    id: Mapped[int] = mapped_column(primary_key=True)
    pengguna_id: Mapped[int] = mapped_column(
        ForeignKey("pengguna.id", ondelete="CASCADE"), index=True
    )
    nama: Mapped[str] = mapped_column(String(100))
    awalan: Mapped[str] = mapped_column(String(16), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)
    kedaluwarsa: Mapped[datetime | None]
    dicabut: Mapped[datetime | None]
    terakhir_dipakai: Mapped[datetime | None]


# --- audit ----------------------------------------------------------------------------


class AuditLog(Base):
    """Who did what, when, to how many rows; never the personal data itself. Append-only."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    waktu: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    pengguna_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives users
    aktor: Mapped[str | None] = mapped_column(String(64))
    aksi: Mapped[str] = mapped_column(String(40))  # baca_keluarga, ekspor, impor, ...
    objek: Mapped[str | None] = mapped_column(String(64))
    kode_kab: Mapped[str | None] = mapped_column(String(5))
    periode: Mapped[str | None] = mapped_column(String(7))
    n_baris: Mapped[int | None] = mapped_column(Integer)
    rincian: Mapped[dict[str, Any]] = mapped_column(default=dict)
    alamat_ip: Mapped[str | None] = mapped_column(String(45))
