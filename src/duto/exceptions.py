"""Errors: the v1 names of `azureml.exceptions`, each the duto error that means the same (see duto.errors)."""

from __future__ import annotations

from duto.errors import ComputeTargetError as ComputeTargetException
from duto.errors import ConfigError as UserErrorException
from duto.errors import DutoError as AzureMLException
from duto.errors import ExperimentError as ExperimentExecutionException
from duto.errors import RunFailedError as ActivityFailedException
from duto.errors import WorkspaceError as WorkspaceException

__all__ = [
    "ActivityFailedException",
    "AzureMLException",
    "ComputeTargetException",
    "ExperimentExecutionException",
    "UserErrorException",
    "WorkspaceException",
]
