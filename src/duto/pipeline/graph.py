"""Graph building blocks: the v1 names of `azureml.pipeline.core.graph`."""

from __future__ import annotations

from duto.facade.modules import DataType
from duto.graph.data import PipelineData
from duto.graph.params import PipelineParameter
from duto.graph.ports import InputPortDef, OutputPortDef

__all__ = ["DataType", "InputPortDef", "OutputPortDef", "PipelineData", "PipelineParameter"]
