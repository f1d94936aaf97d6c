"""Identity vault, retention per periode, key fingerprints, facilitator (pendamping) role.

Revision ID: 0005
Revises: 0003 (0004 once it exists)
Create Date: 2026-11-29

- ``identitas_keluarga``: one row per family id (``id_keluarga``, the keyed pseudonym):
  the direct identifiers (NIK, KK number, name, address) as ONE encrypted token (Fernet,
  ``data``), the fingerprint prefix of the key that encrypted it, the registered desa (for
  scoping a facilitator without decrypting anything);
- ``identitas_periode``: which periode (snapshot) brought each identity (retention);
- ``identitas_retensi``: per kabupaten and periode, the date after which that periode's
  identities are erased;
- ``identitas_kunci``: fingerprints (HMAC of a constant) of the pseudonym and vault keys
  in use: a different key is refused with a clear error instead of producing other ids or
  unreadable rows. Never the keys themselves;
- ``identitas_dihapus``: ids whose identity was erased on request (no identity: the
  pseudonym and when), so a later import does not bring the identity back;
- ``pendamping_desa``: the desa of a sample a ``pendamping`` (facilitator) user works in;
- role ``pendamping`` in ``peran``.

Plain tables (no geometry) on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDAMPING = ("pendamping", "Pendamping: nama dan alamat keluarga di desa sampelnya sendiri")


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "identitas_keluarga",
        sa.Column("id_keluarga", sa.String(64), nullable=False),
        sa.Column("kode_kab", sa.String(5), nullable=False),
        sa.Column("kode_desa", sa.String(13), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sidik_kunci", sa.String(16), nullable=False),
        sa.Column("dibuat", ts, nullable=False),
        sa.Column("diperbarui", ts, nullable=False),
        sa.PrimaryKeyConstraint("id_keluarga", name=op.f("pk_identitas_keluarga")),
    )
    op.create_index(op.f("ix_identitas_keluarga_kode_kab"), "identitas_keluarga", ["kode_kab"])
    op.create_index(op.f("ix_identitas_keluarga_kode_desa"), "identitas_keluarga", ["kode_desa"])
    op.create_table(
        "identitas_periode",
        sa.Column("id_keluarga", sa.String(64), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("kode_kab", sa.String(5), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["id_keluarga"],
            ["identitas_keluarga.id_keluarga"],
            name=op.f("fk_identitas_periode_id_keluarga_identitas_keluarga"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_keluarga", "periode", name=op.f("pk_identitas_periode")),
    )
    op.create_index(
        op.f("ix_identitas_periode_kode_kab_periode"),
        "identitas_periode",
        ["kode_kab", "periode"],
    )
    op.create_table(
        "identitas_retensi",
        sa.Column("kode_kab", sa.String(5), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("simpan_sampai", sa.Date(), nullable=False),
        sa.Column("diubah", ts, nullable=False),
        sa.Column("pengguna_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("kode_kab", "periode", name=op.f("pk_identitas_retensi")),
    )
    op.create_table(
        "identitas_kunci",
        sa.Column("jenis", sa.String(16), nullable=False),
        sa.Column("sidik", sa.String(64), nullable=False),
        sa.Column("dibuat", ts, nullable=False),
        sa.PrimaryKeyConstraint("jenis", name=op.f("pk_identitas_kunci")),
    )
    op.create_table(
        "identitas_dihapus",
        sa.Column("id_keluarga", sa.String(64), nullable=False),
        sa.Column("waktu", ts, nullable=False),
        sa.PrimaryKeyConstraint("id_keluarga", name=op.f("pk_identitas_dihapus")),
    )
    op.create_table(
        "pendamping_desa",
        sa.Column("pengguna_id", sa.Integer(), nullable=False),
        sa.Column("sampel_id", sa.Integer(), nullable=False),
        sa.Column("kode_desa", sa.String(13), nullable=False),
        sa.ForeignKeyConstraint(
            ["pengguna_id"],
            ["pengguna.id"],
            name=op.f("fk_pendamping_desa_pengguna_id_pengguna"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sampel_id"],
            ["uji_petik_sampel.id"],
            name=op.f("fk_pendamping_desa_sampel_id_uji_petik_sampel"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pengguna_id", "sampel_id", "kode_desa", name=op.f("pk_pendamping_desa")
        ),
    )
    peran = sa.table("peran", sa.column("kode", sa.String), sa.column("keterangan", sa.Text))
    op.bulk_insert(peran, [{"kode": PENDAMPING[0], "keterangan": PENDAMPING[1]}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM peran WHERE kode = 'pendamping'"))
    op.drop_table("pendamping_desa")
    op.drop_table("identitas_dihapus")
    op.drop_table("identitas_kunci")
    op.drop_table("identitas_retensi")
    op.drop_index(op.f("ix_identitas_periode_kode_kab_periode"), table_name="identitas_periode")
    op.drop_table("identitas_periode")
    op.drop_index(op.f("ix_identitas_keluarga_kode_desa"), table_name="identitas_keluarga")
    op.drop_index(op.f("ix_identitas_keluarga_kode_kab"), table_name="identitas_keluarga")
    op.drop_table("identitas_keluarga")
