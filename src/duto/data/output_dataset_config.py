"""Step outputs as datasets: the v1 names of `azureml.data.output_dataset_config`."""

from __future__ import annotations

from duto.graph.data import OutputFileDatasetConfig

__all__ = ["OutputFileDatasetConfig"]
