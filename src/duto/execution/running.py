"""The steps a runner has running: their processes on their compute targets, what they log, their time
limits, their ends, and stopping them.

The runner decides what runs and what an ended attempt means (commit, retry, fail); this module only starts,
watches and stops the processes, and reports how each ended.
"""

from __future__ import annotations

import logging
import os
import selectors
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from duto.config import WorkspaceConfig
from duto.execution.attempts import failures_in
from duto.execution.materialize import Interpreter, PreparedStep, write_inputs_map
from duto.execution.targets import local
from duto.execution.targets.handle import StepHandle
from duto.execution.targets.in_runner import InRunnerStep
from duto.execution.targets.node_group import NodeGroup
from duto.execution.transfer import TransferPlan
from duto.graph.spec import StepSpec
from duto.graph.status import RunStatus
from duto.processes import start_ticks
from duto.storage.cas import ContentStore, workspace_content_store
from duto.storage.datastores import DatastoreBackend
from duto.storage.hashing import FileState
from duto.storage.layout import StepLayout
from duto.storage.runs_store import NewEvent, RunsStore
from duto.tracking.ingest import StepEventsReader
from duto.tracking.parallel_driver import ALL_NODES, NODE_ENV

log = logging.getLogger("duto.runner")
POLL_SECONDS = 0.25
# How long a step being stopped (canceled, timed out, its runner leaving) has between SIGTERM and SIGKILL.
STOP_GRACE_SECONDS = 3.0


@dataclass
class StepState:
    spec: StepSpec
    step_run_id: str
    layout: StepLayout
    status: RunStatus = RunStatus.NOT_STARTED
    process: StepHandle | None = None
    reader: StepEventsReader | None = None
    log_size: int = 0
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    fingerprint: str | None = None
    components: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)
    claimed: bool = False
    interpreter: Interpreter | None = None
    watched: dict[str, FileState] = field(default_factory=dict)
    # The stat of each local dataset file as its decision hashed it, and when (time.monotonic()): the watch
    # starts from it when the step starts soon after (see `mounted_states`).
    hashed_states: dict[str, FileState] = field(default_factory=dict)
    decided_at: float = 0.0
    # Decided, and the decision not yet written: it goes with the step's next write (see Runner._decision_record).
    decision_unrecorded: bool = False
    # Its folder made ahead for its next attempt while the steps it waits on ran (see execution/ahead.py), and
    # whether that was tried (a failure is left for `prepare` to meet again).
    laid_out: bool = False
    ahead_tried: bool = False
    # The folders its outputs are published into, made while it ran (see RunningSteps.start, ahead.tidy_ended)
    publish_folders: list[Path] = field(default_factory=list)
    attempt: int = 0  # attempts started so far
    attempts: list[dict[str, Any]] = field(default_factory=list)  # ended (and kept) attempts before this one
    started_at: float | None = None  # the current attempt's start, time.time()
    deadline: float | None = None  # time.monotonic() past which the current attempt has run too long
    ending: str | None = None  # why the runner stops the current attempt, once it does (a timeout)
    retry_at: float | None = None  # time.monotonic() at which the next attempt may start


@dataclass(frozen=True)
class Ended:
    """An attempt whose process has ended: its exit code (negative: the signal), and what its target says."""

    state: StepState
    code: int
    target_reason: str | None


