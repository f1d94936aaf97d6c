"""Identities (issue 16): the encrypted vault, retention, key fingerprints, erasures and
the desa of a facilitator."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.models.base import (
    Base,
    utcnow,
)

# --- identities (issue 16) ------------------------------------------------------------


class IdentitasKeluarga(Base):
    """A family's direct identifiers (name, NIK, KK number, address) as ONE encrypted token
    (Fernet) in ``data``; read only through ``services/identitas.py`` (never by analysis,
    aggregates or maps). ``sidik_kunci``: fingerprint prefix of the encrypting key."""

    __tablename__ = "identitas_keluarga"

    id_keluarga: Mapped[str] = mapped_column(String(64), primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5), index=True)
    kode_desa: Mapped[str | None] = mapped_column(String(13), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sidik_kunci: Mapped[str] = mapped_column(String(16))
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)
    diperbarui: Mapped[datetime] = mapped_column(default=utcnow)


class IdentitasPeriode(Base):
    """Which periode (snapshot) brought an identity: retention is per periode."""

    __tablename__ = "identitas_periode"
    __table_args__ = (Index(None, "kode_kab", "periode"),)

    id_keluarga: Mapped[str] = mapped_column(
        String(64),
        ForeignKey("identitas_keluarga.id_keluarga", ondelete="CASCADE"),
        primary_key=True,
    )
    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5))
    batch_id: Mapped[int | None] = mapped_column(Integer)


class IdentitasRetensi(Base):
    """Identities of a periode in a kabupaten are kept until ``simpan_sampai``."""

    __tablename__ = "identitas_retensi"

    kode_kab: Mapped[str] = mapped_column(String(5), primary_key=True)
    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    simpan_sampai: Mapped[date] = mapped_column(Date)
    diubah: Mapped[datetime] = mapped_column(default=utcnow)
    pengguna_id: Mapped[int | None] = mapped_column(Integer)


class IdentitasKunci(Base):
    """Fingerprints of the pseudonym and vault keys in use (never the keys)."""

    __tablename__ = "identitas_kunci"

    jenis: Mapped[str] = mapped_column(String(16), primary_key=True)  # pseudonim | brankas
    sidik: Mapped[str] = mapped_column(String(64))
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)


class IdentitasDihapus(Base):
    """A family whose identity was erased on request: later imports do not store it again."""

    __tablename__ = "identitas_dihapus"

    id_keluarga: Mapped[str] = mapped_column(String(64), primary_key=True)
    waktu: Mapped[datetime] = mapped_column(default=utcnow)


class PendampingDesa(Base):
    """The desa of a ground-check sample a ``pendamping`` (facilitator) works in."""

    __tablename__ = "pendamping_desa"

    pengguna_id: Mapped[int] = mapped_column(
        ForeignKey("pengguna.id", ondelete="CASCADE"), primary_key=True
    )
    sampel_id: Mapped[int] = mapped_column(
        ForeignKey("uji_petik_sampel.id", ondelete="CASCADE"), primary_key=True
    )
    kode_desa: Mapped[str] = mapped_column(String(13), primary_key=True)
