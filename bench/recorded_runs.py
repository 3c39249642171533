"""Big finished runs recorded straight into a workspace's DB, for benchmarks of what reads runs (the server's run
routes, the portal's run page): a thousand steps recorded in a second instead of run one by one.

A run is a fan-out (one `source` step whose PipelineData every `shard_NNNN` step reads) or a chain (`step_NNNN`
reads what the step before it wrote); its spec is frozen from a real Pipeline of CommandSteps, as submit freezes
it, and every step is marked Running then Finished with times a few milliseconds apart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import update

from duto import Workspace
from duto.facade.submission import freeze_pipeline
from duto.graph.status import RunStatus
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep
from duto.storage import models
from duto.storage.runs_store import new_id, utcnow

Shape = Literal["fan-out", "chain"]


def pipeline_of(ws: Workspace, shape: Shape, steps: int) -> Pipeline:
    """A pipeline of `steps` trivial CommandSteps joined by PipelineData, as a fan-out or a chain."""
    if shape == "fan-out":
        shards = PipelineData("shards")
        made = [CommandStep("true", name="source", outputs=[shards])]
        made += [CommandStep("true", name=f"shard_{i:04d}", inputs=[shards]) for i in range(1, steps)]
        return Pipeline(ws, made)
    previous = PipelineData("part_0000")
    made = [CommandStep("true", name="step_0000", outputs=[previous])]
    for i in range(1, steps):
        written = PipelineData(f"part_{i:04d}")
        made.append(CommandStep("true", name=f"step_{i:04d}", inputs=[previous], outputs=[written]))
        previous = written
    return Pipeline(ws, made)


def record_finished_run(
    ws: Workspace, shape: Shape, steps: int, experiment: str = "bench", reusing: str | None = None
) -> str:
    """Record a Finished run of `pipeline_of(ws, shape, steps)` with every step Finished; returns its id.

    With `reusing` (a run of the same shape and size), every step is recorded as reused from that run's.
    """
    frozen = freeze_pipeline(pipeline_of(ws, shape, steps), None, snapshots="skip")
    run_id = new_id()
    step_ids = [(new_id(), s.name, s.compute_target) for s in frozen.spec.steps]
    store = ws.runs_store
    description = f"a {shape} of {steps} steps"
    store.create_pipeline_run(
        run_id, experiment, frozen.spec.to_json(), frozen.parameters, {}, False, False, step_ids, description
    )
    origins = [row.id for row in store.step_runs(reusing)] if reusing else [None] * steps
    start = utcnow()
    with ws.database.writing() as s:
        for position, (step_run_id, _, _) in enumerate(step_ids):
            began = start + timedelta(milliseconds=5 * position)
            s.execute(
                update(models.StepRun)
                .where(models.StepRun.id == step_run_id)
                .values(
                    status=RunStatus.FINISHED.value,
                    started_at=began,
                    ended_at=began + timedelta(milliseconds=40),
                    exit_code=0,
                    reasons=None if origins[position] else ["no earlier run of this step"],
                    reused_from=origins[position],
                    reason="reused: same fingerprint" if origins[position] else None,
                )
            )
        s.execute(
            update(models.PipelineRun)
            .where(models.PipelineRun.id == run_id)
            .values(
                status=RunStatus.FINISHED.value,
                started_at=start,
                ended_at=start + timedelta(milliseconds=5 * steps + 40),
            )
        )
    return run_id
