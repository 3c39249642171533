"""Registered models (v1's `azureml.core.Model`): a file or folder kept by content, in versions, with its lineage."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.errors import AssetNotFoundError, ConfigError
from duto.facade.datasets import LATEST, parse_version
from duto.graph.datasets import check_registered_name
from duto.storage import models
from duto.storage.asset_store import MODEL, AssetStore, Producer
from duto.storage.model_files import lay_out_model, store_model
from duto.tracking.model_paths import model_path, step_models_root
from duto.tracking.step_context import PARENT_ID_ENV, RUN_ID_ENV, WORKSPACE_ENV

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace


def _strings(what: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{what} must be a dict, such as {{'area': 'churn'}}, not {value!r}")
    return {str(k): str(v) for k, v in value.items()}


def _step_producer(workspace: Workspace) -> Producer | None:
    """The step run registering a model, when `Model.register` is called inside a step of this workspace."""
    step_run_id, pipeline_run_id = os.environ.get(RUN_ID_ENV), os.environ.get(PARENT_ID_ENV)
    here = os.environ.get(WORKSPACE_ENV)
    if not step_run_id or not pipeline_run_id or here is None or Path(here).resolve() != workspace.root.resolve():
        return None
    return Producer(pipeline_run_id, step_run_id)


def _dataset_ids(datasets: Any) -> list[str]:
    """The registered versions of v1's `datasets=[("training data", dataset), ...]` (or plain datasets)."""
    ids: list[str] = []
    for item in datasets or []:
        dataset = item[1] if isinstance(item, tuple) and len(item) == 2 else item
        version_id = getattr(dataset, "id", None)
        if not isinstance(version_id, str):
            raise ConfigError(
                f"datasets: {dataset!r} is not a registered dataset; register it first "
                "(dataset.register(ws, name)) or take it with Dataset.get_by_name"
            )
        ids.append(version_id)
    return ids


class Model:
    """A registered model version: `Model(ws, "churn")` for the latest, `Model(ws, "churn", version=2)`.

    Raises:
        AssetNotFoundError: no model of that name, or no such version.
    """

    def __init__(
        self, workspace: Workspace, name: str | None = None, id: str | None = None, version: int | None = None
    ):
        if name is None and id is not None:
            name, _, text = id.rpartition(":")  # v1 ids are "name:version"
            version = int(text) if text.isdigit() else None
        if not name:
            raise ConfigError("Model needs a name (Model(ws, 'churn')) or an id such as 'churn:2'")
        self.workspace = workspace
        self._row = AssetStore(workspace.database).model_version(name, parse_version(version))

    @classmethod
    def _of(cls, workspace: Workspace, row: models.ModelVersion) -> Model:
        model = cls.__new__(cls)
        model.workspace, model._row = workspace, row
        return model

    @property
    def name(self) -> str:
        return self._row.name

    @property
    def version(self) -> int:
        return self._row.version

    @property
    def id(self) -> str:
        """v1's "name:version"."""
        return f"{self._row.name}:{self._row.version}"

    @property
    def description(self) -> str | None:
        return self._row.description

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._row.tags or {})

    @property
    def properties(self) -> dict[str, str]:
        return dict(self._row.properties or {})

    @property
    def model_framework(self) -> str | None:
        return self._row.framework

    @property
    def run_id(self) -> str | None:
        """The step run that registered it, when a step did."""
        return self._row.step_run_id

    @property
    def created_time(self) -> Any:
        return self._row.created_at

    @staticmethod
    def register(
        workspace: Workspace,
        model_path: str | os.PathLike[str],
        model_name: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        datasets: Iterable[Any] | None = None,
        model_framework: str | None = None,
        **kwargs: Any,
    ) -> Model:
        """Register the file or folder at `model_path` as a version of `model_name`: a new version for new
        content, the latest again for the content it holds already.

        Raises:
            ConfigError: a bad name, tags or datasets, or nothing at `model_path`.
        """
        del kwargs  # v1's child_paths, sample inputs, resource configuration: nothing in duto reads them
        check_registered_name("model", model_name)
        row = store_model(
            workspace.content_store,
            AssetStore(workspace.database),
            Path(model_path).absolute(),
            model_name,
            description=description,
            tags=_strings("tags", tags),
            properties=_strings("properties", properties),
            framework=model_framework,
            dataset_version_ids=_dataset_ids(datasets),
            producer=_step_producer(workspace),
        )
        return Model._of(workspace, row)

    @staticmethod
    def list(workspace: Workspace, name: str | None = None, latest: bool = False, **kwargs: Any) -> list[Model]:
        """Registered models: every version of each (or of `name`), or with `latest` the newest of each."""
        del kwargs  # v1's tags and properties filters and the like
        store = AssetStore(workspace.database)
        if name is None:
            newest = store.model_versions()
            rows = newest if latest else [r for n in newest for r in store.model_versions(n.name)]
        else:
            try:
                rows = store.model_versions(name)
            except AssetNotFoundError:
                return []
            rows = rows[-1:] if latest else rows
        return [Model._of(workspace, r) for r in rows]

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Workspace | None = None) -> str:
        """A local path of the model's file or folder: inside a step, the workspace's; outside, `_workspace`'s.

        Raises:
            AssetNotFoundError: no such model or version.
        """
        if _workspace is None:
            root = step_models_root()
            if root is None:
                raise ConfigError("Model.get_model_path outside a step needs _workspace=ws")
            try:
                return model_path(root, model_name, version)
            except LookupError as exc:
                raise AssetNotFoundError(MODEL, model_name, version) from exc
        return str(Model(_workspace, model_name, version=version)._path())

    def _path(self) -> Path:
        return lay_out_model(self.workspace.content_store, self._row)

    def download(self, target_dir: str | os.PathLike[str] = ".", exist_ok: bool = False) -> str:
        """Copy the model's file or folder into `target_dir`; returns its path there.

        Raises:
            FileExistsError: it is there already and `exist_ok` is False.
        """
        source = self._path()
        target = Path(target_dir) / source.name
        if target.exists() and not exist_ok:
            raise FileExistsError(f"{target} exists; pass exist_ok=True to overwrite it")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        return str(target)

    def delete(self) -> None:
        """Unregister this version (v1's `Model.delete`): `Model(ws, name, version)` and `get_model_path` no
        longer find it, its number is never given again, and the runs that registered it still name it. Its
        file stays in the content store until `cache gc` finds nothing else keeping it.

        Raises:
            AssetNotFoundError: it was unregistered already.
        """
        AssetStore(self.workspace.database).unregister_model(self.name, self.version)

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version})"


