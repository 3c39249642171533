"""Compute target settings as data: what `*.provisioning_configuration(...)` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duto.errors import ConfigError


@dataclass(frozen=True)
class LocalComputeConfiguration:
    """A target of local cores; `max_concurrency` steps of the whole workspace run on it at once."""

    max_concurrency: int | None = None
    memory_gb: float | None = None

    def __post_init__(self) -> None:
        if self.memory_gb is not None and (not isinstance(self.memory_gb, int | float) or self.memory_gb <= 0):
            raise ConfigError(f"memory_gb must be a positive number, not {self.memory_gb!r}")
        if self.max_concurrency is not None and (not isinstance(self.max_concurrency, int) or self.max_concurrency < 1):
            raise ConfigError(f"max_concurrency must be a whole number of at least 1, not {self.max_concurrency!r}")

    def to_config(self) -> dict[str, Any]:
        return {"kind": "local", "max_concurrency": self.max_concurrency, "memory_gb": self.memory_gb}


class LocalCompute:
    """The v1 entry point for local targets: `LocalCompute.provisioning_configuration(max_concurrency=N)`."""

    @staticmethod
    def provisioning_configuration(
        max_concurrency: int | None = None, memory_gb: float | None = None
    ) -> LocalComputeConfiguration:
        """`max_concurrency`: the cores steps may take at once (default: the machine's); `memory_gb`: the
        memory they may take at once (default: the machine's), counted from each step's RunConfiguration."""
        return LocalComputeConfiguration(max_concurrency=max_concurrency, memory_gb=memory_gb)


@dataclass(frozen=True)
class DaskComputeConfiguration:
    """A Dask cluster target: an existing scheduler at `address`, or a local cluster of `n_workers` workers
    that duto starts on 127.0.0.1 when a run needs it and shuts down when the run is done.

    A local cluster's workers are threads of the runner by default: a worker only starts a step's subprocess
    and waits for it, so threads are enough and start in milliseconds. `processes=True` makes them processes
    (a second or two to start), for workers that should stand apart from the runner.
    """

    address: str | None = None
    n_workers: int | None = None
    threads_per_worker: int = 1
    memory_limit: str | None = None
    max_concurrency: int | None = None
    processes: bool = False

    def __post_init__(self) -> None:
        if (self.address is None) == (self.n_workers is None):
            raise ConfigError(
                "DaskCompute takes either address='tcp://host:8786' (an existing scheduler) or n_workers=N "
                "(a local cluster duto starts), not both and not neither"
            )
        if self.n_workers is not None and (not isinstance(self.n_workers, int) or self.n_workers < 1):
            raise ConfigError(f"n_workers must be a whole number of at least 1, not {self.n_workers!r}")
        if not isinstance(self.threads_per_worker, int) or self.threads_per_worker < 1:
            raise ConfigError(f"threads_per_worker must be at least 1, not {self.threads_per_worker!r}")

    def to_config(self) -> dict[str, Any]:
        concurrency = self.max_concurrency
        if concurrency is None and self.n_workers is not None:
            concurrency = self.n_workers * self.threads_per_worker
        return {
            "kind": "dask",
            "address": self.address,
            "n_workers": self.n_workers,
            "threads_per_worker": self.threads_per_worker,
            "memory_limit": self.memory_limit,
            "max_concurrency": concurrency,
            "processes": self.processes,
        }


class DaskCompute:
    """The entry point for Dask targets: `DaskCompute.provisioning_configuration(n_workers=2)`."""

    @staticmethod
    def provisioning_configuration(
        address: str | None = None,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        memory_limit: str | None = None,
        max_concurrency: int | None = None,
        processes: bool = False,
    ) -> DaskComputeConfiguration:
        return DaskComputeConfiguration(
            address, n_workers, threads_per_worker, memory_limit, max_concurrency, processes
        )


# v1 settings of an Azure cluster that mean nothing on one machine: taken so ported code runs, then dropped.
AML_CLOUD_ONLY_SETTINGS = frozenset(
    {
        "admin_username",
        "admin_user_password",
        "admin_user_ssh_key",
        "vnet_resourcegroup_name",
        "vnet_name",
        "subnet_name",
        "remote_login_port_public_access",
        "identity_type",
        "identity_id",
        "location",
        "enable_node_public_ip",
    }
)


@dataclass(frozen=True)
class AmlComputeConfiguration:
    """v1's Azure cluster, made local: up to `max_nodes` steps of the whole workspace run on this machine at once.

    `vm_size`, `vm_priority`, `min_nodes`, `idle_seconds_before_scaledown`, `tags` and `description` are kept in
    the target's settings for `duto compute list` and `get_status()`; they provision nothing.
    """

    vm_size: str = ""
    vm_priority: str = "dedicated"
    min_nodes: int = 0
    max_nodes: int = 4
    idle_seconds_before_scaledown: int | None = None
    tags: dict[str, str] | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.max_nodes, int) or isinstance(self.max_nodes, bool) or self.max_nodes < 1:
            raise ConfigError(
                f"max_nodes must be a whole number of at least 1, not {self.max_nodes!r}: it is how many steps "
                "run on the target at once"
            )
        if not isinstance(self.min_nodes, int) or not 0 <= self.min_nodes <= self.max_nodes:
            raise ConfigError(
                f"min_nodes must be a whole number from 0 to max_nodes ({self.max_nodes}), not {self.min_nodes!r}"
            )
        if self.vm_priority not in ("dedicated", "lowpriority"):
            raise ConfigError(f"vm_priority must be 'dedicated' or 'lowpriority', not {self.vm_priority!r}")

    def to_config(self) -> dict[str, Any]:
        # kind "local": the runner starts its steps as it starts a local target's; "type" is what users see.
        return {
            "kind": "local",
            "type": "AmlCompute",
            "max_concurrency": self.max_nodes,
            "memory_gb": None,
            "vm_size": self.vm_size,
            "vm_priority": self.vm_priority,
            "min_nodes": self.min_nodes,
            "max_nodes": self.max_nodes,
            "idle_seconds_before_scaledown": self.idle_seconds_before_scaledown,
            "tags": dict(self.tags) if self.tags else None,
            "description": self.description,
        }
