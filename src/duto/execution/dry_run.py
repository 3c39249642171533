"""A dry run: which steps of a pipeline would run again and why, decided as the runner decides, running nothing.

Each step gets its fingerprint from the same `ReuseDecisions` the runner uses; a step reused gives its
dependents the outputs it would reuse, so they are decided too. A step that would run leaves its
dependents' input contents unknown: they would run as well. Nothing is written but the stat cache of
the file hasher; no run, step run, blob or venv is made.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from duto.config import WorkspaceConfig
from duto.errors import DutoError
from duto.execution.decisions import ReuseDecisions, RunContext
from duto.execution.interpreters import Building, Interpreters
from duto.execution.materialize import InputError
from duto.graph.spec import PipelineSpec, StepSpec
from duto.storage.cas import workspace_content_store
from duto.storage.datastores import DatastoreBackend
from duto.storage.db import Database
from duto.storage.reuse_store import ReuseStore
from duto.storage.runs_store import RunsStore, utcnow

Outcome = Literal["reuse", "run", "fail"]


@dataclass(frozen=True)
class StepPlan:
    """What a run would do with one step: reuse it (from `reused_from`), run it, or fail it; and why."""

    name: str
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)
    reused_from: dict[str, str] | None = None  # {"run_id", "step_run_id", "step"}
    fingerprint: str | None = None
    key: str = ""  # the step's key in the spec: its name unless an earlier step has that name too


def plan_run(
    config: WorkspaceConfig,
    db: Database,
    spec: PipelineSpec,
    parameters: Mapping[str, Any],
    experiment: str,
    code: Mapping[str, Mapping[str, str]],
    regenerate_outputs: bool = False,
) -> list[StepPlan]:
    """Decide every step of `spec` as a run submitted now to `experiment` would, in the spec's order.

    Args:
        config: the workspace's settings.
        db: its metadata DB (only read).
        spec: the frozen pipeline, its steps in topological order.
        parameters: the values of the pipeline parameters.
        experiment: the experiment whose previous runs the reasons are diffs against.
        code: each step's code snapshot as {path: digest}, hashed but not stored.
        regenerate_outputs: as `submit(regenerate_outputs=...)`.
    """
    experiment_id = RunsStore(db).find_experiment_id(experiment)
    context = RunContext(
        "",  # no run is recorded: every run of the experiment is an earlier one
        -1 if experiment_id is None else experiment_id,
        utcnow(),
        parameters,
        regenerate_outputs,
        config.default_datastore,
    )
    cas = workspace_content_store(config.duto_dir)
    datastores = {name: DatastoreBackend(name, s, config.root) for name, s in config.datastores.items()}
    decisions = ReuseDecisions(context, ReuseStore(db), cas, datastores)
    for step in spec.steps:
        folder = Path(step.source_directory or ".")
        decisions.unstored.update({digest: folder / rel for rel, digest in code.get(step.key, {}).items()})
    interpreters = Interpreters(config)
    outputs: dict[str, Mapping[str, Mapping[str, str]]] = {}
    not_reused: set[str] = set()
    plans: list[StepPlan] = []
    try:
        for step in spec.steps:
            plan = replace(
                _plan_step(step, decisions, interpreters, outputs, not_reused, code.get(step.key, {})), key=step.key
            )
            if plan.outcome != "reuse":
                not_reused.add(step.key)
            plans.append(plan)
    finally:
        cas.hasher.close()
        interpreters.close()
    return plans


def _plan_step(
    step: StepSpec,
    decisions: ReuseDecisions,
    interpreters: Interpreters,
    outputs: dict[str, Mapping[str, Mapping[str, str]]],
    not_reused: set[str],
    code: Mapping[str, str],
) -> StepPlan:
    # Only data makes a step's inputs unknown; a step ordered after another (run_after) is decided all the same.
    producers = [p.source["step"] for p in step.inputs if p.source["kind"] == "step_output"]
    waiting = [name for name in dict.fromkeys(producers) if name in not_reused]
    if waiting:
        return StepPlan(step.name, "run", [f"upstream {name!r} would run" for name in waiting])
    try:
        found = interpreters.resolve(step.environment, Path(os.devnull), may_build=False)
    except (DutoError, OSError) as exc:
        return StepPlan(step.name, "fail", [f"its environment cannot be resolved: {exc}"])
    if isinstance(found, Building):
        name = (step.environment or {}).get("name")
        return StepPlan(
            step.name,
            "run",
            [f"environment {name!r} is not built yet; the run builds it, and its packages are part of the fingerprint"],
        )
    try:
        decision = decisions.decide(step, found, outputs, not_reused, code=code)
    except (InputError, OSError) as exc:
        return StepPlan(step.name, "fail", [f"could not hash its inputs: {exc}"])
    entry, why_not = decisions.reusable(decision, step.allow_reuse, settle=False)
    if entry is None:
        return StepPlan(
            step.name, "run", [*([why_not] if why_not else []), *decision.reasons], None, decision.fingerprint
        )
    outputs[step.key] = entry.outputs
    origin = {"run_id": entry.pipeline_run_id, "step_run_id": entry.step_run_id, "step": entry.step_name}
    return StepPlan(step.name, "reuse", [], origin, decision.fingerprint)