class RunningSteps:
    """The running steps of one run, by name."""

    def __init__(self, config: WorkspaceConfig, store: RunsStore, run_id: str) -> None:
        self.config = config
        self.store = store
        self.run_id = run_id
        self.states: dict[str, StepState] = {}
        self.selector = selectors.DefaultSelector()
        self.targets: dict[str, Any] = {}  # compute targets other than local, opened when a step needs one
        self.cas = workspace_content_store(config.duto_dir)  # where the models steps register are stored

    def start(self, state: StepState, prepared: PreparedStep | TransferPlan, folders: Sequence[Path] = ()) -> None:
        """Start the step's next attempt on its target; record it Running. Once its process runs, its inputs.json
        is written and the `folders` its outputs are published into are made (see `ahead.tidy_ended`).

        Raises:
            DutoError, OSError: the target could not start it.
        """
        spec = state.spec
        process = self._start_on_target(prepared, state)
        try:
            if isinstance(prepared, PreparedStep):
                write_inputs_map(prepared, state.layout)
            for folder in folders:
                if not folder.is_dir():  # only a folder made here is removed again (if the step does not finish)
                    folder.mkdir(parents=True, exist_ok=True)
                    state.publish_folders.append(folder)
        except OSError as exc:  # the step has what it needs: its map inline, and a commit makes what is missing
            log.warning("step %s: inputs.json or a folder to publish into was not made (%s)", spec.name, exc)
        state.process = process
        state.attempt += 1
        state.started_at = time.time()
        state.deadline = None if spec.timeout_seconds is None else time.monotonic() + spec.timeout_seconds
        state.ending = None
        state.reader = StepEventsReader(state.layout.events, self.run_id, state.step_run_id, spec.name, cas=self.cas)
        state.log_size = 0
        if process.exit_fd is not None:
            self.selector.register(process.exit_fd, selectors.EVENT_READ, state)
        self.states[spec.key] = state
        state.status = RunStatus.RUNNING
        self.store.set_step_status(
            self.run_id,
            state.step_run_id,
            spec.name,
            RunStatus.RUNNING,
            _attempt_note(state),
            pid=process.pid,
            pid_start_ticks=None if process.pid is None else start_ticks(process.pid),
            attempt=state.attempt,
        )

    def _start_on_target(self, prepared: PreparedStep | TransferPlan, state: StepState) -> StepHandle:
        if isinstance(prepared, TransferPlan):
            return InRunnerStep(prepared)  # duto's own work: on a thread of the runner, whatever the target
        nodes = int((state.spec.parallel_run or {}).get("node_count", 1))
        local_target = self.config.compute_targets.get(state.spec.compute_target, {}).get("kind", "local") == "local"
        if nodes > 1 and not local_target:  # a ParallelRunStep's nodes: the same command, each told its number
            return NodeGroup([self._start_node(prepared, state, node) for node in range(nodes)])
        if nodes > 1:  # on this machine, one node process runs the workers of every node, as one process tree
            prepared = replace(prepared, env={**prepared.env, NODE_ENV: ALL_NODES})
        return self._start_node(prepared, state, 0)

    def _start_node(self, prepared: PreparedStep, state: StepState, node: int) -> StepHandle:
        """Start one process of the step on its target; a node after the first has a folder of its own (its log,
        and its target's files) under the step's."""
        layout = state.layout
        if node:
            layout = StepLayout(state.layout.root / "nodes" / str(node))
            layout.root.mkdir(parents=True, exist_ok=True)
            prepared = replace(prepared, env={**prepared.env, NODE_ENV: str(node)})
        settings = self.config.compute_targets.get(state.spec.compute_target, {})
        if settings.get("kind", "local") == "local":
            return local.start(prepared, layout)
        target = self.targets.get(state.spec.compute_target)
        if target is None:
            # The Dask target is the one module that imports dask, loaded only when a run uses it.
            from duto.execution.targets.dask_target import DaskTarget

            target = self.targets[state.spec.compute_target] = DaskTarget(state.spec.compute_target, settings)
        handle: StepHandle = target.start(prepared, layout)
        return handle

    def follow(self) -> None:
        """Store what running steps logged, and point the event stream at new log bytes."""
        log_events: list[NewEvent] = []
        for state in self.states.values():
            if state.reader is not None:
                state.reader.ingest(self.store)
            event = log_event(state)
            if event is not None:
                log_events.append(event)
        self.store.add_events(self.run_id, log_events)

    def enforce_limits(self) -> None:
        """Stop attempts that have run past their step's max_run_duration_seconds."""
        now = time.monotonic()
        for state in self.states.values():
            if state.deadline is not None and state.ending is None and now >= state.deadline:
                assert state.process is not None  # only started steps are running
                state.ending = f"timed out after {state.spec.timeout_seconds:g} s (max_run_duration_seconds)"
                state.process.stop(STOP_GRACE_SECONDS)

    def reap(self) -> list[Ended]:
        """The attempts that have ended since the last call; what they logged last is stored."""
        ended = []
        for state in list(self.states.values()):
            assert state.process is not None  # only started steps are running
            code = state.process.poll()
            if code is None:
                continue
            reason = state.process.reason
            self._release(state)
            if state.reader is not None:
                state.reader.ingest(self.store)
            ended.append(Ended(state, code, reason))
        return ended

    def next_deadline(self) -> float | None:
        deadlines = [s.deadline for s in self.states.values() if s.deadline is not None and s.ending is None]
        return min(deadlines, default=None)

    def wait(self, timeout: float) -> None:
        """Sleep until a step ends (where its target tells at once) or `timeout` seconds pass."""
        if not self.selector.get_map():
            time.sleep(timeout)
            return
        self.selector.select(timeout)

    def stop_all(self, record: bool = True) -> list[StepState]:
        """Stop every running step's process tree at once, SIGKILL what is left after the grace period, and
        wait until all are gone; with `record`, store what they logged. Returns the steps it stopped."""
        for state in self.states.values():
            if state.process is not None:
                state.process.stop(STOP_GRACE_SECONDS)
        deadline = time.monotonic() + STOP_GRACE_SECONDS + 2.0
        while any(s.process is not None and s.process.poll() is None for s in self.states.values()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        stopped = list(self.states.values())
        for state in stopped:
            self._release(state)
            if record and state.reader is not None:
                state.reader.ingest(self.store)
        return stopped

    def _release(self, state: StepState) -> None:
        """Forget a step's process: its descriptor, its handle, its place among the running."""
        if state.process is not None:
            if state.process.exit_fd is not None:
                self.selector.unregister(state.process.exit_fd)
            state.process.close()
            state.process = None
        self.states.pop(state.spec.key, None)

    def close(self) -> None:
        self.selector.close()
        for target in self.targets.values():
            target.close()


def log_event(state: StepState) -> NewEvent | None:
    """A pointer at the new end of a step's log, when it grew since the last."""
    try:
        size = state.layout.std_log.stat().st_size
    except FileNotFoundError:
        return None
    if size == state.log_size:
        return None
    state.log_size = size
    payload = {"step": state.spec.name, "path": str(state.layout.std_log), "size": size, "attempt": state.attempt}
    return NewEvent("log", payload, state.step_run_id)


def _attempt_note(state: StepState) -> str | None:
    """What a started attempt's status says when it is not the first: a retry, or after an interruption."""
    if state.attempt <= 1 or not state.attempts:
        return None
    last = state.attempts[-1]
    if last.get("outcome") == "failed":
        return f"attempt {state.attempt}: retry {failures_in(state.attempts)} of {state.spec.max_retries}"
    return f"attempt {state.attempt}: attempt {last['attempt']} was interrupted (its runner stopped)"


def mounted_states(paths: list[str], hashed: Mapping[str, FileState] | None = None) -> dict[str, FileState]:
    """The stat of each input file a step reads in place, to tell afterwards whether it changed them: the one
    its digest stands for where `hashed` has it (taken moments before, when the step's inputs were hashed),
    else taken now."""
    known = hashed or {}
    return {p: known.get(p) or FileState.of(os.stat(p)) for p in paths}


def changed_input(watched: Mapping[str, FileState | None]) -> str | None:
    """The first mounted input file whose stat is no longer the one it had when the step started."""
    for path, before in watched.items():
        try:
            now = FileState.of(os.stat(path))
        except FileNotFoundError:
            now = None
        if now != before:
            return path
    return None


def evict_changed(
    path: str,
    outputs: Iterable[Mapping[str, Any]],
    datastores: Mapping[str, DatastoreBackend],
    cas: ContentStore,
) -> None:
    """Evict the stored blob of a published output file a step changed in place: it shares the file's inode."""
    for output in outputs:
        if not datastores[output["datastore"]].is_local or output.get("stored_in"):
            continue  # given to steps as copies, or kept on its datastore with no blob behind it
        root = datastores[output["datastore"]].local_path(output["path"])
        if path == str(root) or path.startswith(f"{root}/"):
            rel = os.path.relpath(path, root)
            blob = cas.files_of(output["digest"]).get("" if rel == "." else rel, "")
            cas.evict_blob(blob)


def failed_upstream(steps: Mapping[str, StepState], state: StepState) -> str | None:
    """The first failed step `state` waits on, directly or through canceled steps in between."""
    for name in state.spec.upstream:
        upstream = steps[name]
        if upstream.status == RunStatus.FAILED:
            return name
        if upstream.status == RunStatus.CANCELED:
            return failed_upstream(steps, upstream) or name
    return None


def upstream_failed(step: str) -> str:
    """Why a step did not start: `step`, upstream of it, failed."""
    return f"upstream {step!r} failed"
