"""Run configuration: the v1 names of `azureml.core.runconfig`."""

from __future__ import annotations

from duto.graph.environment import CondaDependencies
from duto.graph.runconfig import RunConfiguration

__all__ = ["CondaDependencies", "RunConfiguration"]
