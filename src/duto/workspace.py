"""v1's `azureml.core.workspace`: the workspace."""

from __future__ import annotations

from duto.facade.workspace import Workspace

__all__ = ["Workspace"]
