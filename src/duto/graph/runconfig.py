"""How a step runs: the run configuration a step may carry (`runconfig=`), and v1's Docker and MPI settings."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from duto.errors import ConfigError
from duto.graph.environment import CondaDependencies, Environment

# The name of the environment a RunConfiguration makes when given none; left as made, the step runs in the
# workspace's default environment.
DEFAULT_ENVIRONMENT_NAME = "duto-default"


@dataclass
class DockerConfiguration:
    """Whether a run's steps start in a container (v1's `DockerConfiguration`); only `use_docker` matters here.

    `shm_size` and `arguments` are accepted so ported code runs; duto passes neither to `docker run`.
    """

    use_docker: bool = False
    shm_size: str | None = None
    arguments: list[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.use_docker, bool):
            raise ConfigError(f"DockerConfiguration.use_docker must be True or False, not {self.use_docker!r}")


@dataclass
class MpiConfiguration:
    """v1's MPI settings, recorded; duto runs one process of the script (`RunConfiguration.process_count`)."""

    process_count_per_node: int = 1
    node_count: int = 1

    def __post_init__(self) -> None:
        for name in ("process_count_per_node", "node_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"MpiConfiguration.{name} must be a whole number of at least 1, not {value!r}")


@dataclass
class RunConfiguration:
    """Settings for how a step runs.

    Args:
        environment: the Environment the step runs in (the workspace's default environment when None).
        target: the compute target's name, used when the step names none itself.
        environment_variables: extra environment variables the step's process receives.
        cores: how many of its target's cores the step takes while it runs.
        memory_gb: how much of its target's memory the step takes while it runs (None: not counted).
        max_run_duration_seconds: how long an attempt of the step may run; past it, its process tree is
            stopped (SIGTERM, then SIGKILL after a grace period) and the attempt fails "timed out".
        max_retries: how many times a failed attempt is started again (0: never).
        retry_backoff_seconds: the wait before the first retry; it doubles for each later one.
        conda_dependencies: the packages of the environment (v1's `RunConfiguration(conda_dependencies=...)`).
        docker: a DockerConfiguration; `use_docker=True` runs the step in its environment's image (as
            `environment.docker.enabled = True` does), False in a local venv whatever the image.
        node_count: recorded for v1 compatibility; a local step runs on one node.
        mpi: an MpiConfiguration, recorded; one process runs.

    Made without an environment, it holds a blank one (`environment.python.conda_dependencies` can be set, as
    in v1); left blank, the step runs in the workspace's default environment.
    """

    environment: Environment | None = None
    target: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    cores: int = 1
    memory_gb: float | None = None
    max_run_duration_seconds: float | None = None
    max_retries: int = 0
    retry_backoff_seconds: float = 1.0
    conda_dependencies: CondaDependencies | None = None
    docker: DockerConfiguration | None = None
    node_count: int = 1
    mpi: MpiConfiguration | None = None
    _blank: Environment | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.environment is not None and not isinstance(self.environment, Environment):
            raise ConfigError(f"RunConfiguration.environment must be an Environment, not {self.environment!r}")
        if self.environment is None:
            self.environment = self._blank = Environment(DEFAULT_ENVIRONMENT_NAME)
        if self.conda_dependencies is not None:
            if not isinstance(self.conda_dependencies, CondaDependencies):
                raise ConfigError(
                    f"RunConfiguration.conda_dependencies must be a CondaDependencies, not {self.conda_dependencies!r}"
                )
            self.environment.python.conda_dependencies = self.conda_dependencies
        if self.docker is not None and not isinstance(self.docker, DockerConfiguration):
            raise ConfigError(f"RunConfiguration.docker must be a DockerConfiguration, not {self.docker!r}")
        if self.mpi is not None and not isinstance(self.mpi, MpiConfiguration):
            raise ConfigError(f"RunConfiguration.mpi must be an MpiConfiguration, not {self.mpi!r}")
        if not isinstance(self.cores, int) or self.cores < 1:
            raise ConfigError(f"RunConfiguration.cores must be a whole number of at least 1, not {self.cores!r}")
        if self.memory_gb is not None and (not isinstance(self.memory_gb, int | float) or self.memory_gb <= 0):
            raise ConfigError(f"RunConfiguration.memory_gb must be a positive number, not {self.memory_gb!r}")
        if self.max_run_duration_seconds is not None and not _positive(self.max_run_duration_seconds):
            raise ConfigError(
                "RunConfiguration.max_run_duration_seconds must be a positive number of seconds, "
                f"not {self.max_run_duration_seconds!r}"
            )
        check_retries("RunConfiguration", self.max_retries, self.retry_backoff_seconds)
        for key, value in self.environment_variables.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(
                    f"RunConfiguration.environment_variables must map str to str; {key!r}: {value!r} does not"
                )

    def effective_environment(self) -> Environment | None:
        """The environment the step runs in, None for the workspace's default.

        `docker` (a DockerConfiguration), when set, decides whether it runs in a container, over the
        environment's own `docker.enabled`.
        """
        environment = self.environment
        if environment is None:
            return None
        if self.docker is not None and self.docker.use_docker != environment.docker.enabled:
            environment = copy.deepcopy(environment)
            environment.docker.enabled = self.docker.use_docker
        if self.environment is self._blank and environment.to_spec() == Environment(DEFAULT_ENVIRONMENT_NAME).to_spec():
            return None
        return environment

    def process_count(self) -> int:
        """How many processes v1 would start (MPI's per node times nodes); duto starts one."""
        per_node = self.mpi.process_count_per_node if self.mpi is not None else 1
        nodes = self.mpi.node_count if self.mpi is not None else self.node_count
        return per_node * max(nodes, 1)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def check_retries(owner: str, max_retries: object, backoff: object) -> None:
    """Refuse retry settings that are not a whole number of retries and a non-negative backoff.

    Raises:
        ConfigError: naming `owner` (the step or the RunConfiguration) and the setting.
    """
    if max_retries is not None and (
        not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0
    ):
        raise ConfigError(f"{owner}: max_retries must be a whole number of at least 0, not {max_retries!r}")
    if backoff is not None and not (_positive(backoff) or backoff == 0):
        raise ConfigError(f"{owner}: retry_backoff_seconds must be a number of seconds of at least 0, not {backoff!r}")
