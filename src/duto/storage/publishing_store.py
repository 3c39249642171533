"""Store operations on published pipelines, pipeline endpoints and their versions.

A published pipeline is a frozen spec with its parameter defaults; an endpoint is a unique name over versions
"0", "1", ... of published pipelines, one of them the default. Rows are returned detached (the DB's sessions do
not expire them), so callers read their fields after the transaction ends.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.orm import Session

from duto.errors import (
    ConfigError,
    PipelineDisabledError,
    PipelineEndpointExistsError,
    PipelineEndpointNotFoundError,
    PublishedPipelineInUseError,
    PublishedPipelineNotFoundError,
)
from duto.storage import models
from duto.storage.db import Database
from duto.storage.runs_store import new_id, utcnow

ACTIVE = "Active"
DISABLED = "Disabled"
STATUSES = (ACTIVE, DISABLED)
# How many ids an ambiguous prefix's error lists.
LISTED = 10


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise ConfigError(f"status {status!r} must be {ACTIVE!r} or {DISABLED!r}")
    return status


def _by_id_or_prefix(session: Session, table: Any, key: str) -> tuple[Any | None, list[str]]:
    """The row whose id is `key`, else the one whose id starts with it; else None and the ids that match."""
    row = session.get(table, key)
    if row is not None:
        return row, []
    starts = table.id.startswith(key, autoescape=True)  # '_' and '%' are not wildcards
    rows = list(session.scalars(select(table).where(starts).order_by(table.id).limit(LISTED + 1)))
    if len(rows) == 1:
        return rows[0], []
    return None, [r.id for r in rows[:LISTED]]


class PublishingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # published pipelines -------------------------------------------------------------------------
    def add_pipeline(
        self,
        name: str,
        description: str | None,
        version: str | None,
        spec: dict[str, Any],
        parameters: dict[str, Any],
        continue_on_step_failure: bool,
        source_run_id: str | None = None,
    ) -> models.PublishedPipeline:
        """Record a new Active published pipeline under a new id (names need not be unique)."""
        row = models.PublishedPipeline(
            id=new_id(),
            name=name,
            description=description,
            version=version,
            status=ACTIVE,
            spec=spec,
            parameters=parameters,
            continue_on_step_failure=continue_on_step_failure,
            source_run_id=source_run_id,
            created_at=utcnow(),
        )
        with self.db.writing() as s:
            s.add(row)
        return row

    def pipeline(self, key: str) -> models.PublishedPipeline:
        """The published pipeline with id `key`, or the one whose id starts with it.

        Raises:
            PublishedPipelineNotFoundError: none has, or several have (then it lists their ids).
        """
        with self.db.reading() as s:
            row, matches = _by_id_or_prefix(s, models.PublishedPipeline, key)
        if row is None:
            raise PublishedPipelineNotFoundError(key, matches)
        return row  # type: ignore[no-any-return]  # a PublishedPipeline row, by the table asked for

    def pipelines(self, active_only: bool = True) -> list[models.PublishedPipeline]:
        """Published pipelines newest first; only the Active ones unless `active_only` is False."""
        query = select(models.PublishedPipeline).order_by(
            models.PublishedPipeline.created_at.desc(), models.PublishedPipeline.id
        )
        if active_only:
            query = query.where(models.PublishedPipeline.status == ACTIVE)
        with self.db.reading() as s:
            return list(s.scalars(query))

    def set_pipeline_status(self, pipeline_id: str, status: str) -> None:
        table = models.PublishedPipeline
        with self.db.writing() as s:
            s.execute(update(table).where(table.id == pipeline_id).values(status=_check_status(status)))

    @staticmethod
    def ensure_active(session: Session, pipeline_id: str, endpoint_id: str | None = None) -> None:
        """In `session`'s transaction: raise unless the published pipeline (and the endpoint it is triggered
        through, if any) is there and active. A run recorded in the same transaction cannot slip past a disable.

        Raises:
            PipelineDisabledError: one of them is disabled.
            PublishedPipelineNotFoundError, PipelineEndpointNotFoundError: one of them was deleted.
        """
        core = session.connection()
        if endpoint_id is not None:
            endpoint = core.execute(_name_and_status(models.PipelineEndpoint), {"id": endpoint_id}).first()
            if endpoint is None:
                raise PipelineEndpointNotFoundError(endpoint_id, [])
            if endpoint.status != ACTIVE:
                raise PipelineDisabledError("pipeline endpoint", endpoint_id, endpoint.name)
        published = core.execute(_name_and_status(models.PublishedPipeline), {"id": pipeline_id}).first()
        if published is None:
            raise PublishedPipelineNotFoundError(pipeline_id, [])
        if published.status != ACTIVE:
            raise PipelineDisabledError("published pipeline", pipeline_id, published.name)

    def delete_pipeline(self, pipeline_id: str) -> None:
        """Remove a published pipeline's row (`cache gc` then frees its snapshots no run names).

        Raises:
            PublishedPipelineInUseError: when a version of an endpoint names it; nothing is removed.
        """
        with self.db.writing() as s:
            used = s.execute(
                select(models.PipelineEndpoint.name, models.PipelineEndpointVersion.version)
                .join(models.PipelineEndpoint)
                .where(models.PipelineEndpointVersion.published_pipeline_id == pipeline_id)
                .order_by(models.PipelineEndpoint.name)
            ).all()
            if used:
                raise PublishedPipelineInUseError(pipeline_id, [f"{name} version {version}" for name, version in used])
            s.execute(delete(models.PublishedPipeline).where(models.PublishedPipeline.id == pipeline_id))

    # pipeline endpoints --------------------------------------------------------------------------
    def add_endpoint(self, name: str, description: str | None, pipeline_id: str) -> models.PipelineEndpoint:
        """Record a new Active endpoint whose version "0", the default, is `pipeline_id`.

        Raises:
            PipelineEndpointExistsError: when an endpoint of that name exists.
        """
        now = utcnow()
        row = models.PipelineEndpoint(
            id=new_id(), name=name, description=description, status=ACTIVE, default_version="0", created_at=now
        )
        with self.db.writing() as s:
            if s.scalar(select(models.PipelineEndpoint.id).where(models.PipelineEndpoint.name == name)) is not None:
                raise PipelineEndpointExistsError(name)
            s.add(row)
            s.flush()
            s.add(
                models.PipelineEndpointVersion(
                    endpoint_id=row.id, version="0", published_pipeline_id=pipeline_id, added_at=now
                )
            )
        return row

    def endpoint(self, id: str | None = None, name: str | None = None) -> models.PipelineEndpoint:
        """The endpoint with this id (or unique id prefix), or of this name; given both, they must agree.

        Raises:
            PipelineEndpointNotFoundError: none has, or several ids start with the prefix.
            ConfigError: neither is given.
        """
        if id is None and name is None:
            raise ConfigError("give a pipeline endpoint's id or its name")
        table = models.PipelineEndpoint
        with self.db.reading() as s:
            if id is not None:
                row, matches = _by_id_or_prefix(s, table, id)
                if row is None or (name is not None and row.name != name):
                    raise PipelineEndpointNotFoundError(id if row is None else f"{id} named {name}", matches)
                return row  # type: ignore[no-any-return]  # an endpoint row, by the table asked for
            found = s.scalar(select(table).where(table.name == name))
        if found is None:
            raise PipelineEndpointNotFoundError(str(name))
        return found

    def endpoint_by_key(self, key: str) -> models.PipelineEndpoint:
        """The endpoint named `key`, else the one whose id is (or starts with) `key`, as the CLI takes them."""
        try:
            return self.endpoint(name=key)
        except PipelineEndpointNotFoundError:
            return self.endpoint(id=key)

    def endpoints(self, active_only: bool = True) -> list[models.PipelineEndpoint]:
        """Endpoints by name; only the Active ones unless `active_only` is False."""
        query = select(models.PipelineEndpoint).order_by(models.PipelineEndpoint.name)
        if active_only:
            query = query.where(models.PipelineEndpoint.status == ACTIVE)
        with self.db.reading() as s:
            return list(s.scalars(query))

    def set_endpoint_status(self, endpoint_id: str, status: str) -> None:
        table = models.PipelineEndpoint
        with self.db.writing() as s:
            s.execute(update(table).where(table.id == endpoint_id).values(status=_check_status(status)))

    def add_version(self, endpoint_id: str, pipeline_id: str, make_default: bool) -> str:
        """Add `pipeline_id` as the endpoint's next version ("0", "1", ...), its default if asked; returns it.

        The version is counted inside the write transaction, so two adders never get the same one.
        """
        with self.db.writing() as s:
            numbers = s.scalars(
                select(models.PipelineEndpointVersion.version).where(
                    models.PipelineEndpointVersion.endpoint_id == endpoint_id
                )
            )
            version = str(max((int(v) for v in numbers), default=-1) + 1)
            s.add(
                models.PipelineEndpointVersion(
                    endpoint_id=endpoint_id, version=version, published_pipeline_id=pipeline_id, added_at=utcnow()
                )
            )
            if make_default:
                table = models.PipelineEndpoint
                s.execute(update(table).where(table.id == endpoint_id).values(default_version=version))
        return version

    def set_default_version(self, endpoint_id: str, version: str) -> None:
        """Make `version` the endpoint's default.

        Raises:
            ConfigError: the endpoint has no such version (it lists those it has).
        """
        with self.db.writing() as s:
            known = self._versions(s, endpoint_id)
            if version not in {v.version for v in known}:
                raise ConfigError(
                    f"pipeline endpoint {endpoint_id} has no version {version!r}; its versions: "
                    f"{', '.join(v.version for v in known)}"
                )
            table = models.PipelineEndpoint
            s.execute(update(table).where(table.id == endpoint_id).values(default_version=version))

    def versions(self, endpoint_id: str) -> list[models.PipelineEndpointVersion]:
        """The endpoint's versions, "0" first."""
        with self.db.reading() as s:
            return self._versions(s, endpoint_id)

    def _versions(self, s: Session, endpoint_id: str) -> list[models.PipelineEndpointVersion]:
        rows = s.scalars(
            select(models.PipelineEndpointVersion).where(models.PipelineEndpointVersion.endpoint_id == endpoint_id)
        )
        return sorted(rows, key=lambda v: int(v.version))


@functools.cache
def _name_and_status(model: type[models.PublishedPipeline | models.PipelineEndpoint]) -> Select[Any]:
    """The name and status of one row of `model` by id: a statement built once (every trigger asks it)."""
    table = model.__table__
    return select(table.c.name, table.c.status).where(table.c.id == bindparam("id"))
