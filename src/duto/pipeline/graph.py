"""Graph building blocks: the v1 names of `azureml.pipeline.core.graph`."""

from __future__ import annotations

from duto.graph.data import PipelineData
from duto.graph.params import PipelineParameter

__all__ = ["PipelineData", "PipelineParameter"]
