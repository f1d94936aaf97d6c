"""Database models (SQLAlchemy 2 typed mappings, GeoAlchemy2 geometry in EPSG:4326).

One set of models for both backends (SpatiaLite and PostGIS). The schema itself is
created by the Alembic migrations in ``migrations/``; a test checks that the two agree.

Tables
------
Wilayah: ``provinsi``, ``kabupaten``, ``kecamatan``, ``desa`` (natural Kemendagri codes as
keys) and ``batas_versi`` (the boundary version each desa came from).
Families: ``keluarga`` (one row per family per periode, with its point, assigned desa, H3
cell and flags) and ``keluarga_snapshot`` (which import holds each periode x kabupaten).
Imports: ``impor_batch`` (file hash, kind, status, counts, summary report),
``impor_masalah`` (the full row report) and ``karantina`` (rejected rows kept on --partial).
Analysis: ``analisis_run`` (parameters, seed, version, time, status), ``analisis_tabel``
(one per stored result frame) and ``analisis_hasil`` (its rows: key numbers as columns,
the whole row as JSON, geometry).
Ground checks: ``uji_petik_sampel``, ``uji_petik_item``, ``uji_petik_hasil`` (one result per
sample and family); citizen reports: ``laporan_warga`` and ``laporan_warga_foto``.
Access: ``peran``, ``pengguna``, ``pengguna_kabupaten``, ``kunci_api``.
``audit_log``: append-only (a trigger refuses UPDATE and DELETE on both backends).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


def _geom(kind: str) -> Geometry:
    return Geometry(kind, srid=SRID, spatial_index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        datetime: DateTime(timezone=True),
        float: Double(),
    }


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
    geom: Mapped[WKBElement | None] = mapped_column(_geom("MULTIPOLYGON"), nullable=True)


class Kabupaten(Base):
    __tablename__ = "kabupaten"

    kode: Mapped[str] = mapped_column(String(5), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    kode_prov: Mapped[str] = mapped_column(ForeignKey("provinsi.kode"), index=True)
    versi_id: Mapped[int | None] = mapped_column(ForeignKey("batas_versi.id"))
    geom: Mapped[WKBElement | None] = mapped_column(_geom("MULTIPOLYGON"), nullable=True)


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
    geom: Mapped[WKBElement | None] = mapped_column(_geom("MULTIPOLYGON"), nullable=True)


class Desa(Base):
    __tablename__ = "desa"

    kode: Mapped[str] = mapped_column(String(13), primary_key=True)
    nama: Mapped[str] = mapped_column(String(100))
    jenis: Mapped[str | None] = mapped_column(String(10))  # desa | kelurahan
    kode_kec: Mapped[str] = mapped_column(ForeignKey("kecamatan.kode"), index=True)
    kode_kab: Mapped[str] = mapped_column(ForeignKey("kabupaten.kode"), index=True)
    versi_id: Mapped[int] = mapped_column(ForeignKey("batas_versi.id"), index=True)
    geom: Mapped[WKBElement] = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


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


# --- families -------------------------------------------------------------------------


class Keluarga(Base):
    """A family in one periode: the contract columns, where it is counted, its H3 cell."""

    __tablename__ = "keluarga"
    __table_args__ = (UniqueConstraint("periode", "kode_kab", "id_keluarga"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("impor_batch.id"), index=True)
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
    geom: Mapped[WKBElement | None] = mapped_column(_geom("POINT"), nullable=True)


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
    geom: Mapped[WKBElement | None] = mapped_column(_geom("GEOMETRY"), nullable=True)


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
    geom: Mapped[WKBElement | None] = mapped_column(_geom("POINT"), nullable=True)


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
