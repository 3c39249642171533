"""Registered datasets and models: their versions, each pinned by its content in the store, and their lineage
(the run that produced a version, the runs that consumed one).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("single_file", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("step_run_id", sa.String(64)),
        sa.Column("pipeline_run_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
    )
    op.create_index("ix_dataset_versions_pipeline_run_id", "dataset_versions", ["pipeline_run_id"])
    op.create_table(
        "dataset_consumptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_version_id", sa.String(64), sa.ForeignKey("dataset_versions.id"), nullable=False),
        sa.Column("pipeline_run_id", sa.String(64), nullable=False),
        sa.Column("step_run_id", sa.String(64)),
        sa.Column("step_name", sa.String(255), nullable=False),
        sa.Column("input_name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_dataset_consumptions_dataset_version_id", "dataset_consumptions", ["dataset_version_id"])
    op.create_index("ix_dataset_consumptions_pipeline_run_id", "dataset_consumptions", ["pipeline_run_id"])
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("properties", sa.Text, nullable=False),
        sa.Column("framework", sa.String(64)),
        sa.Column("dataset_version_ids", sa.Text, nullable=False),
        sa.Column("step_run_id", sa.String(64)),
        sa.Column("pipeline_run_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
    )
    op.create_index("ix_model_versions_pipeline_run_id", "model_versions", ["pipeline_run_id"])


def downgrade() -> None:
    op.drop_table("model_versions")
    op.drop_table("dataset_consumptions")
    op.drop_table("dataset_versions")
