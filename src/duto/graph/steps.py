"""Pipeline steps as data: a Python script or a shell command, with its arguments, inputs and outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from duto.errors import ConfigError
from duto.graph.data import DataConsumption, OutputFileDatasetConfig, PipelineData, StepOutput
from duto.graph.data_reference import bound_input
from duto.graph.datasets import DatasetConsumptionConfig, FileDataset
from duto.graph.params import PipelineParameter
from duto.graph.ports import TypedPorts
from duto.graph.runconfig import RunConfiguration, check_retries

# What an argument may be; a bool is refused, since its text ('True') is rarely what a script parses.
ARGUMENT_TYPES = (
    str,
    int,
    float,
    PipelineParameter,
    PipelineData,
    OutputFileDatasetConfig,
    DataConsumption,
    DatasetConsumptionConfig,
    FileDataset,
)


def _target_name(target: Any) -> str | None:
    if target is None or isinstance(target, str):
        return target
    name = getattr(target, "name", None)
    if isinstance(name, str):
        return name
    raise ConfigError(f"compute_target must be a ComputeTarget or its name, not {target!r}")


class Step:
    """What every step kind shares; see PythonScriptStep and CommandStep."""

    kind: ClassVar[str] = "step"
    kind_version: ClassVar[int] = 1
    runs_code: ClassVar[bool] = True  # False for duto's own kinds (a data transfer): no snapshot, no environment
    # Set by a step made from a module version: its code already in the content store, its typed ports, and
    # which module and version it came from ({"module", "module_id", "version"}).
    snapshot: str | None = None
    typed_ports: TypedPorts | None = None
    module_origin: dict[str, str] | None = None

    def __init__(
        self,
        name: str,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        runconfig: RunConfiguration | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
        max_retries: int | None = None,
        retry_backoff_seconds: float | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"a step's name must be a non-empty string, not {name!r}")
        check_retries(f"step {name!r}", max_retries, retry_backoff_seconds)
        if runconfig is not None and not isinstance(runconfig, RunConfiguration):
            raise ConfigError(f"step {name!r}: runconfig must be a RunConfiguration, not {runconfig!r}")
        self.name = name
        self.arguments: list[Any] = [bound_input(a) for a in arguments or []]
        self.compute_target = _target_name(compute_target)
        self.runconfig = runconfig or RunConfiguration()
        self.inputs: list[Any] = [bound_input(i) for i in inputs or []]
        # DataPath parameters reach a step as (parameter, DataPathComputeBinding) pairs, turned into inputs above
        self.data_parameters: list[PipelineParameter] = [
            i[0] for i in [*(inputs or []), *(arguments or [])] if bound_input(i) is not i
        ]
        self.outputs: list[Any] = list(outputs or [])
        self.params: dict[str, Any] = dict(params or {})
        self.source_directory = None if source_directory is None else str(source_directory)
        self.allow_reuse = bool(allow_reuse)
        self.version = None if version is None else str(version)
        if isinstance(hash_paths, str) or not all(isinstance(p, str) for p in hash_paths or []):
            raise ConfigError(f"step {name!r}: hash_paths must be a list of paths such as ['../shared/util.py']")
        self.hash_paths = list(hash_paths or [])
        self.max_retries = self.runconfig.max_retries if max_retries is None else max_retries
        self.retry_backoff_seconds = (
            self.runconfig.retry_backoff_seconds if retry_backoff_seconds is None else float(retry_backoff_seconds)
        )
        self.run_after_steps: list[Step] = []
        for output in self.declared_outputs():
            output.producers.append(self)

    def run_after(self, step: Step) -> None:
        """Start this step only after `step` has finished, even with no data between them."""
        if not isinstance(step, Step):
            raise ConfigError(f"step {self.name!r}: run_after takes a step, not {step!r}")
        self.run_after_steps.append(step)

    @property
    def target_name(self) -> str | None:
        return self.compute_target or self.runconfig.target

    def argument_items(self) -> list[Any]:
        """Every item that is resolved like an argument: `arguments`, and a command given as a list."""
        return self.arguments

    def declared_outputs(self) -> list[StepOutput]:
        """The step's outputs: its `outputs`, plus every OutputFileDatasetConfig passed in its arguments."""
        found: list[StepOutput] = []
        for item in [*self.outputs, *self.argument_items()]:
            if isinstance(item, PipelineData) and any(item is o for o in self.outputs):
                if not any(item is f for f in found):
                    found.append(item)
            elif isinstance(item, OutputFileDatasetConfig) and not any(item is f for f in found):
                found.append(item)
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class PythonScriptStep(Step):
    """Run a Python script from `source_directory` with resolved arguments.

    Args:
        script_name: the script's path relative to `source_directory`.
        name: the step's name (the script name when None).
        arguments: command-line items: literals, PipelineParameters and data objects (resolved to paths).
        compute_target: a ComputeTarget or its name; the workspace's `local` target when None.
        runconfig: a RunConfiguration.
        inputs: data the step reads (PipelineData, consumptions, datasets).
        outputs: PipelineData / OutputFileDatasetConfig the step writes.
        params: values that reach the script as environment variables `AML_PARAMETER_<key>`.
        source_directory: the folder snapshotted at submit and run from.
        allow_reuse: False to run the step every time.
        version: a salt to force a new run when you say the step changed.
        hash_paths: files or folders outside `source_directory` the step depends on (relative to it),
            so that a change to them makes the step run again.
        max_retries: how many times a failed attempt starts again (the runconfig's when None; 0 by default).
        retry_backoff_seconds: the wait before the first retry, doubled for each later one.
    """

    kind: ClassVar[str] = "python_script"

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        runconfig: RunConfiguration | None = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
        max_retries: int | None = None,
        retry_backoff_seconds: float | None = None,
    ) -> None:
        if not isinstance(script_name, str) or not script_name.strip():
            raise ConfigError(
                f"PythonScriptStep: script_name must be a file name such as 'train.py', not {script_name!r}"
            )
        self.script_name = script_name
        super().__init__(
            name if name is not None else script_name,
            arguments,
            compute_target,
            runconfig,
            inputs,
            outputs,
            params,
            source_directory,
            allow_reuse,
            version,
            hash_paths,
            max_retries=max_retries,
            retry_backoff_seconds=retry_backoff_seconds,
        )


