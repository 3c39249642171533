"""Runs as users see them: a PipelineRun, its StepRuns, their statuses, logs, metrics and outputs."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from duto.errors import (
    AmbiguousStepError,
    DutoError,
    PipelineRunError,
    StepNotFoundError,
    StepRunError,
)
from duto.facade.port_data import PortDataReference
from duto.facade.step_runs import StepRun, times
from duto.graph.status import TERMINAL, RunStatus
from duto.processes import alive, machine_id, signal_tree
from duto.storage.layout import RunLayout
from duto.storage.lease_store import Holder, holder_of
from duto.storage.runs_store import RunEvent
from duto.tracking.metrics import aggregate, series

if TYPE_CHECKING:
    from duto.facade.experiment import Experiment
    from duto.facade.publishing import PublishedPipeline
    from duto.facade.run_deletion import RunDeletion
    from duto.facade.workspace import Workspace

LOG_TAIL_LINES = 20


def _stop_process(pid: int | None, ticks: int | None, grace_seconds: float = 5.0) -> None:
    """SIGTERM a process (the one that started at `ticks`), then SIGKILL it after the grace period."""
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not alive(pid, ticks):
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + grace_seconds
        while alive(pid, ticks) and time.monotonic() < deadline:
            time.sleep(0.02)


class _Ordered(Protocol):
    """What ordering step runs reads: their ORM objects, or Core rows of these columns (`step_run_fields`)."""

    @property
    def started_at(self) -> datetime | None: ...
    @property
    def position(self) -> int: ...


_Fields = TypeVar("_Fields", bound=_Ordered)


def _newest_first(rows: list[_Fields]) -> list[_Fields]:
    """Step runs newest first, as v1 lists a run's children: those that started, latest start first, then those
    that never did (not yet, reused or canceled), later steps of the pipeline first."""
    started = [r for r in rows if r.started_at is not None]
    started.sort(key=lambda r: (r.started_at or datetime.min, r.position), reverse=True)
    return started + [r for r in reversed(rows) if r.started_at is None]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class PipelineRun:
    """A submitted pipeline run: `PipelineRun(workspace_or_experiment, run_id)` or `PipelineRun.get(ws, id)`."""

    def __init__(self, workspace: Any, run_id: str) -> None:
        self.workspace: Workspace = getattr(workspace, "workspace", workspace)
        self.id = self.workspace.runs_store.pipeline_run_id(run_id)
        self._runner_thread: threading.Thread | None = None

    @staticmethod
    def get(workspace: Workspace, run_id: str) -> PipelineRun:
        return PipelineRun(workspace, run_id)

    @classmethod
    def recorded(cls, workspace: Workspace, run_id: str) -> PipelineRun:
        """The run just recorded with this id, without reading it back."""
        run = cls.__new__(cls)
        run.workspace = workspace
        run.id = run_id
        run._runner_thread = None
        return run

    @property
    def _row(self) -> Any:
        return self.workspace.runs_store.pipeline_run(self.id)

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.workspace.config.runs_dir, self.id)

    @property
    def experiment_name(self) -> str:
        return self.workspace.runs_store.experiment_of(self._row)

    @property
    def experiment(self) -> Experiment:
        """The experiment the run was submitted under."""
        from duto.facade.experiment import Experiment

        return Experiment(self.workspace, self.experiment_name)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._row.parameters)

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._row.tags)

    def get_tags(self) -> dict[str, str]:
        return self.tags

    def get_status(self) -> str:
        return str(self._row.status)

    def get_details(self) -> dict[str, Any]:
        row = self._row
        return {
            "runId": row.id,
            "experiment": self.experiment_name,
            "status": row.status,
            "reason": row.reason,
            **times(row),
            "parameters": dict(row.parameters),
            "tags": dict(row.tags),
            "description": row.description,
        }

    def get_steps(self) -> list[StepRun]:
        """The run's step runs newest first, as in v1 (see `steps_in_order()` for the order they can run in)."""
        return [StepRun(self, row) for row in _newest_first(self.workspace.runs_store.step_runs(self.id))]

    def get_children(
        self,
        recursive: bool = False,
        tags: str | dict[str, str] | None = None,
        properties: Any = None,
        type: str | None = None,
        status: str | None = None,
    ) -> Iterator[StepRun]:
        """The run's step runs, newest first as in v1; with `tags` (a key, or key -> value) or `status`, only those.

        `recursive` changes nothing (a step run has no children of its own); `properties` and `type` are
        accepted for v1 code and filter nothing.
        """
        del recursive, properties, type
        wanted = {tags: None} if isinstance(tags, str) else dict(tags or {})
        for step in self.get_steps():
            if status is not None and step.get_status() != status:
                continue
            held = step.tags
            if all(key in held and (value is None or held[key] == value) for key, value in wanted.items()):
                yield step

    def steps_in_order(self) -> list[StepRun]:
        """The run's step runs in the order they can run in: every step after the steps it depends on."""
        return [StepRun(self, row) for row in self.workspace.runs_store.step_runs(self.id)]

    def find_step_run(self, name: str) -> list[StepRun]:
        """The step runs named `name` (a list, as in v1: two steps may share a name), in the order they can run."""
        return [s for s in self.steps_in_order() if s.name == name]

    def step_run(self, key: str) -> StepRun:
        """The step run `key` addresses: a step-run id, or a step name that only one step of the run has.

        Raises:
            AmbiguousStepError: when several steps have that name; it lists their step-run ids.
            StepNotFoundError: when no step has that id or name; it lists the run's steps.
        """
        steps = self.steps_in_order()
        for step in steps:
            if step.id == key:
                return step
        named = [s for s in steps if s.name == key]
        if len(named) == 1:
            return named[0]
        listed = [(s.id, s.name) for s in steps]
        if named:
            raise AmbiguousStepError(self.id, key, listed, [s.id for s in named])
        raise StepNotFoundError(self.id, key, listed)

    def get_pipeline_output(self, pipeline_output_name: str) -> PortDataReference:
        """The output the pipeline named `pipeline_output_name` (`PipelineData(..., pipeline_output_name=...)`).

        Raises:
            DutoError: when no output has that name, or the step that writes it has not finished.
        """
        declared = {}
        for position, step in enumerate(self._row.spec.get("steps", [])):
            for output in step.get("outputs", []):
                if output.get("pipeline_output_name"):
                    declared[output["pipeline_output_name"]] = (position, output["name"])
        if pipeline_output_name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise DutoError(
                f"run {self.id} has no pipeline output {pipeline_output_name!r}; its pipeline outputs: {known} "
                "(name one with PipelineData(..., pipeline_output_name=...))"
            )
        position, output_name = declared[pipeline_output_name]
        step = self.steps_in_order()[position]  # step runs are made from the spec's steps, in its order
        return step.get_output(output_name).get_port_data_reference()

    def get_metrics(self, recursive: bool = False) -> dict[str, Any]:
        """Metrics logged on the pipeline run; with `recursive`, `{run_id: {name: value}}` for it and each step."""
        metrics = self.workspace.metric_store
        if not recursive:
            return aggregate(metrics.metrics([self.id]))
        # A reused step's metrics are those its original logged; newest first, as get_steps() orders them.
        fields = self.workspace.runs_store.step_run_fields(self.id, "id", "reused_from", "started_at", "position")
        steps = [(r.id, r.reused_from or r.id) for r in _newest_first(fields)]
        rows = metrics.metrics([self.id, *(source for _, source in steps)])
        result = {self.id: aggregate(r for r in rows if r.run_id == self.id)}
        for step_id, source in steps:
            result[step_id] = aggregate(r for r in rows if r.run_id == source)
        return result

    def get_metric_series(self) -> dict[str, Any]:
        """Every point of each metric logged on the pipeline run and on its steps: `{"run": ..., "steps":
        {step key: ...}}`, each as `tracking.metrics.series` shapes it (a reused step's are its original's)."""
        steps = self.steps_in_order()
        source = {s.id: (s._row.reused_from or s.id) for s in steps}
        rows = self.workspace.metric_store.metrics([self.id, *source.values()])
        return {
            "run": series(r for r in rows if r.run_id == self.id),
            "steps": {s.key: series(r for r in rows if r.run_id == source[s.id]) for s in steps},
        }

    def events_after(self, after_id: int = 0, limit: int = 1000) -> list[RunEvent]:
        """The run's events after the one with id `after_id`, in id order, at most `limit` of them."""
        return self.workspace.runs_store.events_after(self.id, after_id, limit)

    def commit_mark(self) -> object:
        """What changes when anything is committed to the workspace's DB, new events of this run among it, read
        without a query; None where that cannot be told (then read `events_after` on a timer)."""
        return self.workspace.database.commit_mark()

    @property
    def driver(self) -> Holder:
        """The runner that holds the run's lease (see `Holder.live()` for whether it still drives it)."""
        return holder_of(self._row)

    def cancel(self) -> None:
        """Stop the run: running steps are stopped (within 5 s), steps not started end Canceled.

        With no live runner to do it, the run is ended here, and what its steps left running is stopped.
        """
        store = self.workspace.runs_store
        store.request_cancel(self.id)
        row = self._row
        if row.status in TERMINAL or holder_of(row).live():
            return
        for step in store.step_runs(self.id):
            if step.pid is not None and step.pid_start_ticks is not None and alive(step.pid, step.pid_start_ticks):
                signal_tree(step.pid, signal.SIGKILL)
        store.cancel_unstarted(self.id, "canceled (no runner was driving the run)")

    def resume(self, force: bool = False) -> bool:
        """Have a runner take the run over when no live runner drives it; True when one was started.

        Finished steps stay finished; steps that were going run again. False when the run has ended or a
        live runner drives it. With `force`, a runner of this machine that holds the run but is stuck is
        stopped first (SIGTERM, then SIGKILL).

        Raises:
            PipelineRunError: with `force`, when the runner holding it runs on another machine.
        """
        row = self._row
        if row.status in TERMINAL:
            return False
        holder = holder_of(row)
        if holder.live():
            if not force:
                return False
            if holder.machine != machine_id():
                raise PipelineRunError(
                    self.id,
                    row.status,
                    f"{holder.describe()} holds it; it cannot be stopped from here: stop it there, or wait for "
                    "its lease to run out",
                )
            _stop_process(holder.pid, holder.start_ticks)
        from duto.execution.launcher import start_runner, uses_dask

        dask = uses_dask(self.workspace.config.compute_targets, row.spec)
        self._runner_thread = start_runner(self.workspace.root, self.layout, dask)
        return True

    def wait_for_completion(
        self, show_output: bool = True, timeout_seconds: float = sys.maxsize, raise_on_error: bool = True
    ) -> str:
        """Follow the run until it ends; returns its final status.

        Raises:
            StepRunError: with `raise_on_error`, for the first step that failed.
            RunTimeoutError: when the run is still going after `timeout_seconds`.
            KeyboardInterrupt: on Ctrl-C, once it has said on stderr that the run goes on and how to follow or
                cancel it; only the waiting stops.
        """
        try:
            # The import inside: it takes a while on a loaded machine, and a Ctrl-C then says the same.
            from duto.facade.watching import follow_run

            status = follow_run(self, show_output=show_output, timeout_seconds=timeout_seconds)
        except KeyboardInterrupt:
            print(stopped_following(self.id), file=sys.stderr, flush=True)
            raise
        if self._runner_thread is not None and status in TERMINAL:
            self._runner_thread.join()
        if raise_on_error and status != RunStatus.FINISHED.value:
            self.raise_for_failure()
        return status

    def delete(self, force: bool = False) -> RunDeletion:
        """Delete this run for real: its records, its folder and the outputs it published that no kept run uses.

        Outputs a kept run reused stay (its history keeps saying where they came from); what the run held in
        the content store becomes unreferenced, and `cache gc` reclaims it. Not in Azure's v1 SDK, whose runs
        cannot be deleted; see `duto.facade.run_deletion`.

        Raises:
            RunNotEndedError: when the run has not ended and `force` is False (cancel it first).
        """
        from duto.facade.run_deletion import delete_runs

        return delete_runs(self.workspace, [self.id], force=force)[0]

    def publish_pipeline(
        self,
        name: str,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> PublishedPipeline:
        """Publish this run's own spec and parameter values as a PublishedPipeline (they become its defaults).

        `continue_on_step_failure` defaults to the run's.
        """
        from duto.facade.publishing import publish_run

        return publish_run(self, name, description, version, continue_on_step_failure)

    def raise_for_failure(self) -> None:
        """Raise the error that ended this run: the first failed step's, else the run's own reason."""
        failed = [s for s in self.get_steps() if s.get_status() == RunStatus.FAILED.value]
        if failed:
            step = failed[0]
            raise StepRunError(step.name, step.exit_code, log_tail(step.layout.std_log), self.id, step.reason or "")
        row = self._row
        if row.status != RunStatus.FINISHED.value:
            raise PipelineRunError(self.id, row.status, row.reason or "")

    def __repr__(self) -> str:
        return f"PipelineRun(id={self.id!r}, status={self.get_status()!r})"


def stopped_following(run_id: str) -> str:
    """What a follower stopped by Ctrl-C says: the run goes on, and how to follow or stop it again."""
    return (
        f"stopped following; run {run_id} goes on: `duto logs {run_id} --follow` follows it again, "
        f"`duto runs cancel {run_id}` stops it (from Python: `run.wait_for_completion()`, `run.cancel()`)"
    )
