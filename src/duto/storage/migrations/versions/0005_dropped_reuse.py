"""Dropped reuse entries: why the earlier result of a fingerprint is gone, so that `duto why` can say so.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dropped_reuse_entries",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("dropped_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dropped_reuse_entries")
