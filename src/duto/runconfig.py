"""Run configuration: the v1 names of `azureml.core.runconfig`."""

from __future__ import annotations

from duto.graph.environment import DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE, CondaDependencies
from duto.graph.runconfig import DockerConfiguration, MpiConfiguration, RunConfiguration

__all__ = [
    "DEFAULT_CPU_IMAGE",
    "DEFAULT_GPU_IMAGE",
    "CondaDependencies",
    "DockerConfiguration",
    "MpiConfiguration",
    "RunConfiguration",
]
