"""v1's `azureml.core.experiment`: experiments, the names runs are grouped under."""

from __future__ import annotations

from duto.facade.experiment import Experiment

__all__ = ["Experiment"]
