"""Registered datasets (v1's `Dataset.register`, `Dataset.get_by_name`): versions pinned by the content they held.

Registering copies the files a dataset names into the content store; its version is that content's manifest, so
registering unchanged content keeps the version, and a step reading a version reads exactly what was registered.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from duto.errors import ConfigError
from duto.execution.materialize import InputError, store_dataset
from duto.graph.datasets import (
    DEFINITION_TYPES,
    PathSource,
    Registration,
    check_registered_name,
    dataset_from_definition,
)
from duto.graph.datasets import Dataset as DatasetDefinition
from duto.graph.datasets import FileDataset as FileDatasetDefinition
from duto.graph.tabular import TabularDataset as TabularDatasetDefinition
from duto.storage import models
from duto.storage.asset_store import AssetStore
from duto.storage.datastores import DatastoreBackend

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

LATEST = "latest"


def _check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ConfigError(f"tags must be a dict of strings, such as {{'stage': 'raw'}}, not {tags!r}")
    return dict(tags)


def parse_version(version: Any) -> int | None:
    """A version as v1 code gives it ("latest", an int, or its digits) as a number, or None for the latest.

    Raises:
        ConfigError: anything else.
    """
    if version is None or version == LATEST:
        return None
    if isinstance(version, int) and not isinstance(version, bool) and version > 0:
        return version
    if isinstance(version, str) and version.isdigit() and int(version) > 0:
        return int(version)
    raise ConfigError(f"version {version!r} must be 'latest' or a positive whole number such as 2")


def registration_of(row: models.DatasetVersion) -> Registration:
    return Registration(
        id=row.id,
        name=row.name,
        version=row.version,
        digest=row.digest,
        single_file=row.single_file,
        description=row.description,
        tags=dict(row.tags or {}),
    )


def dataset_of(row: models.DatasetVersion) -> Any:
    """The dataset a registered version is, of the class its definition names, pinned to that version."""
    return dataset_from_definition(row.definition, registration_of(row))


def _datastores(workspace: Workspace) -> dict[str, DatastoreBackend]:
    config = workspace.config
    return {name: DatastoreBackend(name, settings, config.root) for name, settings in config.datastores.items()}


class _Registrable:
    """`register`, for the datasets of the graph layer: what a version keeps is the dataset's own definition."""

    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        create_new_version: bool = False,
    ) -> Self:
        """Register the files this dataset reads now (and a tabular one's recipe) as a version of dataset `name`.

        The first registration is version 1. Registering the content the latest version holds gives that
        version back; other content becomes a new version with `create_new_version=True`, and is refused
        without it, as in v1.

        Raises:
            AssetExistsError: `name` holds other content and `create_new_version` is False.
            ConfigError: a bad name or tags, or the dataset names no files now.
        """
        found: Self = register_dataset(workspace, self, name, description, tags, create_new_version)
        return found

    def unregister_all_versions(self, workspace: Workspace | None = None) -> list[int]:
        """Unregister every version of the name this dataset is registered under (v1's method); the version
        numbers unregistered. `workspace` is the one it came from (the current folder's when None).

        The versions' rows stay, unregistered: their numbers are never given again, and the runs that read them
        still name them; their content stays while a run or a published pipeline pins it (see `cache gc`).

        Raises:
            ConfigError: the dataset is not a registered one.
            AssetNotFoundError: no version of that name is registered any more.
        """
        registration: Registration | None = getattr(self, "registration", None)
        if registration is None:
            raise ConfigError(
                "unregister_all_versions is for a registered dataset (from Dataset.get_by_name or register); this "
                "one is not registered"
            )
        if workspace is None:
            from duto.facade.workspace import Workspace

            workspace = Workspace.from_config()
        return unregister_dataset(workspace, registration.name)


