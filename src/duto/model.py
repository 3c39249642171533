"""Models: the v1 names of `azureml.core.model`."""

from __future__ import annotations

from duto.facade.models import Model

__all__ = ["Model"]
