"""v1's `azureml.core.run`: the run a step's code is part of, from `Run.get_context()`."""

from __future__ import annotations

from duto.tracking.step_context import Run

__all__ = ["Run"]
