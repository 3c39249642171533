"""Compute target settings as data: what `*.provisioning_configuration(...)` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duto.errors import ConfigError


@dataclass(frozen=True)
class LocalComputeConfiguration:
    """A target of local cores; `max_concurrency` steps of the whole workspace run on it at once."""

    max_concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.max_concurrency is not None and (not isinstance(self.max_concurrency, int) or self.max_concurrency < 1):
            raise ConfigError(f"max_concurrency must be a whole number of at least 1, not {self.max_concurrency!r}")

    def to_config(self) -> dict[str, Any]:
        return {"kind": "local", "max_concurrency": self.max_concurrency}


class LocalCompute:
    """The v1 entry point for local targets: `LocalCompute.provisioning_configuration(max_concurrency=N)`."""

    @staticmethod
    def provisioning_configuration(max_concurrency: int | None = None) -> LocalComputeConfiguration:
        return LocalComputeConfiguration(max_concurrency=max_concurrency)
