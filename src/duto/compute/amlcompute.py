"""v1's `azureml.core.compute.amlcompute`: the local AmlCompute, its provisioning configuration and status."""

from __future__ import annotations

from duto.facade.compute_targets import AmlCompute
from duto.facade.compute_targets import ComputeTargetStatus as AmlComputeStatus
from duto.graph.compute import AmlComputeConfiguration as AmlComputeProvisioningConfiguration

__all__ = ["AmlCompute", "AmlComputeProvisioningConfiguration", "AmlComputeStatus"]
