"""Pipeline runs: the v1 names of `azureml.pipeline.core.run`."""

from __future__ import annotations

from duto.facade.runs import PipelineRun, StepRun

__all__ = ["PipelineRun", "StepRun"]