class CommandStep(Step):
    """Run a command: a string through `/bin/sh -c`, or a list executed directly with its items resolved.

    Inputs and outputs also reach the command as environment variables `DUTO_INPUT_<name>` and
    `DUTO_OUTPUT_<name>`, so a shell string can use them. The other arguments are PythonScriptStep's.
    As in v1, `runconfig` may be a ScriptRunConfig: its command (or `python <script> <arguments>`), folder,
    compute target and run configuration are the step's, where the step's own arguments leave them open.
    """

    kind: ClassVar[str] = "command"

    def __init__(
        self,
        command: str | Sequence[Any] | None = None,
        name: str | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        inputs: Sequence[Any] | None = None,
        outputs: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Sequence[str] | None = None,
        max_retries: int | None = None,
        retry_backoff_seconds: float | None = None,
    ) -> None:
        from duto.graph.script_run_config import ScriptRunConfig  # it builds steps: imported here, not above

        if isinstance(runconfig, ScriptRunConfig):
            if command is None:
                command = runconfig.command
                if command is None:
                    command = ["python", runconfig.script, *runconfig.arguments]
                elif not isinstance(command, str):
                    command = [*command, *runconfig.arguments]
            source_directory = source_directory or runconfig.source_directory
            compute_target = compute_target or runconfig.run_config.target
            runconfig = runconfig.run_config
        if command is None:
            raise ConfigError("CommandStep: give a command, or a ScriptRunConfig as runconfig")
        if isinstance(command, str):
            if not command.strip():
                raise ConfigError("CommandStep: command must not be empty")
            self.command: str | list[Any] = command
            default_name = command.split()[0]
        else:
            self.command = list(command)
            if not self.command:
                raise ConfigError("CommandStep: command must not be an empty list")
            default_name = str(self.command[0]) if isinstance(self.command[0], str) else "command"
        super().__init__(
            name if name is not None else default_name,
            None,
            compute_target,
            runconfig,
            inputs,
            outputs,
            params,
            source_directory,
            allow_reuse,
            version,
            hash_paths,
            max_retries=max_retries,
            retry_backoff_seconds=retry_backoff_seconds,
        )

    def argument_items(self) -> list[Any]:
        return self.command if isinstance(self.command, list) else []
