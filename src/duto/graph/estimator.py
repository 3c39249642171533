"""v1's Estimator and EstimatorStep (deprecated in v1 in favour of ScriptRunConfig and CommandStep): an estimator
names a training script, its folder, parameters and packages, and its step runs as a Python script step."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from duto.errors import ConfigError
from duto.graph.environment import CondaDependencies, Environment
from duto.graph.runconfig import RunConfiguration
from duto.graph.steps import PythonScriptStep

# v1 arguments about cloud machines and images: accepted so ported code runs, and not used locally.
_RECORDED_ONLY = frozenset(
    {
        "vm_size",
        "vm_priority",
        "use_gpu",
        "use_docker",
        "custom_docker_base_image",
        "custom_docker_image",
        "image_registry_details",
        "user_managed",
        "shm_size",
        "resume_from",
        "framework_version",
        "source_directory_data_store",
        "distributed_backend",
        "distributed_training",
        "node_count",
        "process_count_per_node",
    }
)


class Estimator:
    """A training script with its folder, parameters and packages (v1's `azureml.train.estimator.Estimator`).

    Args:
        source_directory: the folder of the training code.
        compute_target: a ComputeTarget or its name.
        entry_script: the script to run, relative to `source_directory`.
        script_params: {"--flag": value}; each becomes `--flag value` on the command line (a value of "" gives
            the flag alone).
        conda_packages, pip_packages: packages of the environment it runs in.
        environment_definition: an Environment instead of the packages.
        environment_variables: extra environment variables of the script's process.
        inputs: data the script reads.
        max_run_duration_seconds: how long a run may take.
        **recorded: v1's cloud settings (vm_size, use_gpu, use_docker, ...), accepted and not used locally.
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        compute_target: Any = None,
        entry_script: str | None = None,
        script_params: Mapping[str, Any] | None = None,
        conda_packages: Sequence[str] | None = None,
        pip_packages: Sequence[str] | None = None,
        environment_definition: Environment | None = None,
        environment_variables: Mapping[str, str] | None = None,
        inputs: Sequence[Any] | None = None,
        max_run_duration_seconds: float | None = None,
        **recorded: Any,
    ) -> None:
        unknown = sorted(set(recorded) - _RECORDED_ONLY)
        if unknown:
            raise ConfigError(f"Estimator: unknown arguments {unknown}")
        if not isinstance(entry_script, str) or not entry_script.strip():
            raise ConfigError(f"Estimator: entry_script must be a script such as 'train.py', not {entry_script!r}")
        if environment_definition is not None and (conda_packages or pip_packages):
            raise ConfigError("Estimator: give environment_definition or conda_packages/pip_packages, not both")
        self.source_directory = str(source_directory)
        self.compute_target = compute_target
        self.entry_script = entry_script
        self.script_params = dict(script_params or {})
        self.inputs = list(inputs or [])
        self.recorded = dict(recorded)
        environment = environment_definition
        if environment is None and (conda_packages or pip_packages):
            environment = Environment("estimator")
            environment.python.conda_dependencies = CondaDependencies.create(
                pip_packages=pip_packages, conda_packages=conda_packages
            )
        self.run_config = RunConfiguration(
            environment=environment,
            environment_variables=dict(environment_variables or {}),
            max_run_duration_seconds=max_run_duration_seconds,
        )

    def script_arguments(self) -> list[Any]:
        """`script_params` as command-line items, in the order given."""
        items: list[Any] = []
        for flag, value in self.script_params.items():
            items.append(flag)
            if not (isinstance(value, str) and value == ""):
                items.append(value)
        return items


class EstimatorStep(PythonScriptStep):
    """Run an Estimator's script as a step (v1's `EstimatorStep`); the step is a Python script step.

    Args:
        name: the step's name (the entry script when None).
        estimator: the Estimator.
        estimator_entry_script_arguments: arguments after the estimator's `script_params` (data objects and
            PipelineParameters resolve as in PythonScriptStep).
        runconfig_pipeline_params: accepted as v1 does; not supported (a PipelineParameter in
            `estimator_entry_script_arguments` does this).
        inputs, outputs, compute_target, allow_reuse, version: as in PythonScriptStep.
    """

    kind: ClassVar[str] = "python_script"

    def __init__(
        self,
        name: str | None = None,
        estimator: Estimator | None = None,
        estimator_entry_script_arguments: Sequence[Any] | None = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        compute_target: Any = None,
        allow_reuse: bool = True,
        version: str | None = None,
    ) -> None:
        if not isinstance(estimator, Estimator):
            raise ConfigError(f"EstimatorStep {name!r}: estimator must be an Estimator, not {estimator!r}")
        if runconfig_pipeline_params:
            raise ConfigError(
                f"EstimatorStep {name!r}: runconfig_pipeline_params is not supported; pass a PipelineParameter in "
                "estimator_entry_script_arguments instead"
            )
        self.estimator = estimator
        super().__init__(
            estimator.entry_script,
            name=name,
            arguments=[*estimator.script_arguments(), *(estimator_entry_script_arguments or [])],
            compute_target=compute_target if compute_target is not None else estimator.compute_target,
            runconfig=estimator.run_config,
            inputs=[*estimator.inputs, *(inputs or [])],
            outputs=outputs,
            source_directory=estimator.source_directory,
            allow_reuse=allow_reuse,
            version=version,
        )
