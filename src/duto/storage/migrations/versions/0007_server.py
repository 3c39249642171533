"""The workspace server's records: published pipelines, pipeline endpoints and their versions, API tokens.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_pipelines",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("version", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("continue_on_step_failure", sa.Boolean, nullable=False),
        sa.Column("source_run_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_published_pipelines_name", "published_pipelines", ["name"])
    op.create_index("ix_published_pipelines_created_at", "published_pipelines", ["created_at"])
    op.create_table(
        "pipeline_endpoints",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("default_version", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "pipeline_endpoint_versions",
        sa.Column("endpoint_id", sa.String(64), sa.ForeignKey("pipeline_endpoints.id"), primary_key=True),
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("published_pipeline_id", sa.String(64), sa.ForeignKey("published_pipelines.id"), nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_pipeline_endpoint_versions_published_pipeline_id", "pipeline_endpoint_versions", ["published_pipeline_id"]
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("server_pid", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_index("ix_pipeline_endpoint_versions_published_pipeline_id", "pipeline_endpoint_versions")
    op.drop_table("pipeline_endpoint_versions")
    op.drop_table("pipeline_endpoints")
    op.drop_index("ix_published_pipelines_created_at", "published_pipelines")
    op.drop_index("ix_published_pipelines_name", "published_pipelines")
    op.drop_table("published_pipelines")
