"""Paths on a datastore: the v1 names of `azureml.data.datapath`."""

from __future__ import annotations

from duto.graph.data_reference import DataPathComputeBinding
from duto.graph.datasets import DataPath

__all__ = ["DataPath", "DataPathComputeBinding"]
