"""Resources: the cores and memory a running step takes on its target.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step_runs") as batch:
        batch.add_column(sa.Column("cores", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("memory_gb", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("step_runs") as batch:
        batch.drop_column("memory_gb")
        batch.drop_column("cores")
