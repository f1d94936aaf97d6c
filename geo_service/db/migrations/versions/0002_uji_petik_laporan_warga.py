"""Ground checks and citizen reports: one result per sample and family, the sample list's
values per item, citizen report tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

- ``uji_petik_hasil``: the (sampel_id, id_keluarga) index becomes unique (field results are
  merged per family; importing the same results twice cannot duplicate them);
- ``uji_petik_item``: ``alasan`` becomes text (several flag codes joined by ";" are longer
  than 64 characters), new JSON column ``nilai`` (the other columns of the sample list);
- ``laporan_warga`` and ``laporan_warga_foto``: citizen reports and their photos.

Runs on SpatiaLite and PostGIS. On SQLite the column change of ``uji_petik_item`` goes
through Alembic's batch mode (copy and rename; that table has no geometry); the geometry
table ``uji_petik_hasil`` only gets its index replaced, so its spatial metadata and R*Tree
stay as GeoAlchemy2's helpers made them in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import geoalchemy2.alembic_helpers  # noqa: F401 - registers the geospatial operations
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
HASIL_INDEX = "ix_uji_petik_hasil_sampel_id_id_keluarga"


def upgrade() -> None:
    op.drop_index(HASIL_INDEX, table_name="uji_petik_hasil")
    op.create_index(HASIL_INDEX, "uji_petik_hasil", ["sampel_id", "id_keluarga"], unique=True)

    with op.batch_alter_table("uji_petik_item") as batch:
        batch.alter_column(
            "alasan", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=True
        )
        batch.add_column(sa.Column("nilai", JSON, nullable=True))

    op.create_table(
        "laporan_warga",
        sa.Column("nomor", sa.String(length=32), nullable=False),
        sa.Column("kode_kab", sa.String(length=5), nullable=False),
        sa.Column("kode_desa", sa.String(length=13), nullable=False),
        sa.Column("jenis", sa.String(length=32), nullable=False),
        sa.Column("keterangan", sa.Text(), nullable=False),
        sa.Column("dibuat", sa.String(length=40), nullable=False),
        sa.Column("diperbarui", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id_keluarga", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("foto_sha256", sa.String(length=64), nullable=True),
        sa.Column("foto_jenis", sa.String(length=8), nullable=True),
        sa.Column("kontak", sa.String(length=200), nullable=True),
        sa.Column("pelapor", sa.String(length=64), nullable=False),
        sa.Column("catatan_petugas", sa.Text(), nullable=True),
        sa.Column("sampel_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("nomor", name=op.f("pk_laporan_warga")),
    )
    op.create_index(op.f("ix_laporan_warga_kode_kab"), "laporan_warga", ["kode_kab"])
    op.create_index(op.f("ix_laporan_warga_status"), "laporan_warga", ["status"])
    op.create_index(op.f("ix_laporan_warga_id_keluarga"), "laporan_warga", ["id_keluarga"])

    op.create_table(
        "laporan_warga_foto",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("jenis", sa.String(length=8), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_laporan_warga_foto")),
    )


def downgrade() -> None:
    op.drop_table("laporan_warga_foto")
    op.drop_index(op.f("ix_laporan_warga_id_keluarga"), table_name="laporan_warga")
    op.drop_index(op.f("ix_laporan_warga_status"), table_name="laporan_warga")
    op.drop_index(op.f("ix_laporan_warga_kode_kab"), table_name="laporan_warga")
    op.drop_table("laporan_warga")
    with op.batch_alter_table("uji_petik_item") as batch:
        batch.drop_column("nilai")
        batch.alter_column(
            "alasan", existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=True
        )
    op.drop_index(HASIL_INDEX, table_name="uji_petik_hasil")
    op.create_index(HASIL_INDEX, "uji_petik_hasil", ["sampel_id", "id_keluarga"], unique=False)