def unregister_dataset(workspace: Workspace, name: str, version: int | str | None = None) -> list[int]:
    """Unregister one version of dataset `name`, or all of them when `version` is None; the numbers unregistered.

    Raises:
        AssetNotFoundError: no such dataset, or no such version of it registered.
    """
    number = None if version is None else parse_version(version) or LATEST
    return AssetStore(workspace.database).unregister_dataset(name, number)


@dataclass(frozen=True, eq=False)
class FileDataset(_Registrable, FileDatasetDefinition):
    """A file dataset that can register itself in a workspace (v1's `FileDataset.register`)."""


def register_dataset(
    workspace: Workspace,
    dataset: Any,
    name: str,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    create_new_version: bool = False,
) -> Any:
    """Register any kind of dataset: one with `to_spec()` (the files it reads), `_definition()` (what rebuilds it,
    by a type in `DEFINITION_TYPES`) and `registration` (None, or the version it is already). Returns the
    dataset of the version it became, of the class its definition names.

    Raises:
        AssetExistsError: `name` holds other content and `create_new_version` is False.
        ConfigError: a bad name or tags, or the dataset names no files now.
    """
    check_registered_name("dataset", name)
    tag_map = _check_tags(tags)
    registration: Registration | None = dataset.registration
    if registration is not None:  # registered already: its content is in the store
        digest, single = registration.digest, registration.single_file
    else:
        digest, single = _store(workspace, dataset.to_spec())
    row = AssetStore(workspace.database).add_dataset_version(
        name, dataset._definition(), digest, single, description, tag_map, create_new_version
    )
    return dataset_of(row)


def _store(workspace: Workspace, source: dict[str, Any]) -> tuple[str, str | None]:
    cas = workspace.content_store
    with tempfile.TemporaryDirectory(dir=cas.tmp, prefix="register-") as scratch:
        try:
            return store_dataset(source, Path(scratch) / "dataset", cas, _datastores(workspace))
        except InputError as exc:
            raise ConfigError(f"cannot register: {exc}") from exc
        except (OSError, ValueError) as exc:  # a name too long, a NUL in it, a file that cannot be read
            raise ConfigError(f"cannot register: the dataset's files cannot be read: {exc}") from exc


@dataclass(frozen=True, eq=False)
class TabularDataset(_Registrable, TabularDatasetDefinition):
    """A tabular dataset that can register itself in a workspace (v1's `TabularDataset.register`): its files'
    content and its recipe are kept, so `Dataset.get_by_name` gives back the same table."""


def _registrable_table(made: TabularDatasetDefinition) -> TabularDataset:
    return TabularDataset(
        made.paths,
        format=made.format,
        options=made.options,
        transforms=made.transforms,
        partition_format=made.partition_format,
    )


class _Tables:
    """`Dataset.Tabular`: tabular datasets that can be registered (the factory's arguments are its own)."""

    @staticmethod
    def from_delimited_files(*args: Any, **kwargs: Any) -> TabularDataset:
        return _registrable_table(DatasetDefinition.Tabular.from_delimited_files(*args, **kwargs))

    @staticmethod
    def from_parquet_files(*args: Any, **kwargs: Any) -> TabularDataset:
        return _registrable_table(DatasetDefinition.Tabular.from_parquet_files(*args, **kwargs))

    @staticmethod
    def from_json_lines_files(*args: Any, **kwargs: Any) -> TabularDataset:
        return _registrable_table(DatasetDefinition.Tabular.from_json_lines_files(*args, **kwargs))


class _Files:
    """`Dataset.File`: file datasets that can be registered."""

    @staticmethod
    def from_files(
        path: PathSource | Sequence[PathSource], validate: bool = True, partition_format: str | None = None
    ) -> FileDataset:
        """Make a dataset of the files at `path` (see `duto.data.FileDataset`); `.register(ws, name)` keeps it."""
        made = DatasetDefinition.File.from_files(path, validate, partition_format)
        return FileDataset(paths=made.paths, partition_format=made.partition_format)


