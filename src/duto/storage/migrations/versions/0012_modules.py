"""Modules: named, versioned scripts with typed ports (a version's code is a snapshot in the content store), and
user-defined data types of their ports.

Revision ID: 0012
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "modules",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("default_version", sa.String(64)),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "module_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("module_id", sa.String(64), sa.ForeignKey("modules.id"), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("script_name", sa.Text, nullable=False),
        sa.Column("snapshot", sa.String(80), nullable=False),
        sa.Column("interface", sa.Text, nullable=False),
        sa.Column("content", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("module_id", "version", name="uq_module_versions_version"),
    )
    op.create_index("ix_module_versions_module_id", "module_versions", ["module_id"])
    op.create_table(
        "data_types",
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("description", sa.Text),
        sa.Column("is_directory", sa.Boolean, nullable=False),
        sa.Column("parent_datatypes", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("data_types")
    op.drop_index("ix_module_versions_module_id", table_name="module_versions")
    op.drop_table("module_versions")
    op.drop_table("modules")
