"""Dataset factories: the v1 names of `azureml.data.dataset_factory`."""

from __future__ import annotations

from duto.graph.tabular_factory import DataType, TabularDatasetFactory

__all__ = ["DataType", "TabularDatasetFactory"]
