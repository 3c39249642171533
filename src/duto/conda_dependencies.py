"""Package lists of environments: the v1 names of `azureml.core.conda_dependencies`."""

from __future__ import annotations

from duto.graph.environment import CondaDependencies

__all__ = ["CondaDependencies"]
