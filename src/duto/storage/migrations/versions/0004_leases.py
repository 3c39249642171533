"""Leases and attempts: which runner drives a run until when, runner daemons, and each step's attempts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pipeline_runs") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64)))
        batch.add_column(sa.Column("lease_machine", sa.String(255)))
        batch.add_column(sa.Column("lease_expires_at", sa.Float))
        batch.add_column(sa.Column("runner_start_ticks", sa.BigInteger))
        batch.add_column(sa.Column("takeovers", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("step_runs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("attempts", sa.Text))  # JSON as text: see models.JSONText
        batch.add_column(sa.Column("pid_start_ticks", sa.BigInteger))
        batch.add_column(sa.Column("events_offset", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "runner_daemons",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("machine", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("start_ticks", sa.BigInteger),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runner_daemons")
    with op.batch_alter_table("step_runs") as batch:
        for column in ("events_offset", "pid_start_ticks", "attempts", "attempt"):
            batch.drop_column(column)
    with op.batch_alter_table("pipeline_runs") as batch:
        for column in ("takeovers", "runner_start_ticks", "lease_expires_at", "lease_machine", "lease_owner"):
            batch.drop_column(column)
