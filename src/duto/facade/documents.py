"""Runs and steps as JSON documents: stable field names, full ids, UTC times, no markup.

`duto runs list --json`, `duto runs show --json` and the server's run routes all give these, from this one copy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from duto.errors import DutoError
from duto.graph.spec import step_key
from duto.storage.run_outline_store import RunOutlineStore
from duto.tracking.metrics import aggregate

KEYED_SINCE_SCHEMA = 4  # the spec's schema version that gave steps keys other than their names

if TYPE_CHECKING:
    from sqlalchemy import Row

    from duto.facade.runs import PipelineRun
    from duto.facade.step_runs import StepRun
    from duto.facade.workspace import Workspace
    from duto.storage.models import Metric
    from duto.storage.models import PipelineRun as PipelineRunRow
    from duto.storage.models import StepRun as StepRunRow

    # A step run's columns: its ORM object, or a Core row of the columns a document reads (`step_run_fields`).
    StepRunFields = StepRunRow | Row[Any]
    # A run's: its ORM object, or a Core row of its own columns (`RunOutlineStore.head`).
    PipelineRunFields = PipelineRunRow | Row[Any]


def iso_utc(moment: datetime | None) -> str | None:
    """A naive UTC time from the DB as ISO text with its offset (`2024-05-01T12:00:00+00:00`)."""
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def seconds_between(started: datetime | None, ended: datetime | None) -> float | None:
    """Seconds from start to end (to now while it goes on); None when it never started."""
    if started is None:
        return None
    end = ended.replace(tzinfo=UTC) if ended is not None else datetime.now(UTC)
    return round((end - started.replace(tzinfo=UTC)).total_seconds(), 3)


def run_document(row: PipelineRunFields, experiment: str, reused: bool) -> dict[str, Any]:
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
    return _step_fields(step._row, step.key, step.get_reuse_info()["reused_from"])


def step_module(step: StepRun) -> dict[str, Any] | None:
    """The module version a step run's step was made from (its spec's `module`), read alone from the spec."""
    found: dict[str, Any] | None = RunOutlineStore(step.parent.workspace.database).step_spec_part(
        step.parent.id, step._cached.position, "module"
    )
    return found


def _step_fields(row: StepRunFields, key: str, reused_from: dict[str, Any] | None) -> dict[str, Any]:
    """A step run's document from its row, its key in the spec and where it was reused from (None: it ran)."""
    reused = reused_from is not None
    return {
        "name": row.name,
        "key": key,
        "id": row.id,
        "status": row.status,
        "reused": reused,
        "is_reused": reused,
        "reused_from": reused_from,
        "fingerprint": row.fingerprint,
        "started": iso_utc(row.started_at),
        "ended": iso_utc(row.ended_at),
        "duration_seconds": seconds_between(row.started_at, row.ended_at),
        "exit_code": row.exit_code,
        "reason": row.reason,
        "why": [] if reused else list(row.reasons or []),
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


def step_keys(workspace: Workspace, run_id: str, rows: Sequence[StepRunFields]) -> list[str]:
    """Each step run's key in its run's spec, from the names of all its step runs in their order (`rows`).

    Step runs are made from the spec's steps in its order, and a step's key is its name, with `#2`, `#3`... for
    later steps of the same name (`spec.step_key`), so the spec itself, 7 MB of JSON for 10,000 steps, is not
    parsed: a run whose steps share a name reads only its schema version (before 4, every key was the name).
    """
    names = [r.name for r in rows]
    if len(set(names)) == len(names):
        return names
    version = RunOutlineStore(workspace.database).spec_part(run_id, "schema_version")
    if isinstance(version, int) and version < KEYED_SINCE_SCHEMA:
        return names
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        keys.append(step_key(name, seen[name]))
    return keys


def reuse_origins(workspace: Workspace, rows: Sequence[StepRunFields]) -> dict[str, dict[str, Any]]:
    """Where each reused step run of `rows` came from, by its id, as `StepRun.get_reuse_info()` says it: two
    queries whatever the count (the originals, then the tombstones of those deleted since)."""
    from duto.storage.deletion_store import DeletionStore

    wanted = {r.reused_from for r in rows if r.reused_from is not None}
    found = workspace.runs_store.step_run_origins(wanted)
    tombstones = DeletionStore(workspace.database).tombstones(wanted - set(found))
    origins: dict[str, dict[str, Any]] = {}
    for row in rows:
        origin_id = row.reused_from
        if origin_id is None:
            continue
        if origin_id in found:
            run_id, name = found[origin_id]
            origins[row.id] = {"run_id": run_id, "step_run_id": origin_id, "step": name}
        else:
            tombstone = tombstones.get(origin_id)
            origins[row.id] = {
                "run_id": tombstone.pipeline_run_id if tombstone else None,
                "step_run_id": origin_id,
                "step": tombstone.name if tombstone else row.name,
                "deleted": True,
            }
    return origins


def show_run(run: PipelineRun) -> dict[str, Any]:
    """A run with its description and its steps (in the order they can run), as `duto runs show --json` gives it.

    A constant number of queries, however many steps: the run with its experiment, its step runs, and where its
    reused steps came from; its spec is not read.
    """
    head = RunOutlineStore(run.workspace.database).head(run.id)
    rows = run.workspace.runs_store.step_run_fields(run.id)
    origins = reuse_origins(run.workspace, rows)
    keys = step_keys(run.workspace, run.id, rows)
    reused = bool(rows) and len(origins) == len(rows)
    return {
        **run_document(head, head.experiment, reused),
        "description": head.description,
        "steps": [_step_fields(r, key, origins.get(r.id)) for r, key in zip(rows, keys, strict=True)],
    }


@dataclass
class _Shown:
    """A metric row with the value a reader is given for it (an image's address, not its file's place)."""

    name: str
    kind: str
    value: Any


def run_metrics(run: PipelineRun, image_address: Callable[[str, str], str]) -> dict[str, Any]:
    """The metrics logged on the run (`run`) and on each step run (`steps`, by step-run id; a reused step's are
    its original's), as `get_metrics(recursive=True)` gives them, except that an image a step logged is
    `image_address(step_run_id, name)`, not the place of its file on this machine. An image logged on the run
    itself is its file's name alone (no route serves it)."""
    fields = run.workspace.runs_store.step_run_fields(run.id, "id", "reused_from")
    source = {r.id: r.reused_from or r.id for r in fields}
    rows = run.workspace.metric_store.metrics([run.id, *source.values()])
    by_run: dict[str, list[Metric]] = {}
    for row in rows:
        by_run.setdefault(row.run_id, []).append(row)

    def shown(step_run_id: str | None, logged: list[Metric]) -> dict[str, Any]:
        return aggregate(
            _Shown(
                row.name,
                row.kind,
                os.path.basename(str(row.value)) if step_run_id is None else image_address(step_run_id, row.name),
            )
            if row.kind == "image"
            else row
            for row in logged
        )

    return {
        "run": shown(None, by_run.get(run.id, [])),
        "steps": {step_id: shown(step_id, by_run.get(origin, [])) for step_id, origin in source.items()},
    }
