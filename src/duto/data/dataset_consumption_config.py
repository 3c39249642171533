"""How a step consumes a dataset: the v1 names of `azureml.data.dataset_consumption_config`."""

from __future__ import annotations

from duto.graph.datasets import DatasetConsumptionConfig

__all__ = ["DatasetConsumptionConfig"]
