"""Pipeline steps: the v1 names of `azureml.pipeline.steps`."""

from __future__ import annotations

from duto._lazy import lazy_exports

_EXPORTS = {
    "CommandStep": "duto.graph.steps",
    "DataTransferStep": "duto.graph.data_transfer",
    "EstimatorStep": "duto.graph.estimator",
    "ModuleStep": "duto.facade.module_step",
    "PythonScriptStep": "duto.graph.steps",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
TYPE_CHECKING = False  # the idiom type checkers honour, without importing typing at run time

if TYPE_CHECKING:
    from duto.facade.module_step import ModuleStep as ModuleStep
    from duto.graph.data_transfer import DataTransferStep as DataTransferStep
    from duto.graph.estimator import EstimatorStep as EstimatorStep
    from duto.graph.steps import CommandStep as CommandStep
    from duto.graph.steps import PythonScriptStep as PythonScriptStep
