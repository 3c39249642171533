"""How a step runs: the run configuration a step may carry (`runconfig=`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from duto.errors import ConfigError


@dataclass
class RunConfiguration:
    """Settings for how a step runs.

    Args:
        target: the compute target's name, used when the step names none itself.
        environment_variables: extra environment variables the step's process receives.
    """

    target: str | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, value in self.environment_variables.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ConfigError(
                    f"RunConfiguration.environment_variables must map str to str; {key!r}: {value!r} does not"
                )

    def to_spec(self) -> dict[str, Any]:
        return {"environment_variables": dict(sorted(self.environment_variables.items()))}
