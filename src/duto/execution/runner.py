"""The runner: drives one pipeline run from its frozen spec and DB state to a final status.

One loop, one thread. The runner holds the run by a lease it renews (see execution/lease.py); a runner that
takes over a run whose runner stopped goes on from what the DB says (execution/recovery.py). A step whose
upstream steps finished gets a fingerprint; a fingerprint that a finished step run with intact outputs already
has is reused without executing. Otherwise the step claims the fingerprint (a second run reaching it waits,
then reuses), takes a slot on its target (counted over the whole workspace) and runs, an attempt at a time:
a failed attempt starts again as its retry policy says, one that runs too long is stopped. The outputs of a
succeeded attempt are committed once (execution/commit.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duto.config import WorkspaceConfig
from duto.errors import DutoError, LeaseLostError
from duto.execution.ahead import lay_out_ahead_of, tidy_ended
from duto.execution.attempts import (
    RetryPolicy,
    archive_attempt,
    ended_attempt,
    exit_reason,
    failures_in,
    note_in_log,
)
from duto.execution.commit import CommitError, lay_out, publish_folders, stage_outputs
from duto.execution.decisions import Decision, ReuseDecisions, RunContext, quick_to_decide
from duto.execution.interpreters import Building, Interpreters
from duto.execution.lease import RunLease
from duto.execution.materialize import InputDigests, InputError, prepare, write_inputs_map
from duto.execution.parallel_run import PARALLEL_RUN, THRESHOLD_EXIT, assemble
from duto.execution.parallel_run import plan_attempt as plan_parallel_run
from duto.execution.recovery import GOING, recover
from duto.execution.registration import register_outputs
from duto.execution.running import (
    POLL_SECONDS,
    RunningSteps,
    StepState,
    changed_input,
    evict_changed,
    failed_upstream,
    log_event,
    mounted_states,
    upstream_failed,
)
from duto.execution.transfer import DATA_TRANSFER, RESULT_FILE, TransferPlan, transfer_key
from duto.graph.spec import PipelineSpec
from duto.graph.status import RunStatus
from duto.storage.asset_store import AssetStore, Producer
from duto.storage.cas import workspace_content_store
from duto.storage.datastores import DatastoreBackend
from duto.storage.db import Database
from duto.storage.layout import RunLayout
from duto.storage.lease_store import LeaseStore
from duto.storage.models import StepRun
from duto.storage.reuse_store import Entry, ReuseStore
from duto.storage.runs_store import NewEvent, RunsStore, StepChange

log = logging.getLogger("duto.runner")
# How long the submit-time reuse pass may spend re-hashing files whose stat changed, and how many bytes it may
# read; what would take longer is left to the runner, so that submit always returns at once. A file past the
# byte budget is not read at all: hashing it here until the deadline would throw that work away, the runner
# would read it all again, and it would start only after the deadline (a 1 GiB input paid both, twice the
# hashing and up to half a second more, on every first run and every run after a touch).
SUBMIT_HASHING_SECONDS = 0.5
SUBMIT_HASHING_BYTES = 64 * 1024 * 1024
# How often the loop reads whether the run was canceled (a cancel stops running steps within a few seconds).
CANCEL_CHECK_SECONDS = 0.2
# How long after its decision a starting step's watch may begin from the stats the decision hashed by.
HASHED_STATES_FRESH_SECONDS = 2.0


class RunnerStopped(Exception):
    """The runner was told to stop (SIGTERM): its steps stop and the run waits for another runner."""


class Runner:
    """Runs one pipeline run to its end; `run()` returns its final status."""

    def __init__(self, root: Path, run_id: str) -> None:
        self.config = WorkspaceConfig.load(root)
        db = Database(self.config.resolved_db_url())
        self.store = RunsStore(db)
        self.reuse = ReuseStore(db)
        self.assets = AssetStore(db)
        self.cas = workspace_content_store(self.config.duto_dir)
        row = self.store.pipeline_run(run_id)
        self.run_id = row.id
        self.lease = RunLease(LeaseStore(db), self.run_id)
        self.experiment_id = row.experiment_id
        self.experiment_name = self.store.experiment_of(row)
        self.created_at = row.created_at
        self.spec = PipelineSpec.from_json(row.spec)
        self.parameters: dict[str, Any] = dict(row.parameters)
        self.continue_on_failure = row.continue_on_step_failure
        self.regenerate = row.regenerate_outputs
        self.layout = RunLayout(self.config.runs_dir, self.run_id)
        self.datastores = {
            name: DatastoreBackend(name, settings, self.config.root)
            for name, settings in self.config.datastores.items()
        }
        self.steps: dict[str, StepState] = {}
        self._load_steps(self.store.step_runs(self.run_id))
        self.dependents: dict[str, list[str]] = {name: [] for name in self.steps}
        self.pending: dict[str, set[str]] = {}
        for name, state in self.steps.items():
            for upstream in state.spec.upstream:
                self.dependents[upstream].append(name)
            self.pending[name] = {u for u in state.spec.upstream if self.steps[u].status != RunStatus.FINISHED}
        # Steps move ready -> (awaiting a fingerprint claim) -> a target's queue -> running (-> retrying).
        self.ready: deque[str] = deque(
            n for n, s in self.steps.items() if not s.status.is_terminal and not self.pending[n]
        )
        self.awaiting_claim: list[str] = []
        self.queues: dict[str, deque[str]] = {}
        self.running = RunningSteps(self.config, self.store, self.run_id)
        self.retrying: list[str] = []
        self.stopped_by: str | None = None
        self.failed_steps = [n for n, s in self.steps.items() if s.status == RunStatus.FAILED]
        context = RunContext(
            self.run_id,
            self.experiment_id,
            self.created_at,
            self.parameters,
            self.regenerate,
            self.config.default_datastore,
        )
        self.decisions = ReuseDecisions(context, self.reuse, self.cas, self.datastores)
        self.interpreters = Interpreters(self.config)
        self.awaiting_env: list[str] = []
        self.ends_unwritten: list[StepChange] | None = None  # see _ends_written_together
        self.claimed_in_commit: list[StepState] = []  # given a slot in a step's commit, started after it (_commit)
        self.scheduling = False

    def _load_steps(self, rows: list[StepRun]) -> None:
        """The steps' states from their rows; a step that was going (its runner stopped) is not started."""
        self.rows = rows
        self.executed: set[str] = set()  # steps of this run that executed rather than being reused
        for step_row in rows:
            spec = self.spec.steps[step_row.position]  # rows are made from the spec's steps, in its order
            state = self.steps.get(spec.key) or StepState(spec, step_row.id, self.layout.step(step_row.id))
            if step_row.status in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELED):
                state.status = RunStatus(step_row.status)
                state.outputs = dict(step_row.outputs)
                if step_row.status == RunStatus.FINISHED and step_row.reused_from is None:
                    self.executed.add(spec.key)
            state.attempt = step_row.attempt
            state.attempts = list(step_row.attempts or [])
            self.steps[spec.key] = state

    # the run's life ------------------------------------------------------------------------------
    def run(self) -> RunStatus:
        """Take the run's lease and drive the run to its end; a run another live runner drives is left to it."""
        taken = self.lease.acquire()
        if not taken.taken:
            row = self.store.pipeline_run(self.run_id)
            who = "it has ended" if taken.previous is None else f"{taken.previous.describe()} drives it"
            log.info("run %s not taken: %s", self.run_id, who)
            return RunStatus(row.status)
        try:
            self.cas.remove_strays()  # what writers that are gone left half-written in the store
            if any(r.status in GOING for r in self.rows):
                recover(self.rows, self.run_id, self.layout, self.store, self.reuse, self.cas, self.datastores)
                self._load_steps(self.store.step_runs(self.run_id))
            self.store.set_run_status(self.run_id, RunStatus.RUNNING, runner_pid=os.getpid())
            canceled = self._loop()
            # The run is over once its steps are: its status is recorded before what it used is released.
            status = self._finish(canceled)
            self.lease.release()
            return status
        except LeaseLostError as exc:
            log.warning("%s; its steps stop here and that runner goes on", exc)
            self.running.stop_all(record=False)
            return RunStatus(self.store.pipeline_run(self.run_id).status)
        except RunnerStopped as exc:
            log.info("%s: the run's steps stop and it waits for another runner", exc)
            self.running.stop_all(record=False)
            recover(
                self.store.step_runs(self.run_id),
                self.run_id,
                self.layout,
                self.store,
                self.reuse,
                self.cas,
                self.datastores,
            )
            self.lease.hand_off()
            return RunStatus(self.store.pipeline_run(self.run_id).status)
        except BaseException as exc:
            self._stop_all(RunStatus.CANCELED, "the runner stopped")
            why = f"runner error: {exc.__class__.__name__}: {exc}"
            log.error("%s\n%s", why, traceback.format_exc())
            self.store.set_run_status(self.run_id, RunStatus.FAILED, why)
            self.lease.release()
            if isinstance(exc, Exception):
                return RunStatus.FAILED
            raise
        finally:
            self.running.close()
            self.cas.hasher.close()
            self.interpreters.close()

    def reuse_pass(self) -> bool:
        """Reuse every step that can be decided from the stat cache and a little reading (SUBMIT_HASHING_*), in
        this process.

        Returns True when that ended the run (every step reused), so no runner process is needed; otherwise
        the run is handed off, for the runner started next (or a daemon's) to take.
        """
        if not self.lease.acquire().taken:
            return False
        self.cas.hasher.deadline = time.monotonic() + SUBMIT_HASHING_SECONDS
        self.cas.hasher.read_budget = SUBMIT_HASHING_BYTES
        finished = False
        try:
            with self.store.db.batch(), self._ends_written_together():
                finished = self._reuse_all_ready()
            if finished:
                self._finish(canceled=False)
        finally:
            self.cas.hasher.deadline = None
            self.cas.hasher.read_budget = None
            self.cas.hasher.close()
            if finished:
                self.lease.release()
            else:
                self.lease.hand_off()
        return finished

    @contextmanager
    def _ends_written_together(self) -> Iterator[None]:
        """Write the ends of the steps ended in the block together at its end (`set_step_statuses`): a pass that
        reuses a hundred steps writes them in two statements, not two hundred. Only for a block whose other
        writes do not read step runs' statuses (the submit-time reuse pass), inside one transaction."""
        self.ends_unwritten = []
        try:
            yield
            if self.ends_unwritten:
                self.store.set_step_statuses(self.run_id, self.ends_unwritten)
        finally:
            self.ends_unwritten = None

    def _reuse_all_ready(self) -> bool:
        while self.ready:
            state = self.steps[self.ready[0]]
            if state.status.is_terminal or self._blocked(state):
                self.ready.popleft()
                continue
            if state.interpreter is None and not self._environment_ready(state, may_build=False):
                return False
            try:
                self._decide(state)
            except (InputError, OSError):  # HashingTooSlow is an OSError too: the runner hashes instead
                return False
            entry = self._reusable(state, settle=False)
            if entry is None:
                return False
            self.ready.popleft()
            self._reuse(state, entry)
        return all(s.status.is_terminal for s in self.steps.values())

    def _finish(self, canceled: bool) -> RunStatus:
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
        next_cancel_check = 0.0
        while True:
            self.lease.heartbeat()
            # A cancel is read a few times a second, not on every turn: a turn comes with every step that ends.
            if time.monotonic() >= next_cancel_check:
                next_cancel_check = time.monotonic() + CANCEL_CHECK_SECONDS
                if self.store.cancel_requested(self.run_id):
                    self._stop_all(RunStatus.CANCELED, "the run was canceled")
                    return True
            self._reap()
            self.running.enforce_limits()
            self.running.follow()
            self._start_due_retries()
            self._schedule()
            waiting = self.ready or self.awaiting_claim or self.awaiting_env or self.retrying
            if not self.running.states and not waiting and not any(self.queues.values()):
                self._end_unreachable()
                return False
            lay_out_ahead_of(self.running.states, self.dependents, self.steps, self.pending, self.cas)
            self._wait()

    def _wait(self) -> None:
        now = time.monotonic()
        wakeups = [s.retry_at for s in map(self.steps.__getitem__, self.retrying) if s.retry_at is not None]
        deadline = self.running.next_deadline()
        timeout = max(0.0, min([POLL_SECONDS, *(w - now for w in wakeups), *([deadline - now] if deadline else [])]))
        self.running.wait(timeout)

    # scheduling ----------------------------------------------------------------------------------
    def _blocked(self, state: StepState) -> bool:
        """End a ready step that must not start (the run stopped on a failure); True if it was ended."""
        if self.stopped_by is None:
            return False
        self._end(
            state,
            RunStatus.CANCELED,
            f"not started: step {self.stopped_by!r} failed and continue_on_step_failure is False",
        )
        return True

    def _schedule(self, in_commit: bool = False) -> None:
        """Decide every ready step (reused ones make their dependents ready at once), then fill free slots.

        With `in_commit` it runs inside the transaction that commits a step (see `_commit`): it decides the steps
        that need no slow work (no environment to build, no dataset to hash, no outputs to lay out for a reuse),
        leaving the others ready for the next turn, and a step it gives a slot starts once that transaction has
        committed.
        """
        if self.scheduling:  # a ParallelRunStep with nothing left to run commits while it is being started
            return
        self.scheduling = True
        try:
            self._schedule_ready(in_commit)
        finally:
            self.scheduling = False

    def _schedule_ready(self, in_commit: bool) -> None:
        if not in_commit:
            self.ready.extend(self.awaiting_claim + self.awaiting_env)
            self.awaiting_claim, self.awaiting_env = [], []
        later: list[str] = []  # left for the next turn: slow to decide or to reuse inside a commit
        while self.ready:
            state = self.steps[self.ready.popleft()]
            if state.status.is_terminal or self._blocked(state):
                continue
            if in_commit and state.components is None and not quick_to_decide(state.spec):
                later.append(state.spec.key)
                continue
            if state.interpreter is None and not self._environment_ready(state, may_build=not in_commit):
                if not state.status.is_terminal:
                    (later if in_commit else self.awaiting_env).append(state.spec.key)
                continue
            if state.components is None:
                try:
                    self._decide(state)
                except (InputError, OSError) as exc:
                    self._end(state, RunStatus.FAILED, f"could not hash its inputs: {exc}")
                    continue
                entry = self._reusable(state, settle=True)
                # Why it runs is written with the step's next write (its slot claimed, queued or ended; a reuse
                # writes its own), not alone.
                state.decision_unrecorded = True
            else:
                # Another run that held this fingerprint may have finished it since the last pass.
                entry = self._reusable(state, settle=False)
            if entry is None and self._claim(state):
                # Another run may have finished the same fingerprint between the look above and the claim.
                entry = self._reusable(state, settle=False)
                if entry is not None:
                    self._release(state)
            elif entry is None:
                self.awaiting_claim.append(state.spec.key)
                continue
            if entry is not None and in_commit:  # laying out its outputs may upload them: not under this lock
                later.append(state.spec.key)
            elif entry is not None:
                self._reuse(state, entry)
            else:
                queue = self.queues.setdefault(state.spec.compute_target, deque())
                if queue:
                    self._mark_queued(state)  # others wait ahead of it on that target
                queue.append(state.spec.key)
        self.ready.extend(later)
        for queue in self.queues.values():
            while queue:
                head = self.steps[queue[0]]
                if head.status.is_terminal or self._blocked(head) or self._try_start(head, start=not in_commit):
                    queue.popleft()
                else:
                    break

    def _end_unreachable(self) -> None:
        """Steps that can no longer start (an upstream step ended without finishing) end Canceled."""
        for state in self.steps.values():
            if not state.status.is_terminal:
                failed = failed_upstream(self.steps, state)
                why = "an upstream step failed" if failed is None else upstream_failed(failed)
                self._end(state, RunStatus.CANCELED, why)

    def _mark_queued(self, state: StepState, reason: str | None = None) -> None:
        if state.status != RunStatus.QUEUED or reason:
            state.status = RunStatus.QUEUED
            events, fields = self._decision_record(state)
            self.store.set_step_status(
                self.run_id, state.step_run_id, state.spec.name, RunStatus.QUEUED, reason, before=events, **fields
            )

    # reuse ---------------------------------------------------------------------------------------
    def _decide(self, state: StepState) -> None:
        """Compute the step's fingerprint and why it would run (written with its next write, `_decision_record`)."""
        assert state.interpreter is not None  # decided only once its environment is ready
        upstream = {name: s.outputs for name, s in self.steps.items()}
        decision = self.decisions.decide(state.spec, state.interpreter, upstream, self.executed)
        state.fingerprint, state.components, state.reasons = (
            decision.fingerprint,
            decision.components,
            decision.reasons,
        )
        state.hashed_states, state.decided_at = decision.file_states, time.monotonic()

    def _decision_record(self, state: StepState) -> tuple[list[NewEvent], dict[str, Any]]:
        """The event and columns that keep the step's fingerprint, its parts and why it runs, when they are not
        written yet (then they count as written: the caller writes them in its transaction); else nothing."""
        if not state.decision_unrecorded:
            return [], {}
        state.decision_unrecorded = False
        fields = {"fingerprint": state.fingerprint, "components": state.components, "reasons": state.reasons}
        return [self._decision_event(state)], fields

    def _decision_event(self, state: StepState) -> NewEvent:
        decision = {"step": state.spec.name, "fingerprint": state.fingerprint, "reasons": state.reasons}
        return NewEvent("reuse_decision", decision, state.step_run_id)

    def _reusable(self, state: StepState, settle: bool) -> Entry | None:
        """The finished step run this one may reuse; when an earlier result of its fingerprint is gone, that is
        the reason it runs (with `settle`, an entry found broken now is dropped)."""
        if state.fingerprint is None or state.components is None:
            return None
        decision = Decision(state.fingerprint, state.components, state.reasons)
        entry, why_not = self.decisions.reusable(decision, state.spec.allow_reuse, settle)
        if why_not is not None:
            state.reasons = [why_not]
        return entry

    def _reuse(self, state: StepState, entry: Entry) -> None:
        """Finish a step without executing it: its outputs are those of the step run `entry` names."""
        lay_out(entry.outputs, self.cas, self.datastores)
        state.outputs = dict(entry.outputs)
        state.reasons = []
        why = f"reused from {entry.pipeline_run_id}/{entry.step_name}"
        with self.store.db.batch():
            problems = self._register_outputs(state)
            self._end(
                state,
                RunStatus.FINISHED,
                why,
                outputs=state.outputs,
                reused_from=entry.step_run_id,
                fingerprint=state.fingerprint,
                components=state.components,
                reasons=state.reasons,
                decision=self._decision_event(state),
            )
        for problem in problems:
            log.warning("step %s: %s", state.spec.name, problem)

    def _register_outputs(self, state: StepState) -> list[str]:
        """Register the outputs the step asks for as dataset versions, in the transaction that finishes it."""
        return register_outputs(self.assets, state.spec, state.outputs, Producer(self.run_id, state.step_run_id))

    def _claim(self, state: StepState) -> bool:
        """Hold the step's fingerprint while it runs; False while another run computes the same one."""
        if state.claimed or state.fingerprint is None or not state.spec.allow_reuse:
            return True
        holder = self.reuse.claim(state.fingerprint, state.step_run_id, self.run_id, os.getpid())
        if holder is None:
            state.claimed = True
            return True
        if state.status != RunStatus.QUEUED:
            self._mark_queued(state, f"waiting for run {holder.pipeline_run_id}, which computes the same step")
        return False

    def _release(self, state: StepState) -> None:
        if state.claimed and state.fingerprint is not None:
            self.reuse.release(state.fingerprint, state.step_run_id)
            state.claimed = False

    # starting ------------------------------------------------------------------------------------
    def _try_start(self, state: StepState, start: bool = True) -> bool:
        """Start the step if its target has a free slot; False when it has none. Without `start` it only takes
        the slot: the step starts from `_start_claimed`, once the transaction it was taken in has committed."""
        spec = state.spec
        cores, memory = self.config.capacity(spec.compute_target)
        if spec.cores > cores or (spec.memory_gb or 0) > memory:
            self._end(
                state,
                RunStatus.FAILED,
                f"it asks for {spec.cores} cores and {spec.memory_gb or 0:g} GB, more than target "
                f"{spec.compute_target!r} has ({cores} cores, {memory:g} GB); lower RunConfiguration.cores or "
                "memory_gb, or give the target more",
            )
            return True
        events, fields = self._decision_record(state)
        if not self.store.claim_slot(
            self.run_id,
            state.step_run_id,
            spec.name,
            spec.compute_target,
            cores,
            spec.cores,
            spec.memory_gb,
            memory,
            before=events,
            **fields,
        ):
            self._mark_queued(state)
            return False
        state.status = RunStatus.PREPARING
        if start:
            self._start(state)
        else:
            self.claimed_in_commit.append(state)
        return True

    def _start_claimed(self) -> None:
        """Start the steps given a slot inside a commit that has now committed (see `_commit`)."""
        claimed, self.claimed_in_commit = self.claimed_in_commit, []
        for state in claimed:
            if state.status == RunStatus.PREPARING:
                self._start(state)

    def _start(self, state: StepState) -> None:
        """Lay out a step that holds its slot and start its process on its target; a failure to do so fails it."""
        spec = state.spec
        upstream = {name: s.outputs for name, s in self.steps.items()}
        try:
            for name in spec.upstream:  # a crash may have come between an upstream commit and its promotion
                lay_out(upstream[name], self.cas, self.datastores)
            if spec.kind == DATA_TRANSFER:
                self.running.start(state, self._transfer_plan(state, upstream))
                self.executed.add(spec.key)
                return
            prepared = prepare(
                spec,
                state.layout,
                self.cas,
                self.parameters,
                self.datastores,
                upstream,
                (self.run_id, state.step_run_id),
                state.interpreter or Interpreters.runners_own(),
                (self.experiment_name, str(self.config.root)),
                InputDigests.of(state.components, self.config.default_datastore),
                laid_out=state.laid_out,
            )
            state.laid_out = False  # made for this attempt; a retry's folder is made again
            # The stats the decision took stand for what the fingerprint says the step reads, when it was made
            # moments ago; a step that waited longer (for a slot, or a claim) is watched from a stat now.
            fresh = time.monotonic() - state.decided_at < HASHED_STATES_FRESH_SECONDS
            state.watched = mounted_states(prepared.mounted_files, state.hashed_states if fresh else None)
            state.hashed_states = {}
            if spec.kind == PARALLEL_RUN and not plan_parallel_run(
                spec,
                state.components or {},
                prepared.input_paths[(spec.parallel_run or {})["input"]],
                next(iter(prepared.output_paths.values()), None),
                state.layout,
                self.cas,
                (self.parameters, self.config.default_datastore, self.config.duto_dir),
                reuse=spec.allow_reuse and not self.regenerate,
            ):
                self.executed.add(spec.key)
                write_inputs_map(prepared, state.layout)
                self._commit(state, 0)  # every item's row is known: nothing to start
                return
            folders = publish_folders(spec, state.step_run_id, self.datastores, self.config.default_datastore)
            self.running.start(state, prepared, folders)
        except (DutoError, OSError) as exc:
            self._end(state, RunStatus.FAILED, f"could not start: {exc}")
            return
        self.executed.add(spec.key)

    def _transfer_plan(self, state: StepState, upstream: dict[str, dict[str, dict[str, str]]]) -> TransferPlan:
        """What a data transfer needs to copy: its source's digests as its fingerprint took them."""
        state.layout.root.mkdir(parents=True, exist_ok=True)
        port = state.spec.inputs[0].name
        key = transfer_key(state.fingerprint, state.spec.allow_reuse, state.step_run_id)
        return TransferPlan(
            spec=state.spec,
            step_run_id=state.step_run_id,
            key=key,
            layout=state.layout,
            journal=self.config.duto_dir / "transfers" / f"{key}.jsonl",
            cas=self.cas,
            datastores=self.datastores,
            parameters=self.parameters,
            upstream=upstream,
            source_digests=dict((state.components or {}).get("inputs", {}).get(port, {}).get("files", {})),
            default_datastore=self.config.default_datastore,
        )

    # environments --------------------------------------------------------------------------------
    def _environment_ready(self, state: StepState, may_build: bool = True) -> bool:
        """Set the step's interpreter once its environment is built; start building it if it is not.

        Returns False while a build goes on (or when `may_build` is False and one would be needed);
        a failed build fails the step.
        """
        spec = state.spec.environment
        try:
            started = spec is not None and self.interpreters.building(spec)
            found = self.interpreters.resolve(spec, state.layout.std_log, may_build)
        except (DutoError, OSError) as exc:
            name = (spec or {}).get("name")
            self._end(state, RunStatus.FAILED, f"could not build environment {name!r}: {exc}")
            return False
        if isinstance(found, Building):
            if may_build and not started and spec is not None:
                state.status = RunStatus.PREPARING
                why = f"building environment {spec['name']!r}"
                self.store.set_step_status(self.run_id, state.step_run_id, state.spec.name, RunStatus.PREPARING, why)
            return False
        state.interpreter = found
        return True

    # ends of attempts --------------------------------------------------------------------------
    def _reap(self) -> None:
        for ended in self.running.reap():
            state, code = ended.state, ended.code
            changed = changed_input(state.watched)
            if changed:
                outputs = (output for upstream in self.steps.values() for output in upstream.outputs.values())
                evict_changed(changed, outputs, self.datastores, self.cas)
                self._end(
                    state,
                    RunStatus.FAILED,
                    f"the step changed its input file {changed} in place; inputs are read-only, "
                    "write what you change to an output",
                    exit_code=code,
                )
            elif state.ending is None and (code == 0 or (code == THRESHOLD_EXIT and state.spec.kind == PARALLEL_RUN)):
                self._commit(state, code)
            else:
                self._attempt_failed(
                    state,
                    state.ending or ended.target_reason or exit_reason(state.spec, state.layout.std_log, code),
                    code,
                )

    def _attempt_failed(self, state: StepState, why: str, code: int | None) -> None:
        """An attempt ended without finishing the step: start another as its policy says, or fail the step."""
        policy = RetryPolicy.of(state.spec)
        failures = failures_in(state.attempts) + 1
        if not policy.allows(failures) or self.stopped_by is not None:
            tried = f" (attempt {state.attempt}; {failures} failed)" if state.attempt > 1 else ""
            self._end(state, RunStatus.FAILED, why + tried, exit_code=code, attempts=state.attempts)
            return
        archive_attempt(state.layout, state.attempt)
        state.attempts.append(ended_attempt(state.attempt, "failed", why, code, state.started_at))
        wait = policy.wait_before(failures)
        state.retry_at = time.monotonic() + wait
        state.status = RunStatus.QUEUED
        self.retrying.append(state.spec.key)
        self.store.set_step_status(
            self.run_id,
            state.step_run_id,
            state.spec.name,
            RunStatus.QUEUED,
            f"attempt {state.attempt} failed ({why}); attempt {state.attempt + 1} of {policy.max_retries + 1} "
            f"starts in {wait:g} s",
            attempts=state.attempts,
            exit_code=code,
            pid=None,
            events_offset=0,
        )

    def _start_due_retries(self) -> None:
        now = time.monotonic()
        for name in list(self.retrying):
            state = self.steps[name]
            if state.retry_at is not None and now >= state.retry_at:
                self.retrying.remove(name)
                state.retry_at = None
                self.ready.append(name)

    def _commit(self, state: StepState, code: int) -> None:
        """Commit a succeeded step's outputs: stored and staged, then recorded with its reuse entry in one
        transaction (the commit), then promoted to their final places.

        The steps it makes ready are decided and given their slots in that same transaction, and start once
        their inputs are promoted: a chain pays one write transaction between a step's end and the next start,
        not two. A crash after the commit leaves them Preparing, which a runner taking over starts again.
        """
        if state.spec.kind == DATA_TRANSFER:
            self._commit_transfer(state, code)
            return
        if state.spec.kind == PARALLEL_RUN:
            outputs = [str(state.layout.outputs / o.name) for o in state.spec.outputs]
            failed = assemble(state.spec, state.layout, outputs[0] if outputs else None)
            if failed is not None:
                self._end(state, RunStatus.FAILED, failed, exit_code=code)
                return
        try:
            staged = stage_outputs(
                state.spec, state.layout, state.step_run_id, self.cas, self.datastores, self.config.default_datastore
            )
        except CommitError as exc:
            note_in_log(state.layout.std_log, str(exc))  # read where the step's own output ends
            self._attempt_failed(state, str(exc), code)
            return
        try:
            with self.store.db.batch():
                if state.fingerprint is not None:
                    self.reuse.record(state.fingerprint, state.step_run_id, staged.outputs)
                self._release(state)
                state.outputs = staged.outputs
                unregistered = self._register_outputs(state)
                done = None if state.attempt <= 1 else f"finished on attempt {state.attempt}"  # 0: nothing started
                self._end(state, RunStatus.FINISHED, done, exit_code=code, outputs=staged.outputs)
                self._schedule(in_commit=True)
        except BaseException:
            staged.discard()
            raise
        for problem in [*unregistered, *staged.promote()]:
            log.warning("step %s: %s", state.spec.name, problem)
            note_in_log(state.layout.std_log, problem)
        self._start_claimed()

    def _commit_transfer(self, state: StepState, code: int) -> None:
        """Record a data transfer's result: it published its copy itself, checked file by file, before it ended."""
        outputs = json.loads((state.layout.root / RESULT_FILE).read_text())
        with self.store.db.batch():
            if state.fingerprint is not None:
                self.reuse.record(state.fingerprint, state.step_run_id, outputs)
            self._release(state)
            state.outputs = outputs
            done = None if state.attempt == 1 else f"finished on attempt {state.attempt}"
            self._end(state, RunStatus.FINISHED, done, exit_code=code, outputs=outputs)

    def _end(
        self, state: StepState, status: RunStatus, reason: str | None, decision: NewEvent | None = None, **fields: Any
    ) -> None:
        """Record a step's final status, with its reuse decision and last log pointer in the same transaction."""
        if decision is None:
            events, recorded = self._decision_record(state)
            decision, fields = (events[0] if events else None), {**recorded, **fields}
        else:
            state.decision_unrecorded = False  # the caller gives it
        state.status = status
        if status == RunStatus.FINISHED:
            for dependent in self.dependents[state.spec.key]:
                waiting = self.pending[dependent]
                waiting.discard(state.spec.key)
                if not waiting and not self.steps[dependent].status.is_terminal:
                    self.ready.append(dependent)
        elif status == RunStatus.FAILED:
            self._release(state)
            self.failed_steps.append(state.spec.key)
            if not self.continue_on_failure and self.stopped_by is None:
                self.stopped_by = state.spec.key
        if state.spec.key in self.retrying:
            self.retrying.remove(state.spec.key)
        tidy_ended(state)
        before = tuple(e for e in (decision, log_event(state)) if e is not None)
        change = StepChange(state.step_run_id, state.spec.name, status, reason, before, fields)
        if self.ends_unwritten is not None:
            self.ends_unwritten.append(change)
        else:
            self.store.set_step_statuses(self.run_id, [change])
        if status == RunStatus.FAILED:
            self._cancel_downstream(state, state.spec.key)

    def _cancel_downstream(self, state: StepState, failed: str) -> None:
        """End Canceled every step not yet ended that waits on `state`, naming the step that `failed`."""
        for dependent in self.dependents[state.spec.key]:
            waiting = self.steps[dependent]
            if not waiting.status.is_terminal:
                self._end(waiting, RunStatus.CANCELED, upstream_failed(failed))
                self._cancel_downstream(waiting, failed)

    # stopping ------------------------------------------------------------------------------------
    def _stop_all(self, status: RunStatus, reason: str) -> None:
        """Stop every running step and end every step not yet ended."""
        for state in self.running.stop_all():
            self._release(state)
        for state in self.steps.values():
            if not state.status.is_terminal:
                self._end(state, status, reason)
