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
    """

    environment: Environment | None = None
    target: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    cores: int = 1
    memory_gb: float | None = None

    def __post_init__(self) -> None:
        if self.environment is not None and not isinstance(self.environment, Environment):
            raise ConfigError(f"RunConfiguration.environment must be an Environment, not {self.environment!r}")
        if not isinstance(self.cores, int) or self.cores < 1:
            raise ConfigError(f"RunConfiguration.cores must be a whole number of at least 1, not {self.cores!r}")
        if self.memory_gb is not None and (not isinstance(self.memory_gb, int | float) or self.memory_gb <= 0):
            raise ConfigError(f"RunConfiguration.memory_gb must be a positive number, not {self.memory_gb!r}")
        for key, value in self.environment_variables.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(
                    f"RunConfiguration.environment_variables must map str to str; {key!r}: {value!r} does not"
                )
