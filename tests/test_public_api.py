"""The public face: `__all__` and the exports agree, `import duto` stays cheap, and the layers have no holes."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

PUBLIC_MODULES = [
    "duto",
    "duto.pipeline",
    "duto.pipeline.steps",
    "duto.compute",
    "duto.runconfig",
    "duto.data",
    "duto.environment",
    "duto.conda_dependencies",
    "duto.exceptions",
    "duto.compute_target",
    "duto.dataset",
    "duto.model",
    "duto.data.datapath",
    "duto.data.data_reference",
    "duto.data.dataset_consumption_config",
    "duto.data.output_dataset_config",
    "duto.data.file_dataset",
    "duto.pipeline.graph",
    "duto.pipeline.run",
    "duto.pipeline.port_data_reference",
    "duto.pipeline.pipeline_endpoint",
    "duto.pipeline.schedule",
    "duto.compute.amlcompute",
    "duto.workspace",
    "duto.experiment",
    "duto.datastore",
    "duto.run",
    "duto.train.estimator",
]
# v1's exception names are duto's errors under another name: `except ComputeTargetException` catches duto's.
ALIASES = {
    "duto.exceptions": {
        "ActivityFailedException": "RunFailedError",
        "AzureMLException": "DutoError",
        "ComputeTargetException": "ComputeTargetError",
        "ExperimentExecutionException": "ExperimentError",
        "UserErrorException": "ConfigError",
        "WorkspaceException": "WorkspaceError",
    },
    "duto.compute_target": {"ComputeTargetException": "ComputeTargetError"},
    "duto.compute.amlcompute": {
        "AmlComputeProvisioningConfiguration": "AmlComputeConfiguration",
        "AmlComputeStatus": "ComputeTargetStatus",
    },
}
# The public names of v1's modules that duto provides, by the v1 module v1 code imports them from.
V1_NAMES = {
    "azureml.core": [
        "ComputeTarget",
        "Datastore",
        "Dataset",
        "Environment",
        "Experiment",
        "Keyvault",
        "Model",
        "Run",
        "RunConfiguration",
        "ScriptRunConfig",
        "VERSION",
        "Workspace",
    ],
    "azureml.core.workspace": ["Workspace"],
    "azureml.core.experiment": ["Experiment"],
    "azureml.core.datastore": ["Datastore"],
    "azureml.core.run": ["Run"],
    "azureml.core.compute": ["AmlCompute", "ComputeTarget"],
    "azureml.core.compute.amlcompute": ["AmlCompute", "AmlComputeProvisioningConfiguration", "AmlComputeStatus"],
    "azureml.core.compute_target": ["ComputeTargetException"],
    "azureml.core.runconfig": [
        "CondaDependencies",
        "DEFAULT_CPU_IMAGE",
        "DEFAULT_GPU_IMAGE",
        "DockerConfiguration",
        "MpiConfiguration",
        "RunConfiguration",
    ],
    "azureml.core.conda_dependencies": ["CondaDependencies"],
    "azureml.core.environment": ["CondaDependencies", "DockerSection", "Environment", "PythonSection"],
    "azureml.core.dataset": ["Dataset"],
    "azureml.core.model": ["Model"],
    "azureml.exceptions": [
        "ActivityFailedException",
        "AzureMLException",
        "ComputeTargetException",
        "ExperimentExecutionException",
        "UserErrorException",
        "WorkspaceException",
    ],
    "azureml.data": ["DataReference", "FileDataset", "OutputFileDatasetConfig"],
    "azureml.data.datapath": ["DataPath", "DataPathComputeBinding"],
    "azureml.data.data_reference": ["DataReference"],
    "azureml.data.dataset_consumption_config": ["DatasetConsumptionConfig"],
    "azureml.data.output_dataset_config": ["OutputFileDatasetConfig"],
    "azureml.data.file_dataset": ["FileDataset"],
    "azureml.pipeline.core": [
        "InputPortDef",
        "Module",
        "ModuleVersion",
        "OutputFileDatasetConfig",
        "OutputPortDef",
        "Pipeline",
        "PipelineData",
        "PipelineEndpoint",
        "PipelineParameter",
        "PipelineRun",
        "PortDataReference",
        "PublishedPipeline",
        "Schedule",
        "ScheduleRecurrence",
        "StepRun",
        "StepSequence",
        "TimeZone",
    ],
    "azureml.pipeline.core.graph": ["DataType", "InputPortDef", "OutputPortDef", "PipelineData", "PipelineParameter"],
    "azureml.pipeline.core.run": ["PipelineRun", "StepRun"],
    "azureml.pipeline.core.port_data_reference": ["PortDataReference"],
    "azureml.pipeline.core.pipeline_endpoint": ["PipelineEndpoint", "PipelineIdVersion"],
    "azureml.pipeline.core.schedule": ["Schedule", "ScheduleRecurrence", "TimeZone"],
    "azureml.pipeline.steps": ["CommandStep", "DataTransferStep", "EstimatorStep", "ModuleStep", "PythonScriptStep"],
    "azureml.train.estimator": ["Estimator"],
}
PREFIXES = [
    ("azureml.pipeline.core", "duto.pipeline"),
    ("azureml.pipeline.steps", "duto.pipeline.steps"),
    ("azureml.core", "duto"),
    ("azureml.data", "duto.data"),
    ("azureml.exceptions", "duto.exceptions"),
    ("azureml.train", "duto.train"),
]
LAZY_MODULES = ["duto", "duto.pipeline", "duto.pipeline.steps", "duto.compute", "duto.environment"]
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def load_everything(module: ModuleType) -> None:
    """Touch every exported name, so lazily exported ones land in the module's namespace too."""
    for name in module.__all__:
        getattr(module, name)


