"""A run's steps and the data between them, as the portal draws them: read from the run's spec and its step
runs in a constant number of queries, however many steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duto.facade.documents import step_keys

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun


def run_graph(run: PipelineRun) -> dict[str, Any]:
    """The run's steps as nodes (key, name, step-run id, status, is_reused) in the order they can run, and its
    edges: one per pair of steps that depend on each other, with the names of the data that flow along it (none
    for an order-only dependency, `run_after`)."""
    store = run.workspace.runs_store
    row = store.pipeline_run(run.id)
    rows = store.step_run_fields(run.id, "id", "name", "position", "status", "reused_from")
    keys = step_keys(row.spec, rows)
    nodes = [
        {"key": key, "name": r.name, "id": r.id, "status": r.status, "is_reused": r.reused_from is not None}
        for r, key in zip(rows, keys, strict=True)
    ]
    carried: dict[tuple[str, str], list[str]] = {}
    for edge in row.spec.get("edges", []):
        names = carried.setdefault((edge["source"], edge["target"]), [])
        output = edge.get("output")  # the name of the step's output: its PipelineData's
        if output is not None and output not in names:
            names.append(output)
    edges = [{"source": source, "target": target, "data": data} for (source, target), data in carried.items()]
    return {"id": row.id, "status": row.status, "nodes": nodes, "edges": edges}
