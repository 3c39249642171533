"""Pipeline endpoints: the v1 names of `azureml.pipeline.core.pipeline_endpoint`."""

from __future__ import annotations

from duto.facade.pipeline_endpoints import PipelineEndpoint, PipelineIdVersion

__all__ = ["PipelineEndpoint", "PipelineIdVersion"]
