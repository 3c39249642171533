"""Compute targets as users see them: register, look up and delete the places steps run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duto.config import LOCAL_TARGET, default_concurrency, updating
from duto.errors import ComputeTargetNotFoundError, ComputeTargetTypeError, ConfigError
from duto.facade.documents import iso_utc
from duto.graph.compute import (
    AML_CLOUD_ONLY_SETTINGS,
    AmlComputeConfiguration,
    DaskComputeConfiguration,
    LocalComputeConfiguration,
)
from duto.storage.overviews import held_steps

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace


class ComputeTarget:
    """A named compute target of a workspace: `ComputeTarget(ws, "cpu")` or `ws.compute_targets["cpu"]`.

    As in v1, `ComputeTarget(ws, name)` is an instance of the target's own class: an `AmlCompute` for a target
    made from `AmlCompute.provisioning_configuration`.
    """

    def __new__(cls, workspace: Workspace, name: str) -> ComputeTarget:
        if cls is ComputeTarget and _settings(workspace, name).get("type") == "AmlCompute":
            cls = AmlCompute
        return super().__new__(cls)

    def __init__(self, workspace: Workspace, name: str) -> None:
        settings = _settings(workspace, name)
        self.workspace = workspace
        self.name = name
        self._settings: dict[str, Any] = dict(settings)

    @property
    def type(self) -> str:
        """ "local", "dask", or the v1 type a target was made as ("AmlCompute")."""
        return str(self._settings.get("type") or self._settings.get("kind", "local"))

    @property
    def max_concurrency(self) -> int:
        """How many steps of the whole workspace run on this target at once."""
        return int(self._settings.get("max_concurrency") or default_concurrency())

    @staticmethod
    def create(
        workspace: Workspace,
        name: str,
        provisioning_configuration: LocalComputeConfiguration | DaskComputeConfiguration | AmlComputeConfiguration,
    ) -> ComputeTarget:
        """Register a target (or change the settings of one with that name) and return it."""
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise ConfigError(f"compute target name {name!r} must be a non-empty name without '/'")
        configurations = LocalComputeConfiguration | DaskComputeConfiguration | AmlComputeConfiguration
        if not isinstance(provisioning_configuration, configurations):
            raise ConfigError(
                "ComputeTarget.create takes a provisioning configuration such as "
                "LocalCompute.provisioning_configuration(max_concurrency=4), "
                "AmlCompute.provisioning_configuration(max_nodes=4) or "
                "DaskCompute.provisioning_configuration(n_workers=2)"
            )
        if name == LOCAL_TARGET and not isinstance(provisioning_configuration, LocalComputeConfiguration):
            raise ConfigError("the 'local' compute target is built in; give the new target another name")
        with updating(workspace.root) as config:
            config.compute_targets[name] = provisioning_configuration.to_config()
        workspace.reload()
        if isinstance(provisioning_configuration, AmlComputeConfiguration):
            return AmlCompute(workspace, name)
        return ComputeTarget(workspace, name)

    @staticmethod
    def list(workspace: Workspace) -> list[ComputeTarget]:
        return list(workspace.compute_targets.values())

    def wait_for_completion(
        self, show_output: bool = False, min_node_count: int | None = None, timeout_in_minutes: int = 20
    ) -> None:
        """Return at once: a local target is ready when it is created. `min_node_count` and `timeout_in_minutes`
        are v1's; there is nothing to wait for."""
        del min_node_count, timeout_in_minutes
        if show_output:
            print(f"compute target {self.name!r} ({self.type}): Succeeded, ready to run {self.max_concurrency} step(s)")

    def get_status(self) -> ComputeTargetStatus:
        """The target's state in v1's shape: always provisioned, its nodes the steps it runs at once."""
        nodes = self.max_concurrency
        min_nodes = self._settings.get("min_nodes")
        return ComputeTargetStatus(
            provisioning_state="Succeeded",
            allocation_state="Steady",
            current_node_count=nodes,
            target_node_count=nodes,
            vm_size=self._settings.get("vm_size") or None,
            vm_priority=self._settings.get("vm_priority"),
            min_nodes=int(min_nodes) if min_nodes is not None else None,
            max_nodes=nodes,
        )

    def delete(self) -> None:
        if self.name == LOCAL_TARGET:
            raise ConfigError("the 'local' compute target is built in and cannot be deleted")
        with updating(self.workspace.root) as config:
            config.compute_targets.pop(self.name, None)
        self.workspace.reload()

    def __repr__(self) -> str:
        return f"ComputeTarget(name={self.name!r}, type={self.type!r}, max_concurrency={self.max_concurrency})"


