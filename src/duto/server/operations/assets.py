"""Registered datasets and models: list, show, lineage, registering, unregistering, and what a run read and made,
through the facade."""

from __future__ import annotations

from duto.errors import AssetExistsError, ConfigError, FieldError
from duto.facade.datasets import (
    Dataset,
    dataset_documents,
    dataset_lineage,
    dataset_version_document,
    parse_version,
    unregister_dataset,
)
from duto.facade.models import model_documents, model_version_document, unregister_model
from duto.facade.run_data import run_data
from duto.facade.workspace import Workspace
from duto.graph.datasets import DataPath, check_registered_name
from duto.server.schemas.assets import (
    DatasetRegistration,
    DatasetVersionInfo,
    DatasetVersionLineage,
    ModelVersionInfo,
    RunData,
    Unregistration,
)


def list_datasets(workspace: Workspace) -> list[DatasetVersionInfo]:
    return [DatasetVersionInfo(**d) for d in dataset_documents(workspace)]


def show_dataset(workspace: Workspace, name: str, version: str) -> DatasetVersionInfo:
    return DatasetVersionInfo(**dataset_version_document(workspace, name, _version(version)))


def _version(version: str) -> str:
    try:
        parsed = parse_version(version)
    except ConfigError as exc:
        raise FieldError(str(exc), "version") from exc
    return "latest" if parsed is None else str(parsed)


def lineage(workspace: Workspace, name: str) -> list[DatasetVersionLineage]:
    return [DatasetVersionLineage(**v) for v in dataset_lineage(workspace, name)]


def of_run(workspace: Workspace, run_id: str) -> RunData:
    """The registered data each step of the run read and made (a run id or a unique prefix of one)."""
    return RunData(**run_data(workspace.get_run(run_id)))


def register_dataset(workspace: Workspace, body: DatasetRegistration) -> DatasetVersionInfo:
    """Register files on the workspace's datastores; each path must stay inside its datastore."""
    try:
        check_registered_name("dataset", body.name)
    except ConfigError as exc:
        raise FieldError(str(exc), "name") from exc
    paths = []
    for index, entry in enumerate(body.paths):
        if entry.datastore not in workspace.config.datastores:
            known = ", ".join(sorted(workspace.config.datastores))
            raise FieldError(
                f"the workspace has no datastore {entry.datastore!r}; its datastores: {known}",
                f"paths.{index}.datastore",
            )
        try:
            paths.append(DataPath(entry.datastore, entry.path))
        except ConfigError as exc:
            raise FieldError(str(exc), f"paths.{index}.path") from exc
    try:
        registered = Dataset.File.from_files(paths).register(
            workspace, body.name, body.description, body.tags, body.create_new_version
        )
    except AssetExistsError:
        raise
    except ConfigError as exc:
        raise FieldError(str(exc), "paths") from exc
    return show_dataset(workspace, body.name, str(registered.version))


def list_models(workspace: Workspace, name: str | None) -> list[ModelVersionInfo]:
    return [ModelVersionInfo(**m) for m in model_documents(workspace, name)]


def show_model(workspace: Workspace, name: str, version: str) -> ModelVersionInfo:
    return ModelVersionInfo(**model_version_document(workspace, name, _version(version)))


def unregister(workspace: Workspace, kind: str, name: str, version: str | None) -> Unregistration:
    """Unregister one version of a dataset or model ("latest" for the newest), or every version when `version`
    is None."""
    wanted = None if version is None else _version(version)
    unregistering = unregister_dataset if kind == "dataset" else unregister_model
    return Unregistration(kind=kind, name=name, versions=unregistering(workspace, name, wanted))
