"""Unregistering dataset and model versions: a version keeps its row, marked with when it was unregistered, so its
number is never given again and the runs that read it still say which version they read.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("dataset_versions", "model_versions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("unregistered_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    for table in ("dataset_versions", "model_versions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("unregistered_at")
