"""Tabular datasets: the v1 names of `azureml.data.tabular_dataset`."""

from __future__ import annotations

from duto.graph.tabular import TabularDataset

__all__ = ["TabularDataset"]
