"""Intermediate data between steps: PipelineData, OutputFileDatasetConfig and how a step consumes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from duto.errors import ConfigError
from duto.graph.datasets import InputMode, _datastore_name, check_registered_name

if TYPE_CHECKING:
    from duto.graph.steps import Step

OutputKind = Literal["pipeline_data", "output_file_dataset"]
_unnamed_outputs = itertools.count(1)


def registration_request(
    name: str, description: str | None, tags: dict[str, str] | None, create_new_version: bool
) -> dict[str, Any]:
    """What an output asks to be registered as when its step finishes (an output's `register_as` in the spec)."""
    if tags is not None and not (isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())):
        raise ConfigError(f"dataset {name!r}: tags must be a dict of strings")
    return {
        "name": check_registered_name("dataset", name),
        "description": description,
        "tags": dict(tags or {}),
        "create_new_version": bool(create_new_version),
    }


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"{kind} name {name!r} must be an identifier such as 'prepped_data'")
    return name


TRAINING_OUTPUT_TYPES = ("Metrics", "Model")


@dataclass(frozen=True)
class TrainingOutput:
    """What kind of training result a PipelineData holds: `TrainingOutput("Metrics")` or `TrainingOutput("Model")`.

    In v1 it picks which output of an AutoMLStep or HyperDriveStep the data is. duto has neither step, so the
    output is an ordinary folder the step writes; the declaration is kept in the spec and given back by
    `StepRunOutput.training_output`, so code that branches on it reads the same.

    Args:
        type: "Metrics" or "Model".
        model_file: with "Model", the model file inside the output to take (v1's HyperDrive best-model file).
    """

    type: str
    model_file: str | None = None

    def __post_init__(self) -> None:
        if self.type not in TRAINING_OUTPUT_TYPES:
            raise ConfigError(f"TrainingOutput type {self.type!r} must be 'Metrics' or 'Model'")
        if self.model_file is not None and self.type != "Model":
            raise ConfigError("TrainingOutput model_file goes with type 'Model' only")


@dataclass(eq=False)
class PipelineData:
    """Data one step writes and later steps read; its place on the datastore is chosen per step run.

    Args:
        name: the output's name; also the input name in the steps that read it.
        datastore: where the data is kept (the workspace default when None).
        output_mode: "mount" (the step writes into a folder) or "upload" (treated alike locally).
        is_directory: True to have the output folder created before the step starts.
        pipeline_output_name: a name the whole run gives this output: `PipelineRun.get_pipeline_output(name)`.
        training_output: a `TrainingOutput` saying this is a training's metrics or model (recorded only).
    """

    name: str
    datastore: Any = None
    output_mode: str = "mount"
    is_directory: bool | None = None
    producers: list[Step] = field(default_factory=list, repr=False)
    pipeline_output_name: str | None = field(default=None, kw_only=True)
    training_output: TrainingOutput | None = field(default=None, kw_only=True)
    register_as: dict[str, Any] | None = field(default=None, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        _check_name("PipelineData", self.name)
        if self.pipeline_output_name is not None:
            _check_name("pipeline output", self.pipeline_output_name)
        if self.training_output is not None and not isinstance(self.training_output, TrainingOutput):
            raise ConfigError(f"PipelineData {self.name!r}: training_output must be a TrainingOutput")
        if self.output_mode not in ("mount", "upload"):
            raise ConfigError(f"PipelineData {self.name!r}: output_mode must be 'mount' or 'upload'")

    @property
    def kind(self) -> OutputKind:
        return "pipeline_data"

    @property
    def datastore_name(self) -> str | None:
        return None if self.datastore is None else _datastore_name(self.datastore)

    def as_input(self, input_name: str) -> DataConsumption:
        return DataConsumption(self, _check_name("input", input_name), "mount")

    def as_download(
        self, input_name: str | None = None, path_on_compute: str | None = None, overwrite: bool | None = None
    ) -> DataConsumption:
        """Copy the data into the consuming step's folder before it starts."""
        del path_on_compute, overwrite
        return DataConsumption(self, _check_name("input", input_name or self.name), "download")

    def as_mount(self, input_name: str | None = None) -> DataConsumption:
        """Give the consuming step the producer's folder itself: no copy."""
        return DataConsumption(self, _check_name("input", input_name or self.name), "mount")

    def as_dataset(self) -> PipelineData:
        """This output as a file dataset, which `.register(name)` registers when its step finishes."""
        return self

    def register(
        self,
        name: str,
        create_new_version: bool = True,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> PipelineData:
        """Register what the step writes here as a version of dataset `name` each time the step finishes."""
        self.register_as = registration_request(name, description, tags, create_new_version)
        return self

    def __repr__(self) -> str:
        return f"PipelineData(name={self.name!r})"


@dataclass(eq=False)
class OutputFileDatasetConfig:
    """An output written to a chosen place on a datastore, `destination=(datastore, "path/{run-id}/{output-name}")`.

    Passing it in a step's `arguments` (or `outputs`) makes it that step's output; `.as_input()` reads it downstream.
    """

    name: str | None = None
    destination: tuple[Any, str] | None = None
    producers: list[Step] = field(default_factory=list, repr=False)
    register_as: dict[str, Any] | None = field(default=None, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        if self.name is None:
            self.name = f"output_{next(_unnamed_outputs)}"
        _check_name("OutputFileDatasetConfig", self.name)
        if self.destination is not None:
            if not (isinstance(self.destination, tuple) and len(self.destination) == 2):
                raise ConfigError(
                    f"OutputFileDatasetConfig {self.name!r}: destination must be (datastore, 'path/{{run-id}}')"
                )
            _datastore_name(self.destination[0])

    @property
    def kind(self) -> OutputKind:
        return "output_file_dataset"

    @property
    def output_name(self) -> str:
        assert self.name is not None  # set in __post_init__
        return self.name

    @property
    def datastore_name(self) -> str | None:
        return None if self.destination is None else _datastore_name(self.destination[0])

    @property
    def destination_path(self) -> str | None:
        return None if self.destination is None else self.destination[1]

    def as_input(self, name: str | None = None) -> DataConsumption:
        return DataConsumption(self, _check_name("input", name or self.output_name), "mount")

    def register_on_complete(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> OutputFileDatasetConfig:
        """Register what the step writes here as a version of dataset `name` each time the step finishes
        (a new version when the content is new; the same one when it is not)."""
        self.register_as = registration_request(name, description, tags, create_new_version=True)
        return self

    def as_mount(self) -> OutputFileDatasetConfig:
        """The output is written in place; accepted for v1 compatibility."""
        return self

    def as_upload(self, overwrite: bool = False) -> OutputFileDatasetConfig:
        """The output is written in place; accepted for v1 compatibility."""
        del overwrite
        return self

    def __repr__(self) -> str:
        return f"OutputFileDatasetConfig(name={self.name!r})"


StepOutput = PipelineData | OutputFileDatasetConfig


@dataclass(frozen=True, eq=False)
class DataConsumption:
    """An upstream output read by a step under an input name, mounted in place or downloaded."""

    source: StepOutput
    input_name: str
    mode: InputMode

    @property
    def name(self) -> str:
        return self.input_name


def output_name(output: StepOutput) -> str:
    return output.output_name if isinstance(output, OutputFileDatasetConfig) else output.name
