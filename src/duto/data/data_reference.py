"""References to data on a datastore as steps consume them: the v1 names of `azureml.data.data_reference`."""

from __future__ import annotations

from duto.graph.data_reference import DataReference

__all__ = ["DataReference"]
