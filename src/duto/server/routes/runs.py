"""`/api/runs`: list and show runs, their steps, reuse explanations, logs (a step's, or every step's at once),
metrics, outputs and the registered data they read and made (read); follow a run's events live (read); cancel,
resume and re-submit a run (submit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from duto.facade.tokens import Scope
from duto.server.auth import requires, tails_of, workspace_of
from duto.server.finished_answers import answers_of
from duto.server.log_streams import LogMarkError, follow_log, parse_mark
from duto.server.operations import assets, runs
from duto.server.routes.events import after_event, event_stream
from duto.server.schemas.assets import RunData
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.runs import (
    MetricSet,
    ResubmitAnswer,
    ResubmitBody,
    RunAction,
    RunDetail,
    RunGraph,
    RunLogs,
    RunMetrics,
    RunMetricSeries,
    RunOutline,
    RunSummary,
    StepDetail,
    StepEnvironment,
    StepOutput,
    StepWhy,
)

NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": Problem, "description": "no such run, step, output or file"},
    409: {"model": Problem, "description": "a run-id prefix or a step name that several share; the answer lists them"},
}
UNCHANGED: dict[int | str, dict[str, object]] = {
    304: {"description": "a finished run's answer the client has already: If-None-Match names its ETag"}
}
router = APIRouter(prefix="/runs", tags=["runs"], responses={**PROBLEMS, **NOT_FOUND})
RunId = Annotated[str, Path(min_length=1, max_length=200, description="a run id, or a unique prefix of one")]
StepKey = Annotated[
    str, Path(min_length=1, max_length=300, description="a step-run id, or a step name no other step of the run has")
]
LOG_CHUNK_MAX = 16 * 1024 * 1024
RUN_LOG_MAX = MAX = 1024 * 1024  # bytes of each step's log one answer of GET /logs carries at most
TAIL = 64 * 1024  # and of a step's tail, unless asked otherwise
RUN_LOG_BUDGET = 8 * 1024 * 1024  # and of all steps' logs together: a run of many steps is read in several answers
read = requires(Scope.READ)
submit = requires(Scope.SUBMIT)


@router.get("", response_model=list[RunSummary], **read)
def list_runs(
    request: Request,
    experiment: str | None = None,
    status: Annotated[list[str] | None, Query(description="v1 statuses; repeat or separate with commas")] = None,
    since: Annotated[str | None, Query(description="an age (30m, 2h, 3d, 1w) or an ISO date or time")] = None,
    tag: Annotated[list[str] | None, Query(description="KEY=VALUE or KEY; repeat for more, all must match")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RunSummary]:
    """The runs, newest first, as `duto runs list --json` gives them; a page of `limit` from `offset`."""
    return runs.list_runs(workspace_of(request), experiment, status or [], since, tag or [], limit, offset)


@router.get("/{run_id}", response_model=RunDetail, **read)
def show_run(request: Request, run_id: RunId) -> RunDetail:
    return runs.show(workspace_of(request), run_id)


@router.get("/{run_id}/graph", response_model=RunGraph, responses=UNCHANGED, **read)
def run_graph(request: Request, run_id: RunId) -> Response:
    """The run's steps and the edges between them, each with the names of the data it carries, from its spec."""
    run = workspace_of(request).get_run(run_id)
    return answers_of(request).answer(request, runs.finished_etag(run, "graph"), lambda: runs.graph(run))


@router.get("/{run_id}/outline", response_model=RunOutline, responses=UNCHANGED, **read)
def run_outline(request: Request, run_id: RunId) -> Response:
    """The run as the portal's run page shows it, in one answer: the run, each step's key, name, status and times
    (no reasons, outputs or fingerprints: `GET /steps/{step}` has them), and the edges `GET /graph` gives. A
    finished run's answer carries an ETag, and is 304 Not Modified to an If-None-Match that names it."""
    run = workspace_of(request).get_run(run_id)
    return answers_of(request).answer(request, runs.finished_etag(run, "outline"), lambda: runs.outline(run))


