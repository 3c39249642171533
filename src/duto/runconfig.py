"""Run configuration: the v1 names of `azureml.core.runconfig`."""

from __future__ import annotations

from duto.graph.runconfig import RunConfiguration

__all__ = ["RunConfiguration"]
