"""The registered data one pipeline run read and made, step by step: what the portal's step Data tab shows, in a
constant number of queries however many datasets the workspace has registered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from duto.storage.asset_store import AssetStore

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun


def run_data(run: PipelineRun) -> dict[str, Any]:
    """Each step of `run` that read or registered registered data, in the run's order, with its status (a read is
    recorded when the run is submitted, as Azure does, so a step Canceled before it started still has its reads),
    the dataset versions it read (by input), the ones it produced and the models its code registered.

    A version registered again with content it already held keeps the run that first made it, so a step whose
    output was the same content as before (a reused one, say) produced nothing new here. Versions unregistered
    since are listed too, marked `unregistered`: the run still read or made them.
    """
    store = AssetStore(run.workspace.database)
    steps: dict[str, dict[str, Any]] = {}
    for row in run.workspace.runs_store.step_run_fields(run.id, "id", "name", "status"):
        steps[row.id] = {
            "step_run_id": row.id,
            "step_name": row.name,
            "status": row.status,
            "read": [],
            "produced": [],
            "models": [],
        }
    for read in store.datasets_read_by_run(run.id):
        if read.step_run_id in steps:
            steps[read.step_run_id]["read"].append(
                {
                    "name": read.name,
                    "version": read.version,
                    "id": read.dataset_version_id,
                    "input_name": read.input_name,
                    "unregistered": read.unregistered,
                }
            )
    for made in store.datasets_made_by_run(run.id):
        if made.step_run_id in steps:
            steps[made.step_run_id]["produced"].append(
                {"name": made.name, "version": made.version, "id": made.id, "unregistered": made.unregistered}
            )
    for model in store.models_made_by_run(run.id):
        if model.step_run_id in steps:
            steps[model.step_run_id]["models"].append(
                {"name": model.name, "version": model.version, "unregistered": model.unregistered}
            )
    return {"steps": [s for s in steps.values() if s["read"] or s["produced"] or s["models"]]}
