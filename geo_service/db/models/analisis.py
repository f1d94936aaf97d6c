"""Analysis runs and their stored result frames."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from geo_service.db.models.base import (
    RUN_BERJALAN,
    Base,
    BigId,
    geom_type,
    utcnow,
)

# --- analysis runs --------------------------------------------------------------------


class AnalisisRun(Base):
    __tablename__ = "analisis_run"
    __table_args__ = (Index(None, "kode_kab", "periode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kode_kab: Mapped[str] = mapped_column(String(5))
    periode: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(12), default=RUN_BERJALAN)
    parameter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    versi: Mapped[str] = mapped_column(String(32))  # geo_service version
    mulai: Mapped[datetime] = mapped_column(default=utcnow)
    selesai: Mapped[datetime | None]
    detik: Mapped[float | None]
    alasan: Mapped[str | None] = mapped_column(Text)
    sumber: Mapped[dict[str, Any]] = mapped_column(default=dict)  # batches, boundary version
    ringkasan: Mapped[dict[str, Any]] = mapped_column(default=dict)  # kabupaten totals
    pengguna_id: Mapped[int | None] = mapped_column(ForeignKey("pengguna.id"))

    tabel: Mapped[list[AnalisisTabel]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="AnalisisTabel.id"
    )


class AnalisisTabel(Base):
    """One result frame of a run (``desa``, ``h3``, ``kantong``, ``prioritas``, ...)."""

    __tablename__ = "analisis_tabel"
    __table_args__ = (UniqueConstraint("run_id", "nama"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("analisis_run.id", ondelete="CASCADE"))
    nama: Mapped[str] = mapped_column(String(40))
    kolom: Mapped[list[Any]] = mapped_column(default=list)  # [[name, dtype], ...] in order
    n_baris: Mapped[int] = mapped_column(Integer)
    geometri: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[AnalisisRun] = relationship(back_populates="tabel")


class AnalisisHasil(Base):
    """One row of a result frame: key numbers as columns, the full row in ``nilai``."""

    __tablename__ = "analisis_hasil"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tabel_id: Mapped[int] = mapped_column(
        ForeignKey("analisis_tabel.id", ondelete="CASCADE"), index=True
    )
    urutan: Mapped[int] = mapped_column(Integer)
    kunci: Mapped[str | None] = mapped_column(String(64))
    kode_desa: Mapped[str | None] = mapped_column(String(13), index=True)
    h3: Mapped[str | None] = mapped_column(String(16))
    n_keluarga: Mapped[int | None] = mapped_column(BigInteger)
    n_jiwa: Mapped[int | None] = mapped_column(BigInteger)
    n_keluarga_ekstrem: Mapped[int | None] = mapped_column(BigInteger)
    n_jiwa_ekstrem: Mapped[int | None] = mapped_column(BigInteger)
    pct_jiwa_ekstrem: Mapped[float | None]
    skor: Mapped[float | None]
    peringkat: Mapped[int | None] = mapped_column(Integer)
    nilai: Mapped[dict[str, Any]] = mapped_column(default=dict)
    geom: Mapped[WKBElement | None] = mapped_column(geom_type("GEOMETRY"), nullable=True)
