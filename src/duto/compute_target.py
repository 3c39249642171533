"""Compute target errors: the v1 names of `azureml.core.compute_target` that ported code imports."""

from __future__ import annotations

from duto.errors import ComputeTargetError as ComputeTargetException

__all__ = ["ComputeTargetException"]
