"""v1's `azureml.core.datastore`: named places for files."""

from __future__ import annotations

from duto.facade.datastore import Datastore

__all__ = ["Datastore"]
