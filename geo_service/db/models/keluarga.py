"""Families: one row per family per periode, and which import holds each snapshot."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.models.base import (
    Base,
    BigId,
    geom_type,
    utcnow,
)

# --- families -------------------------------------------------------------------------


UNIQUE_KELUARGA = "uq_keluarga_periode_kode_kab_id_keluarga"


class Keluarga(Base):
    """A family in one periode: the contract columns, where it is counted, its H3 cell."""

    __tablename__ = "keluarga"
    # The natural key as a unique index of its own (migration 0006), not a table
    # constraint: a large load drops it and builds it once after the rows (checking for
    # duplicates first, see ``db.bulk``). ``batch_id`` names an ``impor_batch`` row; it is
    # checked once per statement (PostgreSQL: statement triggers over the transition
    # tables; SQLite: a row trigger that a bulk load replaces by one set-based check),
    # not by a per-row foreign key.
    __table_args__ = (Index(UNIQUE_KELUARGA, "periode", "kode_kab", "id_keluarga", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, index=True)
    periode: Mapped[str] = mapped_column(String(7))
    kode_kab: Mapped[str] = mapped_column(String(5))  # of the registered kode_desa
    id_keluarga: Mapped[str] = mapped_column(String(64))
    kode_desa: Mapped[str] = mapped_column(String(13))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    jumlah_art: Mapped[int] = mapped_column(SmallInteger)
    desil: Mapped[int] = mapped_column(SmallInteger)
    pengeluaran_kapita: Mapped[int | None] = mapped_column(BigInteger)
    penerima_pkh: Mapped[int] = mapped_column(SmallInteger, default=0)
    penerima_bpnt: Mapped[int] = mapped_column(SmallInteger, default=0)
    penerima_pbi_jk: Mapped[int] = mapped_column(SmallInteger, default=0)
    penerima_blt: Mapped[int] = mapped_column(SmallInteger, default=0)
    rumah_tidak_layak: Mapped[int] = mapped_column(SmallInteger, default=0)
    tanpa_jamban: Mapped[int] = mapped_column(SmallInteger, default=0)
    air_minum_tidak_layak: Mapped[int] = mapped_column(SmallInteger, default=0)
    tanpa_listrik: Mapped[int] = mapped_column(SmallInteger, default=0)
    kk_tidak_tamat_sd: Mapped[int] = mapped_column(SmallInteger, default=0)
    anak_tidak_sekolah: Mapped[int] = mapped_column(SmallInteger, default=0)
    kk_tidak_bekerja: Mapped[int] = mapped_column(SmallInteger, default=0)
    baris: Mapped[int] = mapped_column(Integer)  # spreadsheet row in the imported file
    kode_desa_lokasi: Mapped[str | None] = mapped_column(String(13), index=True)
    status_lokasi: Mapped[str] = mapped_column(String(16))
    jarak_m: Mapped[float | None]
    lokasi_tidak_sesuai: Mapped[bool] = mapped_column(Boolean, default=False)
    h3: Mapped[str | None] = mapped_column(String(16))
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("POINT"), nullable=True)


class KeluargaSnapshot(Base):
    """Which import holds the families of a periode and kabupaten (never two)."""

    __tablename__ = "keluarga_snapshot"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("impor_batch.id"), index=True)
    n_keluarga: Mapped[int] = mapped_column(Integer)
    n_jiwa: Mapped[int] = mapped_column(Integer)
    h3_resolusi: Mapped[int] = mapped_column(SmallInteger)
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)
