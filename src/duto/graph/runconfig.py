"""How a step runs: the run configuration a step may carry (`runconfig=`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from duto.errors import ConfigError
from duto.graph.environment import Environment


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
    """

    environment: Environment | None = None
    target: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    cores: int = 1
    memory_gb: float | None = None
    max_run_duration_seconds: float | None = None
    max_retries: int = 0
    retry_backoff_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.environment is not None and not isinstance(self.environment, Environment):
            raise ConfigError(f"RunConfiguration.environment must be an Environment, not {self.environment!r}")
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
