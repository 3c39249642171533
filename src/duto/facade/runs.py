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
from typing import TYPE_CHECKING, Any

from duto.errors import (
    AmbiguousStepError,
    DutoError,
    PipelineRunError,
    RunNotFoundError,
    StepNotFoundError,
    StepRunError,
)
from duto.facade.port_data import PortDataReference, StepRunOutput
from duto.graph.status import TERMINAL, RunStatus
from duto.processes import alive, machine_id, signal_tree
from duto.storage.layout import RunLayout, StepLayout
from duto.storage.lease_store import Holder, holder_of
from duto.storage.models import Event
from duto.storage.models import StepRun as StepRunRow
from duto.tracking.metrics import aggregate

if TYPE_CHECKING:
    from duto.facade.experiment import Experiment
    from duto.facade.publishing import PublishedPipeline
    from duto.facade.run_deletion import RunDeletion
    from duto.facade.workspace import Workspace

LOG_TAIL_LINES = 20


def _times(row: Any) -> dict[str, str | None]:
    """A run row's start and end times as v1's details give them."""
    return {
        "startTimeUtc": row.started_at.isoformat() if row.started_at else None,
        "endTimeUtc": row.ended_at.isoformat() if row.ended_at else None,
    }


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


def _newest_first(rows: list[StepRunRow]) -> list[StepRunRow]:
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
        row = self.workspace.runs_store.pipeline_run(run_id)
        self.id = row.id
        self._runner_thread: threading.Thread | None = None

    @staticmethod
    def get(workspace: Workspace, run_id: str) -> PipelineRun:
        return PipelineRun(workspace, run_id)

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
            **_times(row),
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
        store = self.workspace.runs_store
        if not recursive:
            return aggregate(store.metrics([self.id]))
        steps = self.get_steps()
        # A reused step's metrics are those its original logged.
        source = {s.id: (s._row.reused_from or s.id) for s in steps}
        rows = store.metrics([self.id, *source.values()])
        result = {self.id: aggregate(r for r in rows if r.run_id == self.id)}
        for step in steps:
            result[step.id] = aggregate(r for r in rows if r.run_id == source[step.id])
        return result

    def events_after(self, after_id: int = 0, limit: int = 1000) -> list[Event]:
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
        from duto.facade.watching import follow_run, stopped_following

        try:
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


JOB_LOG_EVENTS = ("step_status", "reuse_decision")


