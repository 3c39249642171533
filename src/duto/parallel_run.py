"""v1's `azureml_user.parallel_run`: `EntryScript`, for a ParallelRunStep's entry script."""

from __future__ import annotations

from duto.tracking.entry_script import EntryScript

__all__ = ["EntryScript"]
