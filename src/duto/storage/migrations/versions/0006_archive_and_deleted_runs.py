"""Archived experiments and deleted runs: when an experiment was archived, and what is left of a deleted step
run that a kept one reused.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime))
    op.create_table(
        "deleted_step_runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("pipeline_run_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("deleted_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deleted_step_runs")
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("archived_at")
