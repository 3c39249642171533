"""Datasets: the v1 names of `azureml.core.dataset`."""

from __future__ import annotations

from duto.facade.datasets import Dataset

__all__ = ["Dataset"]
