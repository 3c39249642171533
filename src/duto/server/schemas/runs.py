"""Runs over the wire: the documents `duto runs list --json` and `duto runs show --json` give, and their parts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunSummary(BaseModel):
    """A run as `duto runs list --json` gives it. Times are ISO text in UTC; `status` is the v1 status word."""

    id: str
    experiment: str
    status: str
    reason: str | None
    created: str | None
    started: str | None
    ended: str | None
    duration_seconds: float | None
    reused: bool = Field(description="every step of the run was reused")
    tags: dict[str, Any]
    parameters: dict[str, Any]


class StepSummary(BaseModel):
    """A step run of a run: `is_reused` with `reused_from` when it stands for an earlier step run."""

    id: str
    key: str
    name: str
    status: str
    is_reused: bool
    reused: bool
    reused_from: dict[str, Any] | None
    reason: str | None
    why: list[str] = Field(description="why the step ran (empty when reused)")
    fingerprint: str | None
    started: str | None
    ended: str | None
    duration_seconds: float | None
    exit_code: int | None
    compute_target: str
    outputs: dict[str, Any]


class StepDetail(StepSummary):
    """A step run with what its spec adds: the module version it was made from, when it was."""

    module: dict[str, Any] | None = Field(
        description='{"module", "module_id", "version", "module_version_id", "inputs", "outputs"} for a step made '
        "from a module version, else null"
    )


class RunDetail(RunSummary):
    """A run with its description and its steps, in the order they can run."""

    description: str | None
    steps: list[StepSummary]


class StepWhy(BaseModel):
    """What `duto why RUN STEP` says: reused from where, or why the step ran, with its fingerprint's parts."""

    id: str
    name: str
    status: str
    is_reused: bool
    reused_from: dict[str, Any] | None
    fingerprint: str | None
    reasons: list[str]
    explanation: str | None
    components: Any = None


class RunMetrics(BaseModel):
    """The metrics logged on the run itself, and on each step run (by step-run id; a reused step's are the
    original's). An image a step logged is the URL that serves it, never where the server keeps its file."""

    run: dict[str, Any]
    steps: dict[str, dict[str, Any]]


class OutputFile(BaseModel):
    path: str = Field(description="relative to the output's folder, with '/' between parts")
    size: int


class StepOutput(BaseModel):
    name: str
    datastore: str
    path_on_datastore: str
    files: list[OutputFile]


class RunAction(BaseModel):
    """What a cancel or resume did: `done` is false when there was nothing to do, and `detail` says why."""

    id: str
    status: str
    done: bool
    detail: str


class GraphNode(BaseModel):
    """A step of a run's graph: its key in the spec, its name, its step run's id and status."""

    key: str
    name: str
    id: str = Field(description="the step run's id")
    status: str
    is_reused: bool


class GraphEdge(BaseModel):
    """`source` -> `target` (step keys): `target` depends on `source`."""

    source: str
    target: str
    data: list[str] = Field(description="the names of the data that flow along it; empty for an order-only edge")


class RunGraph(BaseModel):
    """A run's steps (in the order they can run) and the dependencies between them, from the run's spec."""

    id: str
    status: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class StepOutline(BaseModel):
    """A step as the run page shows it: what tells it apart, its status and its times. `GET /steps/{step}` has the
    rest (its reason, exit code, outputs, fingerprint)."""

    id: str = Field(description="the step run's id")
    key: str
    name: str
    status: str
    is_reused: bool
    started: str | None
    ended: str | None


class RunOutline(RunSummary):
    """A run as its page shows it, in one answer: the run with its description, its steps (in the order they can
    run) in their outline, and the edges between them as `GET /graph` gives them."""

    description: str | None
    steps: list[StepOutline]
    edges: list[GraphEdge]


class MetricSeries(BaseModel):
    """Every point of a metric logged more than once, as three arrays of one length."""

    name: str
    steps: list[float] = Field(description="the step index each value was logged with (its position when none)")
    times: list[float] | None = Field(description="when each was logged, in seconds since the epoch; None for a list")
    values: list[float]


class MetricSet(BaseModel):
    """What a run or step logged, for drawing: series (numbers logged again and again, and lists of numbers),
    scalars (numbers logged once) and the rest (rows, tables, images, text) in `get_metrics()`'s shapes."""

    series: list[MetricSeries]
    scalars: dict[str, Any]
    images: dict[str, str] = Field(
        default_factory=dict,
        description="each image logged, by metric name: its file name; GET /steps/{step}/images/{name} serves it",
    )
    other: dict[str, Any]


class RunMetricSeries(BaseModel):
    """Every point logged on the run itself and on each of its steps (by step key; a reused step's are the
    original's)."""

    run: MetricSet
    steps: dict[str, MetricSet]


class StepEnvironment(BaseModel):
    """The environment a step ran in, as its fingerprint recorded it."""

    name: str | None = Field(description="the registered environment's name; None for duto's own interpreter")
    python: str | None
    packages: dict[str, str] | None = Field(
        description="name -> version (or URL) of every package the built environment holds; None when duto did "
        "not build it (its own interpreter, a Docker image)"
    )
    variables: dict[str, str]
    docker_image: str | None


class ResubmitBody(BaseModel):
    """What to change when a run is submitted again; left out, the run's own parameter values are used. The fields
    are spelled as a published pipeline's trigger spells them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"ParameterAssignments": {"lr": 0.05}}]})

    ParameterAssignments: dict[str, Any] | None = Field(
        default=None, description="parameter name -> value; text stands for numbers and booleans"
    )
    DataPathAssignments: dict[str, Any] | None = Field(
        default=None, description='DataPath parameter name -> {"DataStoreName": ..., "RelativePath": ...}'
    )


class StepLogPart(BaseModel):
    """A piece of one step's `std_log.txt`: its tail, or what it wrote after an offset the caller gave."""

    id: str = Field(description="the step run's id")
    key: str
    name: str
    status: str
    started: str | None
    offset: int = Field(description="where `text` starts in the log, in bytes")
    next_offset: int = Field(description="where `text` ends: ask `from=ID:next_offset` for what comes after")
    size: int = Field(description="the log's size so far, in bytes")
    text: str = Field(description="whole characters and, for a tail, whole lines")


class RunLogs(BaseModel):
    """Every step's log of a run, in the order the steps can run, with the offsets to follow them."""

    id: str
    status: str
    steps: list[StepLogPart]


class ResubmitAnswer(BaseModel):
    """The run a re-submit started: its id, status and the parameter values it runs with."""

    id: str
    status: str
    experiment: str
    resubmitted_from: str = Field(description="the id of the run it repeats")
    parameters: dict[str, Any]
