"""Compute targets as users see them: register, look up and delete the places steps run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duto.config import LOCAL_TARGET, default_concurrency, updating
from duto.errors import ComputeTargetNotFoundError, ConfigError
from duto.graph.compute import DaskComputeConfiguration, LocalComputeConfiguration

if TYPE_CHECKING:
    from duto.workspace import Workspace


class ComputeTarget:
    """A named compute target of a workspace: `ComputeTarget(ws, "cpu")` or `ws.compute_targets["cpu"]`."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        settings = workspace.config.compute_targets.get(name)
        if settings is None:
            workspace.reload()
            settings = workspace.config.compute_targets.get(name)
        if settings is None:
            raise ComputeTargetNotFoundError(name, list(workspace.config.compute_targets))
        self.workspace = workspace
        self.name = name
        self._settings: dict[str, Any] = dict(settings)

    @property
    def type(self) -> str:
        return str(self._settings.get("kind", "local"))

    @property
    def max_concurrency(self) -> int:
        """How many steps of the whole workspace run on this target at once."""
        return int(self._settings.get("max_concurrency") or default_concurrency())

    @staticmethod
    def create(
        workspace: Workspace,
        name: str,
        provisioning_configuration: LocalComputeConfiguration | DaskComputeConfiguration,
    ) -> ComputeTarget:
        """Register a target (or change the settings of one with that name) and return it."""
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise ConfigError(f"compute target name {name!r} must be a non-empty name without '/'")
        if not isinstance(provisioning_configuration, LocalComputeConfiguration | DaskComputeConfiguration):
            raise ConfigError(
                "ComputeTarget.create takes a provisioning configuration such as "
                "LocalCompute.provisioning_configuration(max_concurrency=4) or "
                "DaskCompute.provisioning_configuration(n_workers=2)"
            )
        with updating(workspace.root) as config:
            config.compute_targets[name] = provisioning_configuration.to_config()
        workspace.reload()
        return ComputeTarget(workspace, name)

    @staticmethod
    def list(workspace: Workspace) -> list[ComputeTarget]:
        return list(workspace.compute_targets.values())

    def wait_for_completion(self, show_output: bool = False) -> None:
        """Provisioning is immediate for local targets; kept for v1 compatibility."""
        del show_output

    def delete(self) -> None:
        if self.name == LOCAL_TARGET:
            raise ConfigError("the 'local' compute target is built in and cannot be deleted")
        with updating(self.workspace.root) as config:
            config.compute_targets.pop(self.name, None)
        self.workspace.reload()

    def __repr__(self) -> str:
        return f"ComputeTarget(name={self.name!r}, type={self.type!r}, max_concurrency={self.max_concurrency})"
