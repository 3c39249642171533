"""Pipeline runs: the v1 names of `azureml.pipeline.core.run`."""

from __future__ import annotations

from duto.facade.runs import PipelineRun
from duto.facade.step_runs import StepRun

__all__ = ["PipelineRun", "StepRun"]
