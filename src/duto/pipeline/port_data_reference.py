"""v1's `azureml.pipeline.core.port_data_reference`: where a step run's output port left its data."""

from __future__ import annotations

from duto.facade.port_data import PortDataReference

__all__ = ["PortDataReference"]