def compute_usage(workspace: Workspace) -> list[dict[str, Any]]:
    """Each compute target with its capacity (cores of steps at once) and the step runs holding it now, as JSON:
    what `/api/compute` answers. A step on a target no longer registered is listed under that name all the same."""
    held = held_steps(workspace.database)
    targets = {t.name: (t.type, t.max_concurrency) for t in ComputeTarget.list(workspace)}
    for step in held:
        targets.setdefault(step.compute_target, ("unregistered", 0))
    found = []
    for name, (kind, capacity) in sorted(targets.items(), key=lambda item: (item[0] != LOCAL_TARGET, item[0])):
        running = [
            {
                "step_run_id": h.step_run_id,
                "step": h.name,
                "status": h.status,
                "cores": h.cores,
                "started": iso_utc(h.started_at),
                "run_id": h.pipeline_run_id,
                "experiment": h.experiment,
            }
            for h in held
            if h.compute_target == name
        ]
        in_use = sum(h.cores for h in held if h.compute_target == name)
        found.append({"name": name, "type": kind, "capacity": capacity, "in_use": in_use, "running": running})
    return found


def _settings(workspace: Workspace, name: str) -> dict[str, Any]:
    """A target's settings in the workspace's config, read again once when they are not there.

    Raises:
        ComputeTargetNotFoundError: no target of that name, listing the ones there are.
    """
    settings = workspace.config.compute_targets.get(name)
    if settings is None:
        workspace.reload()
        settings = workspace.config.compute_targets.get(name)
    if settings is None:
        raise ComputeTargetNotFoundError(name, list(workspace.config.compute_targets))
    return dict(settings)


@dataclass(frozen=True)
class ComputeTargetStatus:
    """What `get_status()` returns: the fields of v1's `AmlComputeStatus` that mean something locally.

    A local target is provisioned when it is created and never scales: its nodes are the steps it runs at
    once, all always there. Which steps run now is in `duto runs show`.
    """

    provisioning_state: str
    allocation_state: str
    current_node_count: int
    target_node_count: int
    vm_size: str | None = None
    vm_priority: str | None = None
    min_nodes: int | None = None
    max_nodes: int | None = None

    def serialize(self) -> dict[str, Any]:
        """v1's dict of the status, with its camelCase keys."""
        return {
            "provisioningState": self.provisioning_state,
            "allocationState": self.allocation_state,
            "currentNodeCount": self.current_node_count,
            "targetNodeCount": self.target_node_count,
            "vmSize": self.vm_size,
            "vmPriority": self.vm_priority,
            "scaleSettings": {"minNodeCount": self.min_nodes, "maxNodeCount": self.max_nodes},
        }


class AmlCompute(ComputeTarget):
    """v1's Azure cluster, made local: `AmlCompute.provisioning_configuration(max_nodes=4)` with
    `ComputeTarget.create` makes a target that runs up to `max_nodes` steps at once on this machine;
    `AmlCompute(ws, name)` opens it. `DaskCompute` is the way to run steps on more machines."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        super().__init__(workspace, name)
        if self.type != "AmlCompute":
            raise ComputeTargetTypeError(name, self.type, "AmlCompute")

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int = 4,
        idle_seconds_before_scaledown: int | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        **cloud_only: Any,
    ) -> AmlComputeConfiguration:
        """v1's settings; `max_nodes` is how many steps run at once. v1's network, identity and login settings
        (`vnet_name`, `admin_username`, ...) are taken and dropped: there is no cluster to give them to.

        Raises:
            ConfigError: for a setting v1 does not have, or a `max_nodes`/`min_nodes` that cannot be used.
        """
        unknown = sorted(set(cloud_only) - AML_CLOUD_ONLY_SETTINGS)
        if unknown:
            raise ConfigError(f"AmlCompute.provisioning_configuration has no setting {', '.join(map(repr, unknown))}")
        return AmlComputeConfiguration(
            vm_size, vm_priority, min_nodes, max_nodes, idle_seconds_before_scaledown, tags, description
        )
