"""Registered datasets and models over the wire: their versions and lineage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ProducedBy(BaseModel):
    pipeline_run_id: str
    step_run_id: str | None
    step_name: str | None = None


class DatasetVersionInfo(BaseModel):
    id: str
    name: str
    version: int
    digest: str = Field(description="the content store's manifest of the files the version holds")
    single_file: str | None = Field(description="its one file's name, when the dataset names one file")
    definition: dict[str, Any] = Field(description='what it reads: {"type": "file", "paths": [...]}')
    description: str | None
    tags: dict[str, str]
    created_at: str
    produced_by: ProducedBy | None = Field(description="the step run whose output it is, when one registered it")


class Consumer(BaseModel):
    pipeline_run_id: str
    step_run_id: str | None
    step_name: str
    input_name: str


class ModelRef(BaseModel):
    name: str
    version: int


class DatasetVersionLineage(DatasetVersionInfo):
    consumed_by: list[Consumer] = Field(description="the steps that read this version, oldest first")
    models: list[ModelRef] = Field(description="models registered with it, or by a step that read it")


class DatasetPath(BaseModel):
    model_config = ConfigDict(extra="forbid")

    datastore: str = Field(min_length=1, max_length=255)
    path: str = Field(min_length=1, max_length=4096, description="a path or glob inside the datastore: 'raw/**'")


class Unregistration(BaseModel):
    """What unregistering took away: the version numbers, which are never given again."""

    kind: str = Field(description="'dataset' or 'model'")
    name: str
    versions: list[int] = Field(description="the versions unregistered now, oldest first")


class DatasetRegistration(BaseModel):
    """Register the files on datastore paths as a version of a dataset (local paths are not taken over HTTP)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    paths: list[DatasetPath] = Field(min_length=1)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    create_new_version: bool = False


class DatasetRef(BaseModel):
    id: str
    name: str
    version: int


class ModelVersionInfo(BaseModel):
    id: str
    name: str
    version: int
    file_name: str
    digest: str
    description: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    framework: str | None
    created_at: str
    produced_by: ProducedBy | None = Field(description="the step run that registered it, when a step did")
    datasets: list[DatasetRef] = Field(description="the dataset versions it came from")


class RunDatasetRead(BaseModel):
    name: str
    version: int
    id: str = Field(description="the dataset version's id")
    input_name: str = Field(description="the step's input that read it")
    unregistered: bool = Field(description="the version was unregistered since: it has no page of its own now")


class RunDatasetProduced(BaseModel):
    name: str
    version: int
    id: str = Field(description="the dataset version's id")
    unregistered: bool = Field(description="the version was unregistered since: it has no page of its own now")


class RunModelMade(ModelRef):
    unregistered: bool = Field(description="the version was unregistered since: it has no page of its own now")


class StepRunData(BaseModel):
    step_run_id: str
    step_name: str
    status: str = Field(
        description="the step run's status: a read is recorded at submit, so a step Canceled or NotStarted read "
        "nothing yet"
    )
    read: list[RunDatasetRead] = Field(description="the registered dataset versions it takes as inputs")
    produced: list[RunDatasetProduced] = Field(description="the dataset versions its outputs were registered as")
    models: list[RunModelMade] = Field(description="the model versions its code registered")


class RunData(BaseModel):
    """The registered data a pipeline run read and made."""

    steps: list[StepRunData] = Field(
        description="each step that read or registered registered data, in the run's order; the others are left out"
    )