@router.get("/{run_id}/metrics", response_model=RunMetrics, **read)
def run_metrics(request: Request, run_id: RunId) -> RunMetrics:
    """The metrics logged on the run and on each step run (by its id), as `get_metrics()` gives them; an image a
    step logged is the URL of `GET /steps/{step}/images/{name}`, which serves it."""
    return runs.metrics(workspace_of(request), run_id)


@router.get("/{run_id}/metrics/series", response_model=RunMetricSeries, **read)
def run_metric_series(request: Request, run_id: RunId) -> RunMetricSeries:
    """Every point of each metric logged on the run and on its steps (by step key), for charts."""
    return runs.metric_series(workspace_of(request), run_id)


@router.get("/{run_id}/data", response_model=RunData, **read)
def run_data(request: Request, run_id: RunId) -> RunData:
    """The registered data the run read and made, step by step in the run's order (only steps that did): the
    dataset versions each read (by input), the ones its outputs were registered as, the models its code
    registered, and its status (a read is recorded at submit, as Azure records it, so a step Canceled before it
    started has reads it never made)."""
    return assets.of_run(workspace_of(request), run_id)


@router.get("/{run_id}/steps/{step}", response_model=StepDetail, **read)
def show_step(request: Request, run_id: RunId, step: StepKey) -> StepDetail:
    return runs.show_step(workspace_of(request), run_id, step)


@router.get("/{run_id}/steps/{step}/why", response_model=StepWhy, **read)
def why(request: Request, run_id: RunId, step: StepKey) -> StepWhy:
    """Whether the step was reused and from where, or why it ran: what `duto why RUN STEP` says."""
    return runs.why(workspace_of(request), run_id, step)


@router.get("/{run_id}/steps/{step}/metrics", response_model=MetricSet, **read)
def step_metrics(request: Request, run_id: RunId, step: StepKey) -> MetricSet:
    """Every point of each metric the step logged (its original's, when reused): series, scalars and the rest."""
    return runs.step_metrics(workspace_of(request), run_id, step)


@router.get("/{run_id}/steps/{step}/environment", response_model=StepEnvironment, **read)
def step_environment(request: Request, run_id: RunId, step: StepKey) -> StepEnvironment:
    """The environment the step ran in: Python, the packages its built environment holds, its variables."""
    return runs.environment(workspace_of(request), run_id, step)


@router.get(
    "/{run_id}/steps/{step}/log",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the bytes asked for; X-Log-Size: the whole"}},
    **read,
)
def step_log(
    request: Request,
    run_id: RunId,
    step: StepKey,
    offset: Annotated[int, Query(ge=0)] = 0,
    length: Annotated[int, Query(ge=0, le=LOG_CHUNK_MAX)] = LOG_CHUNK_MAX,
) -> Response:
    """The step's `std_log.txt` from byte `offset`, `length` bytes of it (at most 16 MiB an answer: the header
    X-Log-Size, the log's size so far, says whether there is more to ask for)."""
    chunk, size = runs.log(workspace_of(request), run_id, step, offset, length)
    headers = {"X-Log-Size": str(size), "X-Log-Offset": str(min(offset, size))}
    return Response(chunk, media_type="text/plain; charset=utf-8", headers=headers)


@router.get("/{run_id}/logs", response_model=RunLogs, **read)
def run_logs(
    request: Request,
    run_id: RunId,
    after: Annotated[
        list[str] | None,
        Query(alias="from", description="STEP_RUN_ID:OFFSET: that step's log from that byte; repeat for more steps"),
    ] = None,
    tail: Annotated[
        int, Query(ge=0, le=RUN_LOG_MAX, description="bytes of each other step's log, from its end")
    ] = TAIL,
    length: Annotated[int, Query(ge=0, le=RUN_LOG_MAX, description="bytes at most of a step asked `from`")] = MAX,
) -> RunLogs:
    """Every step's log in one answer, for reading a whole run's output: each step's last `tail` bytes (from a line's
    start), or what it wrote after the offset `from` gives for it. Each part carries `next_offset`, so a page follows
    a running run by asking again `from` each step's `next_offset`. One answer carries 8 MiB at most: a step past
    that has empty text, and its `next_offset` is where to ask from."""
    return runs.run_logs(workspace_of(request), run_id, after or [], tail, length, RUN_LOG_BUDGET)


