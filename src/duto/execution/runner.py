"""The runner: drives one pipeline run from its frozen spec and DB state to a final status.

One loop, one thread: start steps whose upstream finished (up to each target's capacity, counted over the
whole workspace), follow their logs and events while they run, publish their outputs when they succeed.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duto.config import WorkspaceConfig, default_concurrency
from duto.errors import DutoError
from duto.execution.materialize import output_location, prepare
from duto.execution.targets import local
from duto.graph.spec import PipelineSpec, StepSpec
from duto.graph.status import RunStatus
from duto.storage.datastores import DatastoreBackend
from duto.storage.db import Database
from duto.storage.layout import RunLayout, StepLayout
from duto.storage.runs_store import NewEvent, RunsStore
from duto.tracking.ingest import StepEventsReader

log = logging.getLogger("duto.runner")
POLL_SECONDS = 0.25


@dataclass
class StepState:
    spec: StepSpec
    step_run_id: str
    layout: StepLayout
    status: RunStatus = RunStatus.NOT_STARTED
    process: local.LocalProcess | None = None
    reader: StepEventsReader | None = None
    log_size: int = 0
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)


class Runner:
    """Runs one pipeline run to its end; `run()` returns its final status."""

    def __init__(self, root: Path, run_id: str) -> None:
        self.config = WorkspaceConfig.load(root)
        self.store = RunsStore(Database(self.config.resolved_db_url()))
        row = self.store.pipeline_run(run_id)
        self.run_id = row.id
        self.spec = PipelineSpec.from_json(row.spec)
        self.parameters: dict[str, Any] = dict(row.parameters)
        self.continue_on_failure = row.continue_on_step_failure
        self.layout = RunLayout(self.config.runs_dir, self.run_id)
        self.datastores = {
            name: DatastoreBackend(name, settings, self.config.root)
            for name, settings in self.config.datastores.items()
        }
        self.steps: dict[str, StepState] = {}
        for step_row in self.store.step_runs(self.run_id):
            spec = self.spec.step(step_row.name)
            self.steps[spec.name] = StepState(spec, step_row.id, self.layout.step(step_row.id))
        self.stopped_by: str | None = None
        self.failed_steps: list[str] = []
        self.selector = selectors.DefaultSelector()

    # the loop ------------------------------------------------------------------------------------
    def run(self) -> RunStatus:
        self.store.set_run_status(self.run_id, RunStatus.RUNNING, runner_pid=os.getpid())
        try:
            canceled = self._loop()
        except BaseException as exc:
            self._stop_all(RunStatus.CANCELED, "the runner stopped")
            why = f"runner error: {exc.__class__.__name__}: {exc}"
            log.error("%s\n%s", why, traceback.format_exc())
            self.store.set_run_status(self.run_id, RunStatus.FAILED, why)
            if isinstance(exc, Exception):
                return RunStatus.FAILED
            raise
        finally:
            self.selector.close()
        reason: str | None
        if canceled:
            final, reason = RunStatus.CANCELED, "canceled"
        elif self.failed_steps:
            final, reason = RunStatus.FAILED, f"step {self.failed_steps[0]!r} failed"
        else:
            final, reason = RunStatus.FINISHED, None
        self.store.set_run_status(self.run_id, final, reason)
        return final

    def _loop(self) -> bool:
        """Run until every step has ended; True when the run was canceled."""
        while True:
            if self.store.cancel_requested(self.run_id):
                self._stop_all(RunStatus.CANCELED, "the run was canceled")
                return True
            self._reap()
            self._follow()
            self._schedule()
            if all(s.status.is_terminal for s in self.steps.values()):
                return False
            self._wait()

    def _wait(self) -> None:
        if not self.selector.get_map():
            time.sleep(POLL_SECONDS)
            return
        self.selector.select(POLL_SECONDS)

    # scheduling ----------------------------------------------------------------------------------
    def _schedule(self) -> None:
        full: set[str] = set()  # targets that refused a slot in this pass: the steps after wait their turn
        for state in self.steps.values():
            if state.status not in (RunStatus.NOT_STARTED, RunStatus.QUEUED):
                continue
            blocker = self._failed_upstream(state)
            if blocker is not None:
                self._end(state, RunStatus.CANCELED, f"upstream {blocker} failed")
                continue
            if self.stopped_by is not None:
                self._end(
                    state,
                    RunStatus.CANCELED,
                    f"not started: step {self.stopped_by} failed and continue_on_step_failure is False",
                )
                continue
            if any(self.steps[u].status != RunStatus.FINISHED for u in state.spec.upstream):
                continue
            if state.spec.compute_target in full:
                self._mark_queued(state)
            elif not self._try_start(state):
                full.add(state.spec.compute_target)

    def _failed_upstream(self, state: StepState) -> str | None:
        """The first failed step this one waits on, directly or through canceled steps in between."""
        for name in state.spec.upstream:
            upstream = self.steps[name]
            if upstream.status == RunStatus.FAILED:
                return name
            if upstream.status == RunStatus.CANCELED:
                return self._failed_upstream(upstream) or name
        return None

    def _capacity(self, target: str) -> int:
        settings = self.config.compute_targets.get(target, {})
        return int(settings.get("max_concurrency") or default_concurrency())

    def _mark_queued(self, state: StepState) -> None:
        if state.status != RunStatus.QUEUED:
            state.status = RunStatus.QUEUED
            self.store.set_step_status(self.run_id, state.step_run_id, state.spec.name, RunStatus.QUEUED)

    def _try_start(self, state: StepState) -> bool:
        """Start the step if its target has a free slot; False when it has none."""
        spec = state.spec
        if not self.store.claim_slot(
            self.run_id,
            state.step_run_id,
            spec.name,
            spec.compute_target,
            self._capacity(spec.compute_target),
        ):
            self._mark_queued(state)
            return False
        state.status = RunStatus.PREPARING
        try:
            prepared = prepare(
                spec,
                state.layout,
                self.layout.snapshot(spec.snapshot) if spec.snapshot else None,
                self.parameters,
                self.datastores,
                {name: s.outputs for name, s in self.steps.items()},
                (self.run_id, state.step_run_id),
            )
            process = local.start(prepared, state.layout)
        except (DutoError, OSError) as exc:
            self._end(state, RunStatus.FAILED, f"could not start: {exc}")
            return True
        state.process = process
        state.reader = StepEventsReader(state.layout.events, self.run_id, state.step_run_id, spec.name)
        if process.exit_fd is not None:
            self.selector.register(process.exit_fd, selectors.EVENT_READ, state)
        state.status = RunStatus.RUNNING
        self.store.set_step_status(self.run_id, state.step_run_id, spec.name, RunStatus.RUNNING, pid=process.pid)
        return True

    # following running steps ---------------------------------------------------------------------
    def _follow(self) -> None:
        """Store what running steps logged, and point the event stream at new log bytes."""
        log_events: list[NewEvent] = []
        for state in self.steps.values():
            if state.process is None:
                continue
            if state.reader is not None:
                state.reader.ingest(self.store)
            event = self._log_event(state)
            if event is not None:
                log_events.append(event)
        self.store.add_events(self.run_id, log_events)

    def _log_event(self, state: StepState) -> NewEvent | None:
        try:
            size = state.layout.std_log.stat().st_size
        except FileNotFoundError:
            return None
        if size == state.log_size:
            return None
        state.log_size = size
        payload = {"step": state.spec.name, "path": str(state.layout.std_log), "size": size}
        return NewEvent("log", payload, state.step_run_id)

    def _reap(self) -> None:
        for state in self.steps.values():
            if state.process is None:
                continue
            code = state.process.poll()
            if code is None:
                continue
            self._unregister(state)
            if state.reader is not None:
                state.reader.ingest(self.store)
            state.process = None
            if code == 0:
                self._publish(state, code)
            else:
                why = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
                self._end(state, RunStatus.FAILED, why, exit_code=code)

    def _publish(self, state: StepState, code: int) -> None:
        """Move a succeeded step's outputs to their final places, then mark it Finished."""
        spec = state.spec
        try:
            outputs: dict[str, dict[str, str]] = {}
            for output in spec.outputs:
                datastore, path = output_location(output, state.step_run_id, self.config.default_datastore)
                written = state.layout.outputs / output.name
                if not written.exists():
                    written.mkdir(parents=True)
                self.datastores[datastore].publish_folder(written, path)
                outputs[output.name] = {"datastore": datastore, "path": path}
        except OSError as exc:
            self._end(state, RunStatus.FAILED, f"could not publish outputs: {exc}", exit_code=code)
            return
        state.outputs = outputs
        self._end(state, RunStatus.FINISHED, None, exit_code=code, outputs=outputs)

    def _end(self, state: StepState, status: RunStatus, reason: str | None, **fields: Any) -> None:
        """Record a step's final status, with the last pointer to its log in the same transaction."""
        state.status = status
        if status == RunStatus.FAILED:
            self.failed_steps.append(state.spec.name)
            if not self.continue_on_failure and self.stopped_by is None:
                self.stopped_by = state.spec.name
        log_event = self._log_event(state)
        self.store.set_step_status(
            self.run_id,
            state.step_run_id,
            state.spec.name,
            status,
            reason,
            before=[log_event] if log_event is not None else [],
            **fields,
        )

    def _unregister(self, state: StepState) -> None:
        if state.process is not None and state.process.exit_fd is not None:
            self.selector.unregister(state.process.exit_fd)
            state.process.close()

    def _stop_all(self, status: RunStatus, reason: str) -> None:
        """Stop every running step and end every step not yet ended."""
        for state in self.steps.values():
            if state.process is not None:
                state.process.terminate_tree()
                self._unregister(state)
                if state.reader is not None:
                    state.reader.ingest(self.store)
                state.process = None
            if not state.status.is_terminal:
                self._end(state, status, reason)
