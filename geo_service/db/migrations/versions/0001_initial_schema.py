"""Initial schema: wilayah, keluarga, imports, analysis runs, ground checks, access, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Runs on SpatiaLite and PostGIS (GeoAlchemy2 alembic helpers create the geometry columns
and their spatial indexes: R*Tree on SpatiaLite, GiST on PostGIS). ``audit_log`` is made
append-only by triggers on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import geoalchemy2.alembic_helpers  # noqa: F401 - registers the geospatial operations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

ROLES = [
    ("admin", "Administrator: semua kabupaten dalam cakupannya, pengguna, impor"),
    ("analis", "Analis: data tingkat keluarga untuk kabupatennya"),
    ("opd", "OPD: agregat dan target OPD sendiri"),
    ("publik", "Publik: agregat dengan penekanan sel kecil"),
]
APPEND_ONLY = "audit_log hanya boleh ditambah (append-only): UPDATE dan DELETE ditolak"

PG_AUDIT = [
    f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
]
SQLITE_AUDIT = [
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("waktu", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pengguna_id", sa.Integer(), nullable=True),
        sa.Column("aktor", sa.String(length=64), nullable=True),
        sa.Column("aksi", sa.String(length=40), nullable=False),
        sa.Column("objek", sa.String(length=64), nullable=True),
        sa.Column("kode_kab", sa.String(length=5), nullable=True),
        sa.Column("periode", sa.String(length=7), nullable=True),
        sa.Column("n_baris", sa.Integer(), nullable=True),
        sa.Column("rincian", JSON, nullable=False),
        sa.Column("alamat_ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_waktu"), "audit_log", ["waktu"], unique=False)

    op.create_table(
        "peran",
        sa.Column("kode", sa.String(length=20), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_peran")),
    )
    op.create_geospatial_table(
        "provinsi",
        sa.Column("kode", sa.String(length=2), nullable=False),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_provinsi")),
    )
    op.create_geospatial_index(
        "idx_provinsi_geom",
        "provinsi",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )

    op.create_table(
        "pengguna",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nama_pengguna", sa.String(length=64), nullable=False),
        sa.Column("nama_lengkap", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("peran", sa.String(length=20), nullable=False),
        sa.Column("kata_sandi_hash", sa.String(length=255), nullable=True),
        sa.Column("kode_opd", sa.String(length=64), nullable=True),
        sa.Column("aktif", sa.Boolean(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["peran"], ["peran.kode"], name=op.f("fk_pengguna_peran_peran")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pengguna")),
        sa.UniqueConstraint("nama_pengguna", name=op.f("uq_pengguna_nama_pengguna")),
    )
    op.create_table(
        "analisis_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("periode", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parameter", JSON, nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("versi", sa.String(length=32), nullable=False),
        sa.Column("mulai", sa.DateTime(timezone=True), nullable=False),
        sa.Column("selesai", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detik", sa.Double(), nullable=True),
        sa.Column("alasan", sa.Text(), nullable=True),
        sa.Column("sumber", JSON, nullable=False),
        sa.Column("ringkasan", JSON, nullable=False),
        sa.Column("pengguna_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pengguna_id"], ["pengguna.id"], name=op.f("fk_analisis_run_pengguna_id_pengguna")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analisis_run")),
    )
    op.create_index(
        op.f("ix_analisis_run_kode_kab_periode"),
        "analisis_run",
        ["kode_kab", "periode"],
        unique=False,
    )

    op.create_table(
        "impor_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jenis", sa.String(length=20), nullable=False),
        sa.Column("berkas", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ukuran_byte", sa.BigInteger(), nullable=False),
        sa.Column("periode", sa.String(length=7), nullable=True),
        sa.Column("kode_kab", JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sebagian", sa.Boolean(), nullable=False),
        sa.Column("ganti", sa.Boolean(), nullable=False),
        sa.Column("mulai", sa.DateTime(timezone=True), nullable=False),
        sa.Column("selesai", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n_baris", sa.Integer(), nullable=False),
        sa.Column("n_sah", sa.Integer(), nullable=False),
        sa.Column("n_ditolak", sa.Integer(), nullable=False),
        sa.Column("n_masalah", sa.Integer(), nullable=False),
        sa.Column("alasan", sa.Text(), nullable=True),
        sa.Column("laporan", JSON, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pengguna_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pengguna_id"], ["pengguna.id"], name=op.f("fk_impor_batch_pengguna_id_pengguna")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impor_batch")),
    )
    op.create_index(op.f("ix_impor_batch_sha256"), "impor_batch", ["sha256"], unique=False)
    op.create_index(op.f("ix_impor_batch_status"), "impor_batch", ["status"], unique=False)
    op.create_index(
        "uq_impor_batch_selesai",
        "impor_batch",
        ["jenis", "sha256"],
        unique=True,
        sqlite_where=sa.text("status = 'selesai'"),
        postgresql_where=sa.text("status = 'selesai'"),
    )

    op.create_table(
        "kunci_api",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pengguna_id", sa.Integer(), nullable=False),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("awalan", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kedaluwarsa", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dicabut", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terakhir_dipakai", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pengguna_id"],
            ["pengguna.id"],
            name=op.f("fk_kunci_api_pengguna_id_pengguna"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kunci_api")),
        sa.UniqueConstraint("awalan", name=op.f("uq_kunci_api_awalan")),
    )
    op.create_index(op.f("ix_kunci_api_pengguna_id"), "kunci_api", ["pengguna_id"], unique=False)

    op.create_table(
        "pengguna_kabupaten",
        sa.Column("pengguna_id", sa.Integer(), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["pengguna_id"],
            ["pengguna.id"],
            name=op.f("fk_pengguna_kabupaten_pengguna_id_pengguna"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pengguna_id", "kode_kab", name=op.f("pk_pengguna_kabupaten")),
    )
    op.create_table(
        "analisis_tabel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("nama", sa.String(length=40), nullable=False),
        sa.Column("kolom", JSON, nullable=False),
        sa.Column("n_baris", sa.Integer(), nullable=False),
        sa.Column("geometri", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analisis_run.id"],
            name=op.f("fk_analisis_tabel_run_id_analisis_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analisis_tabel")),
        sa.UniqueConstraint("run_id", "nama", name=op.f("uq_analisis_tabel_run_id_nama")),
    )
    op.create_table(
        "batas_versi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("berkas", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kode_kab", JSON, nullable=False),
        sa.Column("n_desa", sa.Integer(), nullable=False),
        sa.Column("crs_asal", sa.String(length=64), nullable=True),
        sa.Column("diperbaiki", JSON, nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_batas_versi_batch_id_impor_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batas_versi")),
    )
    op.create_index(op.f("ix_batas_versi_batch_id"), "batas_versi", ["batch_id"], unique=False)

    op.create_table(
        "impor_masalah",
        sa.Column("id", BigId, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("baris", sa.Integer(), nullable=True),
        sa.Column("id_keluarga", sa.Text(), nullable=True),
        sa.Column("kolom", sa.String(length=64), nullable=True),
        sa.Column("nilai", sa.Text(), nullable=True),
        sa.Column("kode_alasan", sa.String(length=40), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_impor_masalah_batch_id_impor_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impor_masalah")),
    )
    op.create_index(op.f("ix_impor_masalah_batch_id"), "impor_masalah", ["batch_id"], unique=False)

    op.create_table(
        "karantina",
        sa.Column("id", BigId, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("baris", sa.Integer(), nullable=False),
        sa.Column("id_keluarga", sa.Text(), nullable=True),
        sa.Column("kode_alasan", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_karantina_batch_id_impor_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_karantina")),
    )
    op.create_index(op.f("ix_karantina_batch_id"), "karantina", ["batch_id"], unique=False)

    op.create_geospatial_table(
        "keluarga",
        sa.Column("id", BigId, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("periode", sa.String(length=7), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("id_keluarga", sa.String(length=64), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("jumlah_art", sa.SmallInteger(), nullable=False),
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.Column("pengeluaran_kapita", sa.BigInteger(), nullable=True),
        sa.Column("penerima_pkh", sa.SmallInteger(), nullable=False),
        sa.Column("penerima_bpnt", sa.SmallInteger(), nullable=False),
        sa.Column("penerima_pbi_jk", sa.SmallInteger(), nullable=False),
        sa.Column("penerima_blt", sa.SmallInteger(), nullable=False),
        sa.Column("rumah_tidak_layak", sa.SmallInteger(), nullable=False),
        sa.Column("tanpa_jamban", sa.SmallInteger(), nullable=False),
        sa.Column("air_minum_tidak_layak", sa.SmallInteger(), nullable=False),
        sa.Column("tanpa_listrik", sa.SmallInteger(), nullable=False),
        sa.Column("kk_tidak_tamat_sd", sa.SmallInteger(), nullable=False),
        sa.Column("anak_tidak_sekolah", sa.SmallInteger(), nullable=False),
        sa.Column("kk_tidak_bekerja", sa.SmallInteger(), nullable=False),
        sa.Column("baris", sa.Integer(), nullable=False),
        sa.Column("kode_desa_lokasi", sa.String(length=13), nullable=True),
        sa.Column("status_lokasi", sa.String(length=16), nullable=False),
        sa.Column("jarak_m", sa.Double(), nullable=True),
        sa.Column("lokasi_tidak_sesuai", sa.Boolean(), nullable=False),
        sa.Column("h3", sa.String(length=16), nullable=True),
        sa.Column(
            "geom", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_keluarga_batch_id_impor_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keluarga")),
        sa.UniqueConstraint(
            "periode",
            "kode_kab",
            "id_keluarga",
            name=op.f("uq_keluarga_periode_kode_kab_id_keluarga"),
        ),
    )
    op.create_geospatial_index(
        "idx_keluarga_geom",
        "keluarga",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_keluarga_batch_id"), "keluarga", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_keluarga_kode_desa_lokasi"), "keluarga", ["kode_desa_lokasi"], unique=False
    )

    op.create_table(
        "keluarga_snapshot",
        sa.Column("periode", sa.String(length=7), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("n_keluarga", sa.Integer(), nullable=False),
        sa.Column("n_jiwa", sa.Integer(), nullable=False),
        sa.Column("h3_resolusi", sa.SmallInteger(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_keluarga_snapshot_batch_id_impor_batch")
        ),
        sa.PrimaryKeyConstraint("periode", "kode_kab", name=op.f("pk_keluarga_snapshot")),
    )
    op.create_index(
        op.f("ix_keluarga_snapshot_batch_id"), "keluarga_snapshot", ["batch_id"], unique=False
    )

    op.create_table(
        "uji_petik_sampel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("periode", sa.String(length=7), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("parameter", JSON, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("n_item", sa.Integer(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pengguna_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pengguna_id"], ["pengguna.id"], name=op.f("fk_uji_petik_sampel_pengguna_id_pengguna")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["analisis_run.id"], name=op.f("fk_uji_petik_sampel_run_id_analisis_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uji_petik_sampel")),
    )
    op.create_index(
        op.f("ix_uji_petik_sampel_kode_kab"), "uji_petik_sampel", ["kode_kab"], unique=False
    )

    op.create_geospatial_table(
        "analisis_hasil",
        sa.Column("id", BigId, nullable=False),
        sa.Column("tabel_id", sa.Integer(), nullable=False),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("kunci", sa.String(length=64), nullable=True),
        sa.Column("kode_desa", sa.String(length=13), nullable=True),
        sa.Column("h3", sa.String(length=16), nullable=True),
        sa.Column("n_keluarga", sa.BigInteger(), nullable=True),
        sa.Column("n_jiwa", sa.BigInteger(), nullable=True),
        sa.Column("n_keluarga_ekstrem", sa.BigInteger(), nullable=True),
        sa.Column("n_jiwa_ekstrem", sa.BigInteger(), nullable=True),
        sa.Column("pct_jiwa_ekstrem", sa.Double(), nullable=True),
        sa.Column("skor", sa.Double(), nullable=True),
        sa.Column("peringkat", sa.Integer(), nullable=True),
        sa.Column("nilai", JSON, nullable=False),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False), nullable=True),
        sa.ForeignKeyConstraint(
            ["tabel_id"],
            ["analisis_tabel.id"],
            name=op.f("fk_analisis_hasil_tabel_id_analisis_tabel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analisis_hasil")),
    )
    op.create_geospatial_index(
        "idx_analisis_hasil_geom",
        "analisis_hasil",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_analisis_hasil_kode_desa"), "analisis_hasil", ["kode_desa"], unique=False
    )
    op.create_index(
        op.f("ix_analisis_hasil_tabel_id"), "analisis_hasil", ["tabel_id"], unique=False
    )

    op.create_geospatial_table(
        "kabupaten",
        sa.Column("kode", sa.String(length=5), nullable=False),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("kode_prov", sa.String(length=2), nullable=False),
        sa.Column("versi_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["kode_prov"], ["provinsi.kode"], name=op.f("fk_kabupaten_kode_prov_provinsi")
        ),
        sa.ForeignKeyConstraint(
            ["versi_id"], ["batas_versi.id"], name=op.f("fk_kabupaten_versi_id_batas_versi")
        ),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_kabupaten")),
    )
    op.create_geospatial_index(
        "idx_kabupaten_geom",
        "kabupaten",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_kabupaten_kode_prov"), "kabupaten", ["kode_prov"], unique=False)

    op.create_geospatial_table(
        "uji_petik_hasil",
        sa.Column("id", BigId, nullable=False),
        sa.Column("sampel_id", sa.Integer(), nullable=False),
        sa.Column("id_keluarga", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("petugas", sa.String(length=100), nullable=True),
        sa.Column("tanggal", sa.Date(), nullable=True),
        sa.Column("perubahan", JSON, nullable=False),
        sa.Column("catatan", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom", Geometry(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["impor_batch.id"], name=op.f("fk_uji_petik_hasil_batch_id_impor_batch")
        ),
        sa.ForeignKeyConstraint(
            ["sampel_id"],
            ["uji_petik_sampel.id"],
            name=op.f("fk_uji_petik_hasil_sampel_id_uji_petik_sampel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uji_petik_hasil")),
    )
    op.create_geospatial_index(
        "idx_uji_petik_hasil_geom",
        "uji_petik_hasil",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_uji_petik_hasil_batch_id"), "uji_petik_hasil", ["batch_id"], unique=False
    )
    op.create_index(
        op.f("ix_uji_petik_hasil_sampel_id_id_keluarga"),
        "uji_petik_hasil",
        ["sampel_id", "id_keluarga"],
        unique=False,
    )

    op.create_table(
        "uji_petik_item",
        sa.Column("id", BigId, nullable=False),
        sa.Column("sampel_id", sa.Integer(), nullable=False),
        sa.Column("id_keluarga", sa.String(length=64), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("jenis", sa.String(length=10), nullable=False),
        sa.Column("alasan", sa.String(length=64), nullable=True),
        sa.Column("strata", sa.String(length=32), nullable=True),
        sa.Column("bobot", sa.Double(), nullable=True),
        sa.Column("urutan", sa.Integer(), nullable=False),
        sa.Column("petugas", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["sampel_id"],
            ["uji_petik_sampel.id"],
            name=op.f("fk_uji_petik_item_sampel_id_uji_petik_sampel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uji_petik_item")),
        sa.UniqueConstraint(
            "sampel_id", "id_keluarga", name=op.f("uq_uji_petik_item_sampel_id_id_keluarga")
        ),
    )
    op.create_index(
        op.f("ix_uji_petik_item_kode_desa"), "uji_petik_item", ["kode_desa"], unique=False
    )

    op.create_geospatial_table(
        "kecamatan",
        sa.Column("kode", sa.String(length=8), nullable=False),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["kode_kab"], ["kabupaten.kode"], name=op.f("fk_kecamatan_kode_kab_kabupaten")
        ),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_kecamatan")),
    )
    op.create_geospatial_index(
        "idx_kecamatan_geom",
        "kecamatan",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_kecamatan_kode_kab"), "kecamatan", ["kode_kab"], unique=False)

    op.create_geospatial_table(
        "desa",
        sa.Column("kode", sa.String(length=13), nullable=False),
        sa.Column("nama", sa.String(length=100), nullable=False),
        sa.Column("jenis", sa.String(length=10), nullable=True),
        sa.Column("kode_kec", sa.String(length=8), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("versi_id", sa.Integer(), nullable=False),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False, nullable=False),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["kode_kab"], ["kabupaten.kode"], name=op.f("fk_desa_kode_kab_kabupaten")
        ),
        sa.ForeignKeyConstraint(
            ["kode_kec"], ["kecamatan.kode"], name=op.f("fk_desa_kode_kec_kecamatan")
        ),
        sa.ForeignKeyConstraint(
            ["versi_id"], ["batas_versi.id"], name=op.f("fk_desa_versi_id_batas_versi")
        ),
        sa.PrimaryKeyConstraint("kode", name=op.f("pk_desa")),
    )
    op.create_geospatial_index(
        "idx_desa_geom", "desa", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index(op.f("ix_desa_kode_kab"), "desa", ["kode_kab"], unique=False)
    op.create_index(op.f("ix_desa_kode_kec"), "desa", ["kode_kec"], unique=False)
    op.create_index(op.f("ix_desa_versi_id"), "desa", ["versi_id"], unique=False)

    for stmt in PG_AUDIT if dialect == "postgresql" else SQLITE_AUDIT:
        op.execute(stmt)
    peran = sa.table("peran", sa.column("kode", sa.String), sa.column("keterangan", sa.Text))
    op.bulk_insert(peran, [{"kode": k, "keterangan": v} for k, v in ROLES])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.drop_geospatial_index("idx_desa_geom", "desa", column_name="geom")
    op.drop_geospatial_table("desa")
    op.drop_geospatial_index("idx_kecamatan_geom", "kecamatan", column_name="geom")
    op.drop_geospatial_table("kecamatan")
    op.drop_table("uji_petik_item")
    op.drop_geospatial_index("idx_uji_petik_hasil_geom", "uji_petik_hasil", column_name="geom")
    op.drop_geospatial_table("uji_petik_hasil")
    op.drop_geospatial_index("idx_kabupaten_geom", "kabupaten", column_name="geom")
    op.drop_geospatial_table("kabupaten")
    op.drop_geospatial_index("idx_analisis_hasil_geom", "analisis_hasil", column_name="geom")
    op.drop_geospatial_table("analisis_hasil")
    op.drop_table("uji_petik_sampel")
    op.drop_table("keluarga_snapshot")
    op.drop_geospatial_index("idx_keluarga_geom", "keluarga", column_name="geom")
    op.drop_geospatial_table("keluarga")
    op.drop_table("karantina")
    op.drop_table("impor_masalah")
    op.drop_table("batas_versi")
    op.drop_table("analisis_tabel")
    op.drop_table("pengguna_kabupaten")
    op.drop_table("kunci_api")
    op.drop_table("impor_batch")
    op.drop_table("analisis_run")
    op.drop_table("pengguna")
    op.drop_geospatial_index("idx_provinsi_geom", "provinsi", column_name="geom")
    op.drop_geospatial_table("provinsi")
    op.drop_table("peran")
    op.drop_table("audit_log")
