"""duto: local-first machine-learning pipelines in the Azure ML SDK v1 shape."""

from __future__ import annotations

from duto._lazy import lazy_exports

__version__ = "0.1.0"
VERSION = __version__  # v1 code reads `azureml.core.VERSION`

_EXPORTS = {
    "Workspace": "duto.facade.workspace",
    "Datastore": "duto.facade.datastore",
    "Dataset": "duto.facade.datasets",
    "Model": "duto.facade.models",
    "DataPath": "duto.graph.datasets",
    "Experiment": "duto.facade.experiment",
    "Environment": "duto.facade.environment_registry",
    "ComputeTarget": "duto.facade.compute_targets",
    "RunConfiguration": "duto.graph.runconfig",
    "ScriptRunConfig": "duto.graph.script_run_config",
    "Keyvault": "duto.facade.keyvault",
    "Run": "duto.tracking.step_context",
    "DutoError": "duto.errors",
}
__all__ = sorted(_EXPORTS)
# In a step's venv without duto's dependencies, `Model` is the step side's: `Model.get_model_path` alone.
_STEP_SIDE = {"Model": "duto.tracking.model_paths"}
__getattr__ = lazy_exports(__name__, _EXPORTS, _STEP_SIDE)
TYPE_CHECKING = False  # the idiom type checkers honour, without importing typing at run time

if TYPE_CHECKING:
    from duto.errors import DutoError as DutoError
    from duto.facade.compute_targets import ComputeTarget as ComputeTarget
    from duto.facade.datasets import Dataset as Dataset
    from duto.facade.datastore import Datastore as Datastore
    from duto.facade.environment_registry import Environment as Environment
    from duto.facade.experiment import Experiment as Experiment
    from duto.facade.keyvault import Keyvault as Keyvault
    from duto.facade.models import Model as Model
    from duto.facade.workspace import Workspace as Workspace
    from duto.graph.datasets import DataPath as DataPath
    from duto.graph.runconfig import RunConfiguration as RunConfiguration
    from duto.graph.script_run_config import ScriptRunConfig as ScriptRunConfig
    from duto.tracking.step_context import Run as Run
