"""Experiments as tables: each experiment with its run count and last run, and an experiment's runs with their
final metric values, as JSON documents read in a few statements however many runs there are (the portal's
experiment pages and `/api/experiments` give these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duto.facade import documents
from duto.storage import overviews

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

# A step's metric is named after the step: "train/accuracy" beside the run's own "accuracy".
STEP_METRIC_SEPARATOR = "/"


def list_experiments(workspace: Workspace, archived: bool | None = False) -> list[dict[str, Any]]:
    """The experiments by name (active ones; `archived` True: archived ones; None: all), each with its run count
    and its newest run's id, status and creation time (None when it has no runs)."""
    found = []
    for row in overviews.experiments(workspace.database, archived):
        last = None
        if row.last_run_id is not None:
            last = {
                "id": row.last_run_id,
                "status": row.last_run_status,
                "created": documents.iso_utc(row.last_run_created),
            }
        found.append({"name": row.name, "archived": row.archived, "run_count": row.run_count, "last_run": last})
    return found


def final_metrics(workspace: Workspace, run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """{run id: {metric: last value}} for the scalar metrics of these runs: those logged on the run itself by
    their names, and those of its steps as "step/metric" (a reused step's are the ones its original logged)."""
    database = workspace.database
    result = overviews.final_scalars(database, run_ids)
    sources = overviews.step_sources(database, run_ids)
    of_steps = overviews.final_scalars(database, sorted({s.source_id for s in sources}))
    for source in sources:
        for name, value in of_steps.get(source.source_id, {}).items():
            result.setdefault(source.pipeline_run_id, {})[f"{source.name}{STEP_METRIC_SEPARATOR}{name}"] = value
    return result


def metric_names(metrics: dict[str, dict[str, Any]]) -> list[str]:
    """Every metric name of `final_metrics`, the runs' own first, then the steps', each group sorted."""
    names = {name for values in metrics.values() for name in values}
    return sorted(names, key=lambda n: (STEP_METRIC_SEPARATOR in n, n))


def experiment_runs(workspace: Workspace, name: str, limit: int) -> dict[str, Any]:
    """The experiment's newest `limit` runs as `duto runs list --json` gives them, each with `metrics` (see
    `final_metrics`); `metric_names` lists every metric among them and `truncated` says whether older runs
    were left out.

    Raises:
        ExperimentNotFoundError: when the workspace has no experiment of this name.
    """
    workspace.runs_store.experiment(name)
    runs = documents.list_runs(workspace, name, limit=limit + 1)
    truncated = len(runs) > limit
    runs = runs[:limit]
    metrics = final_metrics(workspace, [run["id"] for run in runs])
    return {
        "name": name,
        "runs": [{**run, "metrics": metrics.get(run["id"], {})} for run in runs],
        "metric_names": metric_names(metrics),
        "truncated": truncated,
    }
