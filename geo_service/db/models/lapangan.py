"""Ground checks (uji petik) and citizen reports (laporan warga)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.models.base import (
    Base,
    BigId,
    JSONType,
    geom_type,
    utcnow,
)

# --- ground checks (uji petik) --------------------------------------------------------


class UjiPetikSampel(Base):
    __tablename__ = "uji_petik_sampel"

    id: Mapped[int] = mapped_column(primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5), index=True)
    periode: Mapped[str] = mapped_column(String(7))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    parameter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("analisis_run.id"))
    n_item: Mapped[int] = mapped_column(Integer, default=0)
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)
    pengguna_id: Mapped[int | None] = mapped_column(ForeignKey("pengguna.id"))


class UjiPetikItem(Base):
    """A family to visit: flagged (``jenis="bendera"``) or drawn at random (``"acak"``)."""

    __tablename__ = "uji_petik_item"
    __table_args__ = (UniqueConstraint("sampel_id", "id_keluarga"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sampel_id: Mapped[int] = mapped_column(ForeignKey("uji_petik_sampel.id", ondelete="CASCADE"))
    id_keluarga: Mapped[str] = mapped_column(String(64))
    kode_desa: Mapped[str] = mapped_column(String(13), index=True)
    jenis: Mapped[str] = mapped_column(String(10))
    alasan: Mapped[str | None] = mapped_column(Text)  # flag codes joined by ";"
    strata: Mapped[str | None] = mapped_column(String(32))
    bobot: Mapped[float | None]  # inverse inclusion probability (random part)
    urutan: Mapped[int] = mapped_column(Integer)
    petugas: Mapped[str | None] = mapped_column(String(100))
    # The other columns of the sample list as drawn (family values at sampling time).
    nilai: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class UjiPetikHasil(Base):
    """What the officer found for one family of a sample (one row per sample and family:
    a later result replaces it)."""

    __tablename__ = "uji_petik_hasil"
    __table_args__ = (Index(None, "sampel_id", "id_keluarga", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sampel_id: Mapped[int] = mapped_column(ForeignKey("uji_petik_sampel.id", ondelete="CASCADE"))
    id_keluarga: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))  # one of UJI_PETIK_STATUSES
    petugas: Mapped[str | None] = mapped_column(String(100))
    tanggal: Mapped[date | None] = mapped_column(Date)
    perubahan: Mapped[dict[str, Any]] = mapped_column(default=dict)  # updated contract fields
    catatan: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("impor_batch.id"), index=True)
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("POINT"), nullable=True)


# --- citizen reports (laporan warga) -------------------------------------------------


class LaporanWarga(Base):
    """A citizen report (fields of :class:`geo_service.services.laporan_warga.CitizenReport`).

    Times are ISO text in UTC as the service writes them (they sort as text).
    """

    __tablename__ = "laporan_warga"

    nomor: Mapped[str] = mapped_column(String(32), primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5), index=True)
    kode_desa: Mapped[str] = mapped_column(String(13))
    jenis: Mapped[str] = mapped_column(String(32))
    keterangan: Mapped[str] = mapped_column(Text)
    dibuat: Mapped[str] = mapped_column(String(40))
    diperbarui: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)
    id_keluarga: Mapped[str | None] = mapped_column(String(64), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    foto_sha256: Mapped[str | None] = mapped_column(String(64))
    foto_jenis: Mapped[str | None] = mapped_column(String(8))
    kontak: Mapped[str | None] = mapped_column(String(200))
    pelapor: Mapped[str] = mapped_column(String(64), default="")
    catatan_petugas: Mapped[str | None] = mapped_column(Text)
    sampel_id: Mapped[str | None] = mapped_column(String(64))


class LaporanWargaFoto(Base):
    """A report's photo (JPEG/PNG, at most 5 MB), keyed by its SHA-256."""

    __tablename__ = "laporan_warga_foto"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    jenis: Mapped[str] = mapped_column(String(8))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)