class StepRun:
    """One step's run inside a pipeline run."""

    def __init__(self, parent: PipelineRun, row: StepRunRow) -> None:
        self.parent = parent
        self.id = row.id
        self.name = row.name
        self._cached = row

    @property
    def _row(self) -> StepRunRow:
        if self._cached.status not in TERMINAL:
            self._cached = self.parent.workspace.runs_store.step_run(self.id)
        return self._cached

    @property
    def key(self) -> str:
        """The step's key in the run's spec: its name, or `name#2`... when an earlier step has that name too.

        Runs of the same pipeline give a step the same key, so it tells which step of another run is this one.
        """
        steps = self.parent._row.spec.get("steps", [])
        position = self._cached.position
        return str(steps[position].get("key") or self.name) if position < len(steps) else self.name

    @property
    def layout(self) -> StepLayout:
        return self.parent.layout.step(self.id)

    @property
    def experiment(self) -> Experiment:
        """The experiment of the pipeline run this step belongs to."""
        return self.parent.experiment

    @property
    def input_datasets(self) -> dict[str, str]:
        """The local path each named input of the step was given (the original's, when reused); {} before the
        step was prepared."""
        import json

        origin = self.reused_from
        if origin is not None:
            return origin.input_datasets
        try:
            return dict(json.loads(self.layout.inputs_map.read_text()))
        except FileNotFoundError:
            return {}

    def get_children(self, recursive: bool = False, **filters: Any) -> Iterator[StepRun]:
        """None: a step run has no runs of its own (v1's AutoML and HyperDrive children have no duto kin)."""
        del recursive, filters
        return iter(())

    @property
    def reason(self) -> str | None:
        return self._row.reason

    @property
    def exit_code(self) -> int | None:
        return self._row.exit_code

    @property
    def compute_target(self) -> str:
        return self._cached.compute_target  # fixed at submit: no need to read the row again

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._row.tags)

    def get_status(self) -> str:
        """Finished for a reused step too, as in v1; `is_reused` tells the two apart."""
        return str(self._row.status)

    @property
    def is_reused(self) -> bool:
        return self._row.reused_from is not None

    @property
    def reused_from(self) -> StepRun | None:
        """The step run whose outputs, logs and metrics this reused step run stands for; None when not reused,
        or when that step run was deleted (`get_reuse_info()` still says which it was)."""
        origin = self._row.reused_from
        if origin is None:
            return None
        try:
            row = self.parent.workspace.runs_store.step_run(origin)
        except RunNotFoundError:
            return None
        return StepRun(PipelineRun(self.parent.workspace, row.pipeline_run_id), row)

    def _origin_info(self) -> dict[str, Any] | None:
        """Where this step run was reused from, also when that run has been deleted since."""
        origin_id = self._row.reused_from
        if origin_id is None:
            return None
        origin = self.reused_from
        if origin is not None:
            return {"run_id": origin.parent.id, "step_run_id": origin.id, "step": origin.name}
        from duto.storage.deletion_store import DeletionStore

        tombstone = DeletionStore(self.parent.workspace.database).tombstone(origin_id)
        return {
            "run_id": tombstone.pipeline_run_id if tombstone else None,
            "step_run_id": origin_id,
            "step": tombstone.name if tombstone else self.name,
            "deleted": True,
        }

    @property
    def fingerprint(self) -> str | None:
        return self._row.fingerprint

    def get_reuse_info(self) -> dict[str, Any]:
        """Whether this step run was reused and from where, or why it ran, with its fingerprint's parts."""
        row = self._row
        origin = self._origin_info()
        return {
            "is_reused": origin is not None,
            # {run_id, step_run_id, step}, and `deleted: True` when that run was deleted since (its logs and
            # metrics went with it; the outputs this run reused stay).
            "reused_from": origin,
            "fingerprint": row.fingerprint,
            "reasons": [] if origin is not None else list(row.reasons or []),
            "explanation": row.reason if origin is not None else "; ".join(row.reasons or []),
            "components": row.components,
        }

    def get_details(self) -> dict[str, Any]:
        row = self._row
        return {
            "runId": row.id,
            "name": row.name,
            "isReused": row.reused_from is not None,
            "status": row.status,
            "reason": row.reason,
            "exitCode": row.exit_code,
            "target": row.compute_target,
            **_times(row),
            "outputs": dict(row.outputs),
            "tags": dict(row.tags),
        }

    def get_stdout_log(self, attempt: int | None = None) -> str:
        """The step's combined stdout and stderr, as written so far (the original's, when reused).

        Args:
            attempt: an earlier attempt's log (they are kept when a step runs again); the current one's when None.
        """
        origin = self.reused_from
        if origin is not None:
            return origin.get_stdout_log(attempt)
        if self.is_reused:
            return ""  # the run it reused was deleted, and its log with it
        path = self.layout.std_log
        if attempt is not None and attempt != self._row.attempt:
            kept = [a["attempt"] for a in self.attempts]
            if attempt not in kept:
                raise DutoError(
                    f"step {self.name!r} has no attempt {attempt} kept; it has "
                    + (
                        ", ".join(map(str, kept)) + f" and the current one, {self._row.attempt}"
                        if kept
                        else f"only its current one, {self._row.attempt}"
                    )
                )
            path = self.layout.attempt(attempt) / "std_log.txt"
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def read_log(self, offset: int = 0, length: int | None = None) -> tuple[bytes, int]:
        """Bytes of the step's current log from `offset` (at most `length` of them), and the log's size so far.

        The original's log when reused; nothing (size 0) before the step wrote one, or when the run it reused
        was deleted. An offset past the end gives no bytes.
        """
        origin = self.reused_from
        if origin is not None:
            return origin.read_log(offset, length)
        if self.is_reused:
            return b"", 0
        try:
            with self.layout.std_log.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if offset >= size:
                    return b"", size
                handle.seek(max(0, offset))
                return handle.read(-1 if length is None else max(0, length)), size
        except FileNotFoundError:
            return b"", 0

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """The attempts that ended before the current one (retried, or interrupted by a runner stopping)."""
        return list(self._row.attempts or [])

    def get_details_with_logs(self) -> dict[str, Any]:
        return {**self.get_details(), "logFiles": {"std_log.txt": self.get_stdout_log()}}

    def get_metrics(self) -> dict[str, Any]:
        """What the step logged (what the original logged, when reused)."""
        return aggregate(self.parent.workspace.runs_store.metrics([self._row.reused_from or self.id]))

    def get_job_log(self) -> str:
        """How the step run went, one line a change: queued, preparing, running, the reuse decision, its end.

        v1's job log tells how the service ran the job; duto's is the step's events, in the order they came.
        """
        lines = []
        for event in self.parent.workspace.runs_store.step_events(self.parent.id, self.id, JOB_LOG_EVENTS):
            stamp = datetime.fromtimestamp(event.created_at).astimezone().isoformat(timespec="milliseconds")
            payload = event.payload
            if event.kind == "reuse_decision":
                why = "; ".join(payload.get("reasons") or []) or "no reason to run again"
                text = f"fingerprint {payload.get('fingerprint')}: {why}"
            else:
                text = payload["status"]
                if payload.get("reused_from"):
                    text += f" (reused {payload['reused_from']})"
                if payload.get("exit_code") is not None:
                    text += f" (exit code {payload['exit_code']})"
                if payload.get("reason"):
                    text += f": {payload['reason']}"
            lines.append(f"{stamp}  {text}\n")
        return "".join(lines)

    def get_outputs(self) -> dict[str, StepRunOutput]:
        """Every output the step declares, by name: `get_outputs()["model"].get_port_data_reference()`."""
        return {o["name"]: StepRunOutput(self, o["name"], o) for o in self._declared_outputs()}

    def get_output(self, name: str) -> StepRunOutput:
        """The output `name` of the step.

        Raises:
            DutoError: when the step declares no output of that name.
        """
        for declared in self._declared_outputs():
            if declared["name"] == name:
                return StepRunOutput(self, name, declared)
        known = ", ".join(o["name"] for o in self._declared_outputs()) or "none"
        raise DutoError(f"step {self.name!r} has no output {name!r}; its outputs: {known}")

    def _declared_outputs(self) -> list[dict[str, Any]]:
        """The step's outputs as the run's spec declares them."""
        steps = self.parent._row.spec.get("steps", [])
        position = self._cached.position
        return list(steps[position].get("outputs", [])) if position < len(steps) else []

    def get_output_data(self, name: str) -> PortDataReference:
        """The published output `name` of this step run.

        Raises:
            DutoError: when the step has no output `name`, or has not published it (it has not finished).
        """
        outputs = self._row.outputs
        if name not in outputs:
            known = ", ".join(sorted(outputs)) or "none (the step has not finished)"
            raise DutoError(f"step {self.name!r} has no output {name!r}; its outputs: {known}")
        location = outputs[name]
        return PortDataReference(
            self.parent.workspace, name, location["datastore"], location["path"], location.get("digest")
        )

    def output_folders(self) -> dict[str, Path]:
        """Where each output the step published is on this machine, by name ({} before it finished)."""
        return {name: self.get_output_data(name).local_path for name in self._row.outputs}

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, status={self.get_status()!r})"
