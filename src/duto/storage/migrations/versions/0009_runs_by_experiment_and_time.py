"""Runs found by experiment and time: an index on (experiment_id, created_at), so the newest runs of an
experiment before a time are read from the index's end, not found by reading every run of the experiment and
sorting them (what each reuse decision asks, and each list of an experiment's runs).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pipeline_runs_experiment_created", "pipeline_runs", ["experiment_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_pipeline_runs_experiment_created", table_name="pipeline_runs")
