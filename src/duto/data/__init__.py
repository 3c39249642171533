"""Data: the v1 names of `azureml.data`."""

from __future__ import annotations

from duto.graph.data import OutputFileDatasetConfig
from duto.graph.data_reference import DataPathComputeBinding, DataReference
from duto.graph.datasets import DataPath, DatasetConsumptionConfig, FileDataset
from duto.graph.tabular import TabularDataset

__all__ = [
    "DataPath",
    "DataPathComputeBinding",
    "DataReference",
    "DatasetConsumptionConfig",
    "FileDataset",
    "OutputFileDatasetConfig",
    "TabularDataset",
]
