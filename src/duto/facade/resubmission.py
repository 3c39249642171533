"""Re-submitting a run: its own frozen spec started again under its experiment, with its parameter values or some of
them changed. The values are checked by `resolve_assignments`, the check a published pipeline's trigger makes, and
the run is recorded by `start_run`, so a re-submit is no second way of starting a run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from duto.facade.publishing import resolve_assignments
from duto.facade.submission import start_run
from duto.graph.spec import PipelineSpec

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun

RESUBMITTED_TAG = "resubmitted_from"  # the tag naming the run a re-submitted run repeats


def resubmit(
    run: PipelineRun,
    parameter_assignments: Mapping[str, Any] | None = None,
    data_path_assignments: Mapping[str, Any] | None = None,
    *,
    decide_reuse: bool = True,
) -> PipelineRun:
    """Start `run`'s pipeline again: its spec and code snapshots as frozen, its experiment, its description, its
    `continue_on_step_failure`, and its parameter values overridden by the assignments (as a trigger's body spells
    them). The new run is tagged `resubmitted_from` with `run`'s id; unchanged steps are reused as ever.

    Raises:
        TriggerError: naming the field at fault (an unknown parameter, a value of the wrong type); nothing starts.
        ExperimentArchivedError: the experiment is archived; nothing is started.
    """
    row = run._row
    spec = PipelineSpec.from_json(row.spec)  # checks the run's spec is one this duto can run
    values = resolve_assignments(run.workspace, dict(row.parameters), parameter_assignments, data_path_assignments)
    return start_run(
        run.workspace,
        spec,
        values,
        run.experiment_name,
        bool(row.continue_on_step_failure),
        False,
        {RESUBMITTED_TAG: run.id},
        description=row.description,
        decide_reuse=decide_reuse,
    )
