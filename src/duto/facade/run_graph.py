"""A run's steps and the data between them, as the portal draws them: read from its step runs and the edges of
its spec in a constant number of queries, however many steps, without parsing the rest of the spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duto.facade.documents import iso_utc, run_document, step_keys
from duto.storage.run_outline_store import RunOutlineStore

if TYPE_CHECKING:
    from sqlalchemy import Row

    from duto.facade.runs import PipelineRun

# What the run page shows of each step; `GET /api/runs/{id}/steps/{step}` has the rest.
OUTLINE_COLUMNS = ("id", "name", "position", "status", "reused_from", "started_at", "ended_at")


def run_head(run: PipelineRun) -> Row[Any]:
    """The run's own columns and its experiment's name (`RunOutlineStore.head`): one small query."""
    return RunOutlineStore(run.workspace.database).head(run.id)


def run_graph(run: PipelineRun) -> dict[str, Any]:
    """The run's steps as nodes (key, name, step-run id, status, is_reused) in the order they can run, and its
    edges: one per pair of steps that depend on each other, with the names of the data that flow along it (none
    for an order-only dependency, `run_after`)."""
    head = run_head(run)
    rows = run.workspace.runs_store.step_run_fields(run.id, "id", "name", "position", "status", "reused_from")
    keys = step_keys(run.workspace, run.id, rows)
    nodes = [
        {"key": key, "name": r.name, "id": r.id, "status": r.status, "is_reused": r.reused_from is not None}
        for r, key in zip(rows, keys, strict=True)
    ]
    return {"id": head.id, "status": head.status, "nodes": nodes, "edges": _edges(run)}


def run_outline(run: PipelineRun, head: Row[Any] | None = None) -> dict[str, Any]:
    """The run as its page shows it, in one document: the run as `duto runs list --json` gives it with its
    description; its steps in the order they can run, each with only its key, name, step-run id, status,
    is_reused and times; and the edges of `run_graph`. `head` is the run's `run_head`, when read already."""
    head = head if head is not None else run_head(run)
    rows = run.workspace.runs_store.step_run_fields(run.id, *OUTLINE_COLUMNS)
    keys = step_keys(run.workspace, run.id, rows)
    steps = [
        {
            "id": r.id,
            "key": key,
            "name": r.name,
            "status": r.status,
            "is_reused": r.reused_from is not None,
            "started": iso_utc(r.started_at),
            "ended": iso_utc(r.ended_at),
        }
        for r, key in zip(rows, keys, strict=True)
    ]
    reused = bool(steps) and all(s["is_reused"] for s in steps)
    return {
        **run_document(head, head.experiment, reused),
        "description": head.description,
        "steps": steps,
        "edges": _edges(run),
    }


def _edges(run: PipelineRun) -> list[dict[str, Any]]:
    """The spec's edges, one per pair of steps, each with the names of the data that flow along it."""
    carried: dict[tuple[str, str], list[str]] = {}
    for edge in RunOutlineStore(run.workspace.database).spec_part(run.id, "edges") or []:
        names = carried.setdefault((edge["source"], edge["target"]), [])
        output = edge.get("output")  # the name of the step's output: its PipelineData's
        if output is not None and output not in names:
            names.append(output)
    return [{"source": source, "target": target, "data": data} for (source, target), data in carried.items()]
