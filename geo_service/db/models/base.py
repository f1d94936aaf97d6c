"""The declarative base, naming convention, shared column types and status values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Double,
    Integer,
    MetaData,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

SRID = 4326

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Status values (stored as text; documented here, checked in code).
BATCH_BERJALAN = "berjalan"  # running
BATCH_SELESAI = "selesai"  # done
BATCH_GAGAL = "gagal"  # failed, nothing of it stored
BATCH_DIGANTI = "diganti"  # done, then replaced by a newer import of the same snapshot
BATCH_STATUSES = (BATCH_BERJALAN, BATCH_SELESAI, BATCH_GAGAL, BATCH_DIGANTI)
JENIS_KELUARGA = "keluarga"
JENIS_BATAS = "batas"
JENIS_UJI_PETIK = "uji_petik"

RUN_BERJALAN = "berjalan"
RUN_SELESAI = "selesai"
RUN_GAGAL = "gagal"

ROLES = {
    "admin": "Administrator: semua kabupaten dalam cakupannya, pengguna, impor",
    "analis": "Analis: data tingkat keluarga untuk kabupatennya",
    "opd": "OPD: agregat dan target OPD sendiri",
    "publik": "Publik: agregat dengan penekanan sel kecil",
    "pendamping": "Pendamping: nama dan alamat keluarga di desa sampelnya sendiri",
}
UJI_PETIK_STATUSES = ("sesuai", "kondisi_berubah", "pindah", "meninggal", "tidak_ditemukan")


def utcnow() -> datetime:
    return datetime.now(UTC)


def geom_type(kind: str) -> Geometry:
    return Geometry(kind, srid=SRID, spatial_index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        datetime: DateTime(timezone=True),
        float: Double(),
    }
