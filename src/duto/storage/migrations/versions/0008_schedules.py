"""Schedules: recurrences and watched datastore paths that trigger published pipelines, and their firings.

A firing is unique per (schedule, tick), and is written in the transaction that records its run: a tick fires
one run however many servers watch the schedule, and a server killed mid-way leaves either both or neither.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pipeline_id", sa.String(64)),
        sa.Column("pipeline_endpoint_id", sa.String(64)),
        sa.Column("experiment_name", sa.String(255), nullable=False),
        sa.Column("recurrence", sa.JSON),
        sa.Column("pipeline_parameters", sa.Text, nullable=False),
        sa.Column("continue_on_step_failure", sa.Boolean),
        sa.Column("datastore", sa.String(255)),
        sa.Column("path_on_datastore", sa.Text),
        sa.Column("polling_interval", sa.Float),
        sa.Column("data_path_parameter_name", sa.String(255)),
        sa.Column("catch_up", sa.String(16), nullable=False),
        sa.Column("baseline", sa.String(80)),
        sa.Column("baseline_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_tick", sa.DateTime),
        sa.Column("stopped_reason", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_schedules_pipeline_id", "schedules", ["pipeline_id"])
    op.create_index("ix_schedules_pipeline_endpoint_id", "schedules", ["pipeline_endpoint_id"])
    op.create_table(
        "schedule_firings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.String(64), nullable=False),
        sa.Column("tick", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("outcome", sa.Text),
        sa.Column("fired_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("schedule_id", "tick", name="uq_schedule_firings_tick"),
    )
    op.create_index("ix_schedule_firings_run_id", "schedule_firings", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_firings_run_id", "schedule_firings")
    op.drop_table("schedule_firings")
    op.drop_index("ix_schedules_pipeline_endpoint_id", "schedules")
    op.drop_index("ix_schedules_pipeline_id", "schedules")
    op.drop_table("schedules")
