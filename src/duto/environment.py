"""Environments: the v1 names of `azureml.core.environment`."""

from __future__ import annotations

from duto._lazy import lazy_exports

_EXPORTS = {
    "Environment": "duto.facade.environment_registry",
    "PythonSection": "duto.graph.environment",
    "DockerSection": "duto.graph.environment",
    "CondaDependencies": "duto.graph.environment",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
TYPE_CHECKING = False  # the idiom type checkers honour, without importing typing at run time

if TYPE_CHECKING:
    from duto.facade.environment_registry import Environment as Environment
    from duto.graph.environment import CondaDependencies as CondaDependencies
    from duto.graph.environment import DockerSection as DockerSection
    from duto.graph.environment import PythonSection as PythonSection