def unregister_model(workspace: Workspace, name: str, version: int | str | None = None) -> list[int]:
    """Unregister one version of model `name` ("latest" for the newest), or all of them when `version` is None;
    the numbers unregistered.

    Raises:
        AssetNotFoundError: no such model, or no such version of it registered.
    """
    number = None if version is None else parse_version(version) or LATEST
    return AssetStore(workspace.database).unregister_model(name, number)


def model_document(workspace: Workspace, row: models.ModelVersion) -> dict[str, Any]:
    """A model version as the CLI and the REST API show it, with its lineage: the run and step that registered
    it, and the dataset versions it came from (those passed as `datasets=`, and those its step read)."""
    store = AssetStore(workspace.database)
    dataset_ids = list(row.dataset_version_ids or [])
    produced_by = None
    if row.step_run_id is not None:
        origin = workspace.runs_store.step_run_origins([row.step_run_id]).get(row.step_run_id)
        produced_by = {
            "pipeline_run_id": row.pipeline_run_id,
            "step_run_id": row.step_run_id,
            "step_name": None if origin is None else origin[1],
        }
        dataset_ids += [c.dataset_version_id for c in store.consumers_of_step(row.step_run_id)]
    datasets = []
    for version_id in dict.fromkeys(dataset_ids):
        try:
            found = store.dataset_by_id(version_id)
        except AssetNotFoundError:
            continue
        datasets.append({"id": found.id, "name": found.name, "version": found.version})
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "file_name": row.file_name,
        "digest": row.digest,
        "description": row.description,
        "tags": dict(row.tags or {}),
        "properties": dict(row.properties or {}),
        "framework": row.framework,
        "created_at": row.created_at.isoformat(),
        "produced_by": produced_by,
        "datasets": datasets,
    }


def model_documents(workspace: Workspace, name: str | None = None) -> list[dict[str, Any]]:
    """Every version of every registered model (or of `name`), by name then version."""
    return [model_document(workspace, m._row) for m in Model.list(workspace, name=name)]


def model_version_document(workspace: Workspace, name: str, version: int | str = "latest") -> dict[str, Any]:
    """One version of a model ("latest" by default).

    Raises:
        AssetNotFoundError: no such model or version.
        ConfigError: a version that is neither "latest" nor a number.
    """
    return model_document(workspace, Model(workspace, name, version=parse_version(version))._row)
