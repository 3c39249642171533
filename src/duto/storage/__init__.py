"""Storage: the metadata DB (SQLAlchemy + Alembic) and the datastores (fsspec)."""
