"""Wilayah: provinsi, kabupaten, kecamatan, desa (Kemendagri codes as keys), the boundary
version each desa came from and the stored fast-join index per kabupaten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo_service.db.models.base import (
    Base,
    geom_type,
    utcnow,
)

# --- wilayah --------------------------------------------------------------------------


class BatasVersi(Base):
    """One imported boundary file: the version every desa row it wrote points to."""

    __tablename__ = "batas_versi"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("impor_batch.id"), index=True)
    berkas: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    kode_kab: Mapped[list[Any]] = mapped_column(default=list)
    n_desa: Mapped[int] = mapped_column(Integer)
    crs_asal: Mapped[str | None] = mapped_column(String(64))
    diperbaiki: Mapped[list[Any]] = mapped_column(default=list)  # desa repaired by make_valid
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)


class Provinsi(Base):
    __tablename__ = "provinsi"

    kode: Mapped[str] = mapped_column(String(2), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("MULTIPOLYGON"), nullable=True)


class Kabupaten(Base):
    __tablename__ = "kabupaten"

    kode: Mapped[str] = mapped_column(String(5), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    kode_prov: Mapped[str] = mapped_column(ForeignKey("provinsi.kode"), index=True)
    versi_id: Mapped[int | None] = mapped_column(ForeignKey("batas_versi.id"))
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("MULTIPOLYGON"), nullable=True)


class IndeksBatas(Base):
    """The fast-join boundary index of a kabupaten's desa (``analysis.fastjoin``), built once
    per boundary version and reused by every analysis of that version."""

    __tablename__ = "indeks_batas"

    kode_kab: Mapped[str] = mapped_column(String(5), primary_key=True)
    sidik: Mapped[str] = mapped_column(String(64))  # boundary_fingerprint of the desa layer
    data: Mapped[bytes] = mapped_column(LargeBinary)
    dibuat: Mapped[datetime] = mapped_column(default=utcnow)


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    kode: Mapped[str] = mapped_column(String(8), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    kode_kab: Mapped[str] = mapped_column(ForeignKey("kabupaten.kode"), index=True)
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("MULTIPOLYGON"), nullable=True)


class Desa(Base):
    __tablename__ = "desa"

    kode: Mapped[str] = mapped_column(String(13), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    jenis: Mapped[str | None] = mapped_column(String(10))  # desa | kelurahan
    kode_kec: Mapped[str] = mapped_column(ForeignKey("kecamatan.kode"), index=True)
    kode_kab: Mapped[str] = mapped_column(ForeignKey("kabupaten.kode"), index=True)
    versi_id: Mapped[int] = mapped_column(ForeignKey("batas_versi.id"), index=True)
    geom: Mapped[WKBElement] = mapped_column(geom_type("MULTIPOLYGON"), nullable=False)
