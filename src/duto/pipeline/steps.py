"""Pipeline steps: the v1 names of `azureml.pipeline.steps`."""

from __future__ import annotations

from duto.graph.data_transfer import DataTransferStep
from duto.graph.parallel_run import ParallelRunConfig, ParallelRunStep
from duto.graph.steps import CommandStep, PythonScriptStep

__all__ = ["CommandStep", "DataTransferStep", "ParallelRunConfig", "ParallelRunStep", "PythonScriptStep"]