@router.get(
    "/{run_id}/steps/{step}/images/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "the image"}},
    **read,
)
def step_image(request: Request, run_id: RunId, step: StepKey, name: str) -> FileResponse:
    """An image the step logged (`log_image`), by its metric's name; the step's metrics list them (`images`)."""
    return FileResponse(runs.step_image(workspace_of(request), run_id, step, name))


@router.get("/{run_id}/steps/{step}/outputs", response_model=list[StepOutput], **read)
def step_outputs(request: Request, run_id: RunId, step: StepKey) -> list[StepOutput]:
    """The outputs the step published, each with its files and their sizes."""
    return runs.outputs(workspace_of(request), run_id, step)


@router.get(
    "/{run_id}/steps/{step}/outputs/{name}/files/{path:path}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
    **read,
)
def output_file(request: Request, run_id: RunId, step: StepKey, name: str, path: str) -> FileResponse:
    """One file of an output; a path that leaves the output's folder (`..`, absolute, a symlink) is a 404."""
    found = runs.output_file(workspace_of(request), run_id, step, name, path)
    return FileResponse(found, filename=found.name)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
    **read,
)
async def run_events(
    request: Request, run_id: RunId, last_event_id: Annotated[str | None, Header()] = None
) -> StreamingResponse:
    """The run's events as server-sent events, from its first (or after `Last-Event-ID`) to its final status."""
    after = after_event(last_event_id) or 0
    tails = tails_of(request)
    run = await tails.run(run_id, workspace_of(request).get_run)
    return event_stream(tails.follow(run, after, request.is_disconnected))


@router.post("/{run_id}/cancel", response_model=RunAction, **submit)
def cancel_run(request: Request, run_id: RunId) -> RunAction:
    """Cancel a run: running steps are stopped, steps not started end Canceled."""
    return runs.cancel(workspace_of(request), run_id)


@router.post("/{run_id}/resubmit", response_model=ResubmitAnswer, status_code=201, **submit)
def resubmit_run(request: Request, run_id: RunId, body: ResubmitBody | None = None) -> ResubmitAnswer:
    """Start the run's pipeline again, as frozen (its code snapshots), under its experiment, with its parameter
    values or those `ParameterAssignments` and `DataPathAssignments` change; the new run is tagged
    `resubmitted_from`. An unknown parameter or a value of the wrong type is a 422 naming it."""
    return runs.resubmit(workspace_of(request), run_id, body or ResubmitBody())


@router.post("/{run_id}/resume", response_model=RunAction, **submit)
def resume_run(request: Request, run_id: RunId, force: bool = False) -> RunAction:
    """Have a new runner take over a run whose runner stopped (`force`: stop a stuck one of this machine first)."""
    return runs.resume(workspace_of(request), run_id, force)


# The step's log, live -------------------------------------------------------------------------------------------


@router.get(
    "/{run_id}/steps/{step}/log/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events, until the step ends"},
        400: {"model": Problem, "description": "a Last-Event-ID that is not a mark of this stream"},
    },
    **read,
)
async def step_log_stream(
    request: Request,
    run_id: RunId,
    step: StepKey,
    offset: Annotated[int, Query(ge=0, description="the byte of the log to start at, without Last-Event-ID")] = 0,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The step's `std_log.txt` as it is written, as server-sent events, from byte `offset` (or after
    `Last-Event-ID`) until the step ends: `log` (data: `offset`, `text`; id `ATTEMPT:OFFSET`), `reset` (data:
    `attempt`; a retry's log starts over, drop what was shown) and, last, `end` (data: `status`, `size`)."""
    try:
        mark = parse_mark(last_event_id, offset)
    except LogMarkError as error:
        raise HTTPException(400, detail=str(error)) from None
    found = await run_in_threadpool(runs.step_of, workspace_of(request), run_id, step)
    return event_stream(follow_log(found, mark, request.is_disconnected))