def public_members(module: ModuleType) -> set[str]:
    """Names in the module's namespace that are duto classes or functions, not private and not plumbing."""
    found = set()
    for name, value in vars(module).items():
        if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if getattr(value, "__module__", "").startswith("duto.") and value.__module__ != "duto._lazy":
            found.add(name)
    return found


def test_lazy_modules_are_the_ones_with_exports_tables() -> None:
    lazy = [m for m in PUBLIC_MODULES if hasattr(importlib.import_module(m), "_EXPORTS")]
    assert lazy == LAZY_MODULES


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_name_in_all_is_importable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__all__, f"{module_name} exports nothing"
    assert len(set(module.__all__)) == len(module.__all__), f"{module_name}.__all__ has duplicates"
    aliases = ALIASES.get(module_name, {})
    for name in module.__all__:
        value = getattr(module, name)
        assert value is not None, f"{module_name}.{name}"
        assert getattr(value, "__name__", name) == aliases.get(name, name), f"{module_name}.{name} is {value!r}"


def duto_module(v1_module: str) -> str:
    """The module v1 code imports from once its imports are rewritten by the prefix rule."""
    for v1_prefix, duto_prefix in PREFIXES:
        if v1_module == v1_prefix or v1_module.startswith(v1_prefix + "."):
            return duto_prefix + v1_module[len(v1_prefix) :]
    raise AssertionError(f"no prefix rule for {v1_module}")


@pytest.mark.parametrize("v1_module", sorted(V1_NAMES))
def test_v1_names_import_from_their_v1_paths(v1_module: str) -> None:
    target = duto_module(v1_module)
    for name in V1_NAMES[v1_module]:
        namespace: dict[str, object] = {}
        exec(f"from {target} import {name}", namespace)  # the statement ported code runs
        assert namespace[name] is not None, f"from {target} import {name}"


def test_prefix_rule_maps_submodules_to_their_v1_names() -> None:
    assert duto_module("azureml.core.compute_target") == "duto.compute_target"
    assert duto_module("azureml.pipeline.core.graph") == "duto.pipeline.graph"
    assert duto_module("azureml.pipeline.steps") == "duto.pipeline.steps"
    assert duto_module("azureml.data.datapath") == "duto.data.datapath"


def test_v1_exception_names_catch_duto_errors() -> None:
    from duto import errors, exceptions

    assert exceptions.AzureMLException is errors.DutoError
    assert issubclass(errors.ComputeTargetNotFoundError, exceptions.ComputeTargetException)
    assert issubclass(errors.DaskTargetError, exceptions.ComputeTargetException)
    assert issubclass(errors.WorkspaceNotFoundError, exceptions.WorkspaceException)
    assert issubclass(errors.ExperimentNotFoundError, exceptions.ExperimentExecutionException)
    assert issubclass(errors.StepRunError, exceptions.ActivityFailedException)
    assert issubclass(errors.PipelineRunError, exceptions.ActivityFailedException)
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), errors.DutoError), name


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_member_is_listed_in_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    load_everything(module)
    constants = {name for name in module.__all__ if name.isupper()}  # v1's DEFAULT_CPU_IMAGE and the like
    assert public_members(module) == set(module.__all__) - constants


@pytest.mark.parametrize("module_name", LAZY_MODULES)
def test_lazy_exports_match_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exports = module._EXPORTS
    assert sorted(exports) == sorted(module.__all__)
    for name, home in exports.items():
        assert getattr(module, name).__module__ == home, f"{module_name}.{name} is not from {home}"


def type_checking_imports(module: ModuleType) -> set[str]:
    """Names a type checker sees: those imported under `if TYPE_CHECKING:` in the module's source."""
    tree = ast.parse(Path(module.__file__ or "").read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in statement.names)
    return names


@pytest.mark.parametrize(
    "module_name",
    [
        "duto",
        "duto.pipeline",
        pytest.param("duto.compute"),
        "duto.environment",
    ],
)
def test_lazy_modules_show_their_exports_to_type_checkers(module_name: str) -> None:
    assert module_name in LAZY_MODULES
    module = importlib.import_module(module_name)
    assert type_checking_imports(module) == set(module.__all__)


def test_import_duto_is_cheap() -> None:
    code = (
        "import duto, json, sys; from duto import Run; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'rich', 'duto'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(result.stdout)
    assert "duto" in loaded
    assert not [m for m in loaded if m.split(".")[0] in ("sqlalchemy", "rich")], loaded


def test_import_linter_contracts_have_no_ignored_imports() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    contracts = config["contracts"]
    assert config["root_package"] == "duto"
    assert contracts
    for contract in contracts:
        assert "ignore_imports" not in contract, f"contract {contract['name']!r} ignores imports"
    layered = [c for c in contracts if c["type"] == "layers"]
    assert layered
    assert any("duto.graph" in layer for c in layered for layer in c["layers"])
