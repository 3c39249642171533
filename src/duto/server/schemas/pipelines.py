"""Published pipelines, pipeline endpoints and their triggers over the wire.

The trigger's body keeps Azure's REST keys (`ExperimentName`, `ParameterAssignments`, ...), so callers of an
Azure ML published pipeline port by changing the URL and the token. Its model is permissive on purpose: the
facade's `resolve_trigger` is the one check of what a caller assigns, and names the field at fault.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

StatusName = Literal["Active", "Disabled"]
ParameterType = Literal["bool", "int", "float", "string", "datapath"]


class PublishFromRun(BaseModel):
    """Publish what a run ran: its spec, its code snapshots, and its parameter values as the defaults."""

    run_id: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    version: str | None = Field(default=None, max_length=255, description="a label of your own")


class PublishedPipelineInfo(BaseModel):
    id: str
    name: str
    description: str | None
    version: str | None
    status: StatusName
    endpoint: str = Field(description="the URL of its trigger route: POST there to start a run")
    parameters: dict[str, Any] = Field(description="each parameter's default; a DataPath's as {datastore, path}")
    parameter_types: dict[str, ParameterType] = Field(description="each parameter's type, as its default has it")
    continue_on_step_failure: bool
    created: str
    source_run_id: str | None
    steps: list[str]


class EndpointCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    pipeline_id: str = Field(min_length=1, max_length=255, description="the published pipeline of version 0")


class EndpointVersionAdd(BaseModel):
    pipeline_id: str = Field(min_length=1, max_length=255)
    default: bool = Field(default=False, description="make the new version the default")


class EndpointDefault(BaseModel):
    version: str | int = Field(description='an existing version: "0", "1", ...')


class EndpointVersion(BaseModel):
    version: str
    pipeline_id: str


class EndpointInfo(BaseModel):
    id: str
    name: str
    description: str | None
    status: StatusName
    default_version: str
    endpoint: str = Field(description="the URL of its trigger route (`?pipelineVersion=V` for another version)")
    created: str
    versions: list[EndpointVersion]


class TriggerBody(BaseModel):
    """Azure's body of a trigger; only `ExperimentName` is required (checked by the facade, which names it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"ExperimentName": "nightly", "ParameterAssignments": {"lr": 0.05}}],
        }
    )

    ExperimentName: str | None = Field(default=None, description="required: the experiment the run goes under")
    ParameterAssignments: dict[str, Any] | None = Field(
        default=None, description="parameter name -> value; text stands for numbers and booleans"
    )
    DataPathAssignments: dict[str, Any] | None = Field(
        default=None, description='DataPath parameter name -> {"DataStoreName": ..., "RelativePath": ...}'
    )
    Description: str | None = None
    tags: dict[str, Any] | None = None
    ContinueRunOnStepFailure: bool | None = None


class TriggerAnswer(BaseModel):
    """The run a trigger started; it goes on after the answer. Follow it at `RunUrl`."""

    Id: str = Field(description="the new run's id")
    Status: str = Field(description="its v1 status word when the answer was made")
    ExperimentName: str
    PipelineId: str = Field(description="the published pipeline it runs")
    Description: str | None = None
    RunUrl: str = Field(description="the run on this server: GET it with a read token")
