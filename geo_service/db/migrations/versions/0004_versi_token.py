"""Token version per user (issue 12).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

``pengguna.versi_token``: bumped on deactivation, role, scope or password change; access
tokens and web sessions carry the version they were issued under and stop working at the
next request once it changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pengguna") as batch:
        batch.add_column(sa.Column("versi_token", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pengguna") as batch:
        batch.drop_column("versi_token")