class Dataset(DatasetDefinition):
    """The v1 entry point to datasets: `Dataset.File.from_files(...)`, and the registered ones of a workspace."""

    File = _Files  # type: ignore[assignment]  # the registrable kind of the same factory
    Tabular = _Tables  # type: ignore[assignment]

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: int | str = LATEST) -> Any:
        """The registered dataset `name` at `version` ("latest" by default), pinned to the content it holds.

        Raises:
            AssetNotFoundError: no dataset of that name, or no such version.
        """
        row = AssetStore(workspace.database).dataset_version(name, parse_version(version))
        return dataset_of(row)

    @staticmethod
    def get_by_id(workspace: Workspace, id: str) -> Any:
        """The registered dataset version with this id.

        Raises:
            AssetNotFoundError: no version has that id.
        """
        return dataset_of(AssetStore(workspace.database).dataset_by_id(id))

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, Any]:
        """Every registered dataset by name, at its latest version."""
        return {row.name: dataset_of(row) for row in AssetStore(workspace.database).dataset_versions()}


# Registered datasets come back registrable: a definition of type "file" or "tabular" rebuilds these classes.
DEFINITION_TYPES[FileDataset.DEFINITION_TYPE] = FileDataset._from_definition
DEFINITION_TYPES[TabularDataset.DEFINITION_TYPE] = TabularDataset._from_definition


def dataset_document(row: models.DatasetVersion) -> dict[str, Any]:
    """A dataset version as the CLI and the REST API show it."""
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "digest": row.digest,
        "single_file": row.single_file,
        "definition": row.definition,
        "description": row.description,
        "tags": dict(row.tags or {}),
        "created_at": row.created_at.isoformat(),
        "produced_by": None
        if row.pipeline_run_id is None
        else {"pipeline_run_id": row.pipeline_run_id, "step_run_id": row.step_run_id},
    }


def dataset_documents(workspace: Workspace) -> list[dict[str, Any]]:
    """Every registered dataset at its latest version, by name."""
    return [dataset_document(row) for row in AssetStore(workspace.database).dataset_versions()]


def dataset_version_document(workspace: Workspace, name: str, version: int | str = LATEST) -> dict[str, Any]:
    """One version of a dataset ("latest" by default).

    Raises:
        AssetNotFoundError: no such dataset or version.
        ConfigError: a version that is neither "latest" nor a number.
    """
    return dataset_document(AssetStore(workspace.database).dataset_version(name, parse_version(version)))


def dataset_lineage(workspace: Workspace, name: str) -> list[dict[str, Any]]:
    """Each version of dataset `name`, oldest first: the run and step that produced it (when one did), the steps
    that read it, and the models registered from it.

    Raises:
        AssetNotFoundError: no dataset of that name.
    """
    store = AssetStore(workspace.database)
    rows = store.dataset_versions(name)
    consumers = store.consumers([r.id for r in rows])
    producers = {r.step_run_id for r in rows if r.step_run_id}
    steps = workspace.runs_store.step_run_origins(producers) if producers else {}
    made = store.models_from([r.id for r in rows], [c.step_run_id for c in consumers if c.step_run_id])
    lineage = []
    for row in rows:
        document = dataset_document(row)
        if row.step_run_id is not None and document["produced_by"] is not None:
            document["produced_by"]["step_name"] = steps.get(row.step_run_id, ("", ""))[1] or None
        read = [c for c in consumers if c.dataset_version_id == row.id]
        document["consumed_by"] = [
            {
                "pipeline_run_id": c.pipeline_run_id,
                "step_run_id": c.step_run_id,
                "step_name": c.step_name,
                "input_name": c.input_name,
            }
            for c in read
        ]
        readers = {c.step_run_id for c in read}
        document["models"] = [
            {"name": m.name, "version": m.version}
            for m in made
            if row.id in (m.dataset_version_ids or []) or m.step_run_id in readers
        ]
        lineage.append(document)
    return lineage
