"""Reuse: each step run's fingerprint and its components, reuse entries and fingerprint claims.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("step_runs") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(80)))
        batch.add_column(sa.Column("components", sa.Text))  # JSON as text: see models.JSONText
        batch.add_column(sa.Column("reused_from", sa.String(64)))
        batch.add_column(sa.Column("reasons", sa.Text))
    op.create_index("ix_step_runs_name", "step_runs", ["name"])
    op.create_table(
        "reuse_entries",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "fingerprint_claims",
        sa.Column("fingerprint", sa.String(80), primary_key=True),
        sa.Column("step_run_id", sa.String(64), nullable=False),
        sa.Column("pipeline_run_id", sa.String(64), nullable=False),
        sa.Column("runner_pid", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("fingerprint_claims")
    op.drop_table("reuse_entries")
    op.drop_index("ix_step_runs_name", "step_runs")
    with op.batch_alter_table("step_runs") as batch:
        for column in ("reasons", "reused_from", "components", "fingerprint"):
            batch.drop_column(column)
