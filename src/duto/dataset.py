"""Datasets: the v1 names of `azureml.core.dataset`."""

from __future__ import annotations

from duto.graph.datasets import Dataset

__all__ = ["Dataset"]
