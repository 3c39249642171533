"""Estimators: the v1 names of `azureml.train.estimator`."""

from __future__ import annotations

from duto.graph.estimator import Estimator

__all__ = ["Estimator"]
