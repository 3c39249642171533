"""The workspace: a folder holding duto's settings, metadata DB, datastores and run records."""

from __future__ import annotations

import os
import uuid
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.config import WORKSPACE_DIR, WorkspaceConfig, find_workspace_root, updating
from duto.errors import WorkspaceExistsError
from duto.storage.cas import ContentStore, workspace_content_store
from duto.storage.db import Database
from duto.storage.metric_store import MetricStore
from duto.storage.runs_store import RunsStore

if TYPE_CHECKING:
    from duto.facade.compute_targets import ComputeTarget
    from duto.facade.datastore import Datastore
    from duto.facade.environment_registry import Environment
    from duto.facade.experiment import Experiment
    from duto.facade.keyvault import Keyvault
    from duto.facade.models import Model
    from duto.facade.runs import PipelineRun


# What v1's Azure coordinates are for a workspace that is a folder on this machine.
LOCAL_COORDINATE = "local"


class Workspace:
    """A duto workspace: `Workspace.from_config()` finds one, `Workspace.create(path)` makes one."""

    def __init__(self, config: WorkspaceConfig) -> None:
        self._config = config

    @classmethod
    def create(cls, path: str | os.PathLike[str] = ".", exist_ok: bool = False) -> Workspace:
        """Make a workspace in `path` (its `.duto/` folder, DB and default datastore).

        Raises:
            WorkspaceExistsError: when one is there already and `exist_ok` is False.
        """
        root = Path(path).expanduser().resolve()
        if (root / WORKSPACE_DIR / "config.json").is_file():
            if not exist_ok:
                raise WorkspaceExistsError(str(root))
            return cls.from_config(root)
        (root / WORKSPACE_DIR / "runs").mkdir(parents=True, exist_ok=True)
        config = WorkspaceConfig.new(root)
        config.save()
        workspace = cls(config)
        workspace.runs_store.experiment_names()  # create the DB now, so a broken location fails here
        workspace.datastores  # noqa: B018  # making each Datastore creates its folder
        return workspace

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """Open the workspace at `path`, else at DUTO_WORKSPACE, else the nearest one above the current folder."""
        return cls(WorkspaceConfig.load(find_workspace_root(path)))

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def subscription_id(self) -> str:
        """v1's Azure subscription; "local" for every duto workspace."""
        return LOCAL_COORDINATE

    @property
    def resource_group(self) -> str:
        """v1's Azure resource group; "local" for every duto workspace."""
        return LOCAL_COORDINATE

    @property
    def location(self) -> str:
        """v1's Azure region; "local": the workspace is where its folder is, `root`."""
        return LOCAL_COORDINATE

    @property
    def workspace_id(self) -> str:
        """A stable id of the workspace, made from its folder: the same folder always has the same id."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.root.as_uri()))

    def get_details(self) -> dict[str, object]:
        """v1's dict of the workspace, with Azure's keys holding local values."""
        arm_id = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/duto/workspaces/{self.name}"
        )
        return {
            "id": arm_id,
            "name": self.name,
            "friendlyName": self.name,
            "location": self.location,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "workspaceid": self.workspace_id,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "provisioningState": "Succeeded",
            "storageAccount": self._storage_account(),
            "containerRegistry": None,
            "keyVault": None,
            "applicationInsights": None,
            "root": str(self.root),
        }

    def _storage_account(self) -> str:
        default = self.get_default_datastore()
        return str(default.root) if default.kind == "local" else f"{default.kind}:{default.name}"

    @property
    def root(self) -> Path:
        return self._config.root

    @property
    def config(self) -> WorkspaceConfig:
        return self._config

    @cached_property
    def database(self) -> Database:
        return Database(self._config.resolved_db_url())

    @cached_property
    def runs_store(self) -> RunsStore:
        return RunsStore(self.database)

    @cached_property
    def metric_store(self) -> MetricStore:
        return MetricStore(self.database)

    @cached_property
    def content_store(self) -> ContentStore:
        """The store of step outputs and code snapshots (`.duto/cas/`)."""
        return workspace_content_store(self._config.duto_dir)

    def reload(self) -> None:
        """Read the settings again (after another process registered a target or datastore)."""
        self._config = WorkspaceConfig.load(self._config.root)

    def get_default_datastore(self) -> Datastore:
        from duto.facade.datastore import Datastore

        return Datastore(self, self._config.default_datastore)

    @property
    def datastores(self) -> dict[str, Datastore]:
        from duto.facade.datastore import Datastore

        return {name: Datastore(self, name) for name in sorted(self._config.datastores)}

    @property
    def compute_targets(self) -> dict[str, ComputeTarget]:
        from duto.facade.compute_targets import ComputeTarget

        self.reload()
        return {name: ComputeTarget(self, name) for name in sorted(self._config.compute_targets)}

    @property
    def environments(self) -> dict[str, Environment]:
        """The registered environments, each at its latest version."""
        from duto.facade.environment_registry import Environment

        return Environment.list(self)

    @property
    def datasets(self) -> dict[str, Any]:
        """The registered datasets by name, each at its latest version."""
        from duto.facade.datasets import Dataset

        return Dataset.get_all(self)

    @property
    def models(self) -> dict[str, Model]:
        """The registered models by name, each at its latest version."""
        from duto.facade.models import Model

        return {m.name: m for m in Model.list(self, latest=True)}

    @property
    def experiments(self) -> dict[str, Experiment]:
        """The active experiments by name (archived ones: `Experiment.list(ws, view_type="ArchivedOnly")`)."""
        from duto.facade.experiment import Experiment

        return {name: Experiment(self, name) for name in self.runs_store.experiment_names()}

    def set_default_environment(self, name: str | None) -> None:
        """Run steps that name no environment in the registered environment `name` (its latest version);
        None goes back to the interpreter duto itself runs with."""
        if name is not None:
            from duto.facade.environment_registry import Environment

            Environment.get(self, name)  # refuse a name that is not registered
        with updating(self.root) as config:
            config.default_environment = name
        self.reload()

    def get_default_keyvault(self) -> Keyvault:
        """The workspace's named secrets (v1's key vault), kept in `.duto/secrets.json`, owner-only."""
        from duto.facade.keyvault import Keyvault

        return Keyvault(self)

    def set_secret(self, name: str, value: str) -> None:
        """Keep a secret under `name`, for settings (a datastore's credentials) to name instead of holding it."""
        self.get_default_keyvault().set_secret(name, value)

    def get_run(self, run_id: str) -> PipelineRun:
        """A pipeline run by its id (or a unique prefix of it)."""
        from duto.facade.runs import PipelineRun

        return PipelineRun.get(self, run_id)

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, root={str(self.root)!r})"
