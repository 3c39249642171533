"""Runs and steps as JSON documents: stable field names, full ids, UTC times, no markup.

`duto runs list --json`, `duto runs show --json` and the server's run routes all give these, from this one copy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from duto.errors import DutoError

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun
    from duto.facade.step_runs import StepRun
    from duto.facade.workspace import Workspace
    from duto.storage.models import PipelineRun as PipelineRunRow


def iso_utc(moment: datetime | None) -> str | None:
    """A naive UTC time from the DB as ISO text with its offset (`2024-05-01T12:00:00+00:00`)."""
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def seconds_between(started: datetime | None, ended: datetime | None) -> float | None:
    """Seconds from start to end (to now while it goes on); None when it never started."""
    if started is None:
        return None
    end = ended.replace(tzinfo=UTC) if ended is not None else datetime.now(UTC)
    return round((end - started.replace(tzinfo=UTC)).total_seconds(), 3)


def run_document(row: PipelineRunRow, experiment: str, reused: bool) -> dict[str, Any]:
    """A run as `duto runs list --json` gives it; `reused` is true when every one of its steps was reused."""
    return {
        "id": row.id,
        "experiment": experiment,
        "status": row.status,
        "reason": row.reason,
        "created": iso_utc(row.created_at),
        "started": iso_utc(row.started_at),
        "ended": iso_utc(row.ended_at),
        "duration_seconds": 0.0 if reused else seconds_between(row.started_at, row.ended_at),
        "reused": reused,
        "tags": dict(row.tags),
        "parameters": dict(row.parameters),
    }


def step_document(step: StepRun) -> dict[str, Any]:
    """A step run as `duto runs show --json` gives it."""
    row = step._row
    reuse = step.get_reuse_info()
    return {
        "name": step.name,
        "key": step.key,
        "id": step.id,
        "status": row.status,
        "reused": reuse["is_reused"],
        "is_reused": reuse["is_reused"],
        "reused_from": reuse["reused_from"],
        "fingerprint": row.fingerprint,
        "started": iso_utc(row.started_at),
        "ended": iso_utc(row.ended_at),
        "duration_seconds": seconds_between(row.started_at, row.ended_at),
        "exit_code": row.exit_code,
        "reason": row.reason,
        "why": [] if reuse["is_reused"] else list(reuse["reasons"] or []),
        "compute_target": row.compute_target,
        "outputs": dict(row.outputs),
    }


def list_runs(
    workspace: Workspace,
    experiment: str | None = None,
    statuses: Collection[str] = (),
    since: datetime | None = None,
    tags: Mapping[str, str | None] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The runs as `duto runs list --json` gives them, newest first, filtered as `RunsStore.pipeline_runs` does."""
    store = workspace.runs_store
    rows = store.pipeline_runs(
        experiment=experiment, limit=limit, statuses=statuses, since=since, tags=tags, offset=offset
    )
    reused = store.fully_reused([row.id for row, _ in rows])
    return [run_document(row, name, row.id in reused) for row, name in rows]


def runs_by_id(workspace: Workspace, run_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The runs with these ids (in that order) as `duto runs list --json` gives them; deleted ones are left out."""
    store = workspace.runs_store
    reused = store.fully_reused(list(run_ids))
    found = []
    for run_id in run_ids:
        try:
            row = store.pipeline_run(run_id)
        except DutoError:  # deleted since
            continue
        found.append(run_document(row, store.experiment_of(row), run_id in reused))
    return found


def show_run(run: PipelineRun) -> dict[str, Any]:
    """A run with its description and its steps (in the order they can run), as `duto runs show --json` gives it."""
    row = run.workspace.runs_store.pipeline_run(run.id)
    steps = run.steps_in_order()
    reused = bool(steps) and all(s.is_reused for s in steps)
    return {
        **run_document(row, run.experiment_name, reused),
        "description": row.description,
        "steps": [step_document(s) for s in steps],
    }
