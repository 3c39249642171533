"""File datasets: the v1 names of `azureml.data.file_dataset`."""

from __future__ import annotations

from duto.graph.datasets import FileDataset

__all__ = ["FileDataset"]
