"""Fast-join boundary index per kabupaten, stored with the boundaries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``indeks_batas``: the serialised ``analysis.fastjoin.BoundaryIndex`` of a kabupaten's desa
layer and the fingerprint of the layer it was built from (a new boundary version has
another fingerprint, so a stale index is never used). No geometry: plain table on both
backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indeks_batas",
        sa.Column("kode_kab", sa.String(5), primary_key=True),
        sa.Column("sidik", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("dibuat", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indeks_batas")
