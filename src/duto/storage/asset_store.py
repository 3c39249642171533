"""Registered datasets and models in the metadata DB: their versions, pinned by content, and their lineage.

A version is known by the manifest digest of its content in the content store: registering content that the
latest version already holds keeps that version, so a name's versions are its distinct contents in order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from duto.errors import AssetExistsError, AssetNotFoundError
from duto.storage import models
from duto.storage.db import Database
from duto.storage.runs_store import new_id, utcnow

DATASET = "dataset"
MODEL = "model"


@dataclass(frozen=True)
class Consumption:
    """A registered dataset version read as an input by one step of a run."""

    dataset_version_id: str
    pipeline_run_id: str
    step_name: str
    input_name: str
    step_run_id: str | None


@dataclass(frozen=True)
class Producer:
    """The step run whose output a dataset version is, or that registered a model."""

    pipeline_run_id: str
    step_run_id: str | None


@dataclass(frozen=True)
class RunRead:
    """A registered dataset version one step of a run read, as the input `input_name`."""

    step_run_id: str | None
    input_name: str
    dataset_version_id: str
    name: str
    version: int
    unregistered: bool  # the version was unregistered since


@dataclass(frozen=True)
class RunProduct:
    """A dataset or model version a step of a run registered."""

    step_run_id: str | None
    id: str
    name: str
    version: int
    unregistered: bool  # the version was unregistered since


Table = type[models.DatasetVersion] | type[models.ModelVersion]
LATEST = "latest"


def _latest(s: Session, table: Table, name: str) -> Any:
    """The newest version of `name` still registered, or None."""
    query = select(table).where(table.name == name, table.unregistered_at.is_(None))
    return s.scalars(query.order_by(table.version.desc()).limit(1)).first()


def _next_number(s: Session, table: Table, name: str) -> int:
    """The number the next version of `name` gets: never one an unregistered version had."""
    highest = s.scalar(select(func.max(table.version)).where(table.name == name))
    return 1 if highest is None else int(highest) + 1


class AssetStore:
    """Reads and writes dataset and model versions and their lineage."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # datasets ------------------------------------------------------------------------------------
    def add_dataset_version(
        self,
        name: str,
        definition: dict[str, Any],
        digest: str,
        single_file: str | None,
        description: str | None,
        tags: dict[str, str],
        create_new_version: bool,
        producer: Producer | None = None,
    ) -> models.DatasetVersion:
        """The version `name` gets for this content: the latest, when it holds the same content; else a new one.

        Raises:
            AssetExistsError: the name holds other content and `create_new_version` is False.
        """
        with self.db.writing() as s:
            latest = _latest(s, models.DatasetVersion, name)
            if latest is not None and latest.digest == digest and latest.single_file == single_file:
                kept: models.DatasetVersion = latest
                return kept
            if latest is not None and not create_new_version:
                raise AssetExistsError(DATASET, name, latest.version)
            row = models.DatasetVersion(
                id=new_id(),
                name=name,
                version=_next_number(s, models.DatasetVersion, name),
                definition=definition,
                digest=digest,
                single_file=single_file,
                description=description,
                tags=tags,
                step_run_id=producer.step_run_id if producer else None,
                pipeline_run_id=producer.pipeline_run_id if producer else None,
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row

    def dataset_version(self, name: str, version: int | None = None) -> models.DatasetVersion:
        """A dataset's version, or its latest when `version` is None.

        Raises:
            AssetNotFoundError: no such dataset, or no such version of it.
        """
        found: models.DatasetVersion = self._version(models.DatasetVersion, DATASET, name, version)
        return found

    def dataset_by_id(self, version_id: str) -> models.DatasetVersion:
        with self.db.reading() as s:
            row = s.get(models.DatasetVersion, version_id)
        if row is None:
            raise AssetNotFoundError(DATASET, version_id)
        return row

    def dataset_versions(self, name: str | None = None) -> list[models.DatasetVersion]:
        """Every version of `name` (oldest first), or the latest version of every dataset by name."""
        return self._versions(models.DatasetVersion, DATASET, name)

    def consumers(self, version_ids: Collection[str]) -> list[Consumption]:
        """The steps that read these versions, oldest first."""
        return self._consumptions(models.DatasetConsumption.dataset_version_id.in_(version_ids))

    def consumers_of_step(self, step_run_id: str) -> list[Consumption]:
        """The registered dataset versions one step run read."""
        return self._consumptions(models.DatasetConsumption.step_run_id == step_run_id)

    def datasets_read_by_run(self, pipeline_run_id: str) -> list[RunRead]:
        """The registered dataset versions a run's steps read, with their names and versions, in one query in
        the order they were recorded (the run's steps, then each step's inputs)."""
        consumed, version = models.DatasetConsumption, models.DatasetVersion
        query = (
            select(
                consumed.step_run_id,
                consumed.input_name,
                version.id,
                version.name,
                version.version,
                version.unregistered_at.is_not(None),
            )
            .join(version, version.id == consumed.dataset_version_id)
            .where(consumed.pipeline_run_id == pipeline_run_id)
            .order_by(consumed.id)
        )
        with self.db.reading() as s:
            return [RunRead(*row) for row in s.execute(query)]

    def datasets_made_by_run(self, pipeline_run_id: str) -> list[RunProduct]:
        """The dataset versions a run's steps registered, by name then version, in one query."""
        return self._made_by_run(models.DatasetVersion, pipeline_run_id)

    def models_made_by_run(self, pipeline_run_id: str) -> list[RunProduct]:
        """The model versions registered from inside a run (by its steps' code), by name then version."""
        return self._made_by_run(models.ModelVersion, pipeline_run_id)

    def _made_by_run(self, table: Any, pipeline_run_id: str) -> list[RunProduct]:
        query = (
            select(table.step_run_id, table.id, table.name, table.version, table.unregistered_at.is_not(None))
            .where(table.pipeline_run_id == pipeline_run_id)
            .order_by(table.name, table.version)
        )
        with self.db.reading() as s:
            return [RunProduct(*row) for row in s.execute(query)]

    def _consumptions(self, condition: ColumnElement[bool]) -> list[Consumption]:
        table = models.DatasetConsumption
        with self.db.reading() as s:
            rows = s.scalars(select(table).where(condition).order_by(table.id))
            return [
                Consumption(r.dataset_version_id, r.pipeline_run_id, r.step_name, r.input_name, r.step_run_id)
                for r in rows
            ]

    def models_from(
        self, dataset_version_ids: Collection[str], step_run_ids: Collection[str]
    ) -> list[models.ModelVersion]:
        """The model versions registered with these datasets (`datasets=`) or by these step runs."""
        table = models.ModelVersion
        wanted = set(dataset_version_ids)
        with self.db.reading() as s:
            query = select(table).where(table.unregistered_at.is_(None))
            rows = list(s.scalars(query.order_by(table.name, table.version)))
        return [r for r in rows if r.step_run_id in step_run_ids or wanted.intersection(r.dataset_version_ids or [])]

    # models --------------------------------------------------------------------------------------
    def add_model_version(
        self,
        name: str,
        digest: str,
        file_name: str,
        description: str | None,
        tags: dict[str, str],
        properties: dict[str, str],
        framework: str | None,
        dataset_version_ids: list[str],
        producer: Producer | None = None,
    ) -> models.ModelVersion:
        """The version `name` gets for this content: the latest when it holds the same file, else a new one."""
        with self.db.writing() as s:
            latest = _latest(s, models.ModelVersion, name)
            if latest is not None and latest.digest == digest and latest.file_name == file_name:
                same: models.ModelVersion = latest
                return same
            row = models.ModelVersion(
                id=new_id(),
                name=name,
                version=_next_number(s, models.ModelVersion, name),
                digest=digest,
                file_name=file_name,
                description=description,
                tags=tags,
                properties=properties,
                framework=framework,
                dataset_version_ids=dataset_version_ids,
                step_run_id=producer.step_run_id if producer else None,
                pipeline_run_id=producer.pipeline_run_id if producer else None,
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return row

    def model_version(self, name: str, version: int | None = None) -> models.ModelVersion:
        """A model's version, or its latest when `version` is None.

        Raises:
            AssetNotFoundError: no such model, or no such version of it.
        """
        found: models.ModelVersion = self._version(models.ModelVersion, MODEL, name, version)
        return found

    def model_versions(self, name: str | None = None) -> list[models.ModelVersion]:
        """Every version of `name` (oldest first), or the latest version of every model by name."""
        return self._versions(models.ModelVersion, MODEL, name)

    def unregister_dataset(self, name: str, version: int | str | None = None) -> list[int]:
        """Unregister one version of a dataset (a number, or LATEST for the newest registered), or every version
        when `version` is None; the numbers unregistered.

        Raises:
            AssetNotFoundError: no such dataset, or no such version of it.
        """
        return self._unregister(models.DatasetVersion, DATASET, name, version)

    def unregister_model(self, name: str, version: int | str | None = None) -> list[int]:
        """Unregister one version of a model (a number, or LATEST for the newest registered), or every version
        when `version` is None; the numbers unregistered.

        Raises:
            AssetNotFoundError: no such model, or no such version of it.
        """
        return self._unregister(models.ModelVersion, MODEL, name, version)

    # shared --------------------------------------------------------------------------------------
    def _unregister(self, table: Table, kind: str, name: str, version: int | str | None) -> list[int]:
        with self.db.writing() as s:
            live = select(table).where(table.name == name, table.unregistered_at.is_(None))
            if version == LATEST:
                live = live.order_by(table.version.desc()).limit(1)
            elif version is not None:
                live = live.where(table.version == version).order_by(table.version)
            else:
                live = live.order_by(table.version)
            rows: list[models.DatasetVersion | models.ModelVersion] = list(s.scalars(live))
            if not rows:
                raise AssetNotFoundError(kind, name, version, self._registered_numbers(s, table, name))
            now = utcnow()
            for row in rows:
                row.unregistered_at = now
            return [row.version for row in rows]

    @staticmethod
    def _registered_numbers(s: Session, table: Table, name: str) -> list[int]:
        query = select(table.version).where(table.name == name, table.unregistered_at.is_(None))
        return list(s.scalars(query.order_by(table.version)))

    def _version(self, table: Any, kind: str, name: str, version: int | None) -> Any:
        with self.db.reading() as s:
            if version is None:
                row = _latest(s, table, name)
            else:
                query = select(table).where(table.name == name, table.version == version)
                row = s.scalars(query.where(table.unregistered_at.is_(None))).first()
            if row is None:
                raise AssetNotFoundError(kind, name, version, self._registered_numbers(s, table, name))
            return row

    def _versions(self, table: Any, kind: str, name: str | None) -> list[Any]:
        with self.db.reading() as s:
            registered = select(table).where(table.unregistered_at.is_(None))
            if name is not None:
                rows = list(s.scalars(registered.where(table.name == name).order_by(table.version)))
                if not rows:
                    raise AssetNotFoundError(kind, name)
                return rows
            newest = (
                select(table.name, func.max(table.version).label("version"))
                .where(table.unregistered_at.is_(None))
                .group_by(table.name)
                .subquery()
            )
            query = select(table).join(newest, (table.name == newest.c.name) & (table.version == newest.c.version))
            return list(s.scalars(query.order_by(table.name)))
