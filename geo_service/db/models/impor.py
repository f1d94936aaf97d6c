"""Imports: one batch per imported file, its row problems and the quarantined rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.models.base import (
    BATCH_BERJALAN,
    Base,
    BigId,
    utcnow,
)

# --- imports --------------------------------------------------------------------------


class ImporBatch(Base):
    """One import of one file; ``laporan`` holds the summary, ``impor_masalah`` the rows."""

    __tablename__ = "impor_batch"
    __table_args__ = (
        # A file counts as imported once: at most one finished batch per kind and hash.
        Index(
            "uq_impor_batch_selesai",
            "jenis",
            "sha256",
            unique=True,
            sqlite_where=text("status = 'selesai'"),
            postgresql_where=text("status = 'selesai'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jenis: Mapped[str] = mapped_column(String(20))  # keluarga | batas | uji_petik
    berkas: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    ukuran_byte: Mapped[int] = mapped_column(BigInteger)
    periode: Mapped[str | None] = mapped_column(String(7))
    kode_kab: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default=BATCH_BERJALAN, index=True)
    sebagian: Mapped[bool] = mapped_column(Boolean, default=False)  # --partial
    ganti: Mapped[bool] = mapped_column(Boolean, default=False)  # --replace
    mulai: Mapped[datetime] = mapped_column(default=utcnow)
    selesai: Mapped[datetime | None]
    n_baris: Mapped[int] = mapped_column(Integer, default=0)
    n_sah: Mapped[int] = mapped_column(Integer, default=0)  # rows stored
    n_ditolak: Mapped[int] = mapped_column(Integer, default=0)  # rows rejected
    n_masalah: Mapped[int] = mapped_column(Integer, default=0)
    alasan: Mapped[str | None] = mapped_column(Text)  # why it failed (Bahasa Indonesia)
    laporan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    pengguna_id: Mapped[int | None] = mapped_column(ForeignKey("pengguna.id"))


class ImporMasalah(Base):
    """One problem of one row (the validator's report), kept for every batch."""

    __tablename__ = "impor_masalah"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("impor_batch.id"), index=True)
    baris: Mapped[int | None] = mapped_column(Integer)
    id_keluarga: Mapped[str | None] = mapped_column(Text)
    kolom: Mapped[str | None] = mapped_column(String(64))
    nilai: Mapped[str | None] = mapped_column(Text)
    kode_alasan: Mapped[str] = mapped_column(String(40))
    keterangan: Mapped[str | None] = mapped_column(Text)


class Karantina(Base):
    """A rejected row kept as read (``data``) with its reason codes (``--partial``)."""

    __tablename__ = "karantina"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("impor_batch.id"), index=True)
    baris: Mapped[int] = mapped_column(Integer)
    id_keluarga: Mapped[str | None] = mapped_column(Text)
    kode_alasan: Mapped[str] = mapped_column(Text)  # codes joined by ","
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
