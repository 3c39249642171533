"""The scheduler: fires the workspace's schedules, from one thread of `duto server`.

Each pass (every second at most, sooner when a tick is due sooner) it looks at the active schedules, reading
them again when any changed (a count and the newest change, one small read) or every RELOAD_SECONDS:

- **A recurrence** fires its due ticks. A tick is claimed by the transaction that records its run (a firing,
  unique per schedule and tick, written with the run; see `ScheduleStore.record_firing`), so a tick fires once
  however many servers share the DB, and a server killed at any moment has recorded both or neither; the next
  pass (of this server started again, or of another) fires what was not recorded. Ticks that fell while no
  server ran are caught up by the schedule's `catch_up`: "latest" (the default) fires one run, for the latest
  of them; "skip" fires none; "all" fires one each. A tick at most ON_TIME_SECONDS late is not missed.
- **A watched path** is scanned every `polling_interval` minutes (`scheduling.data_changes`: a file whose size
  and times did not change is not read again); files added or changed since its baseline fire one run, which
  records the new baseline with it.

A schedule whose pipeline (or endpoint) is disabled or gone fires nothing: each tick is recorded with why, and
the reason shows as the schedule's `stopped_reason` until it fires again.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from duto.errors import DutoError
from duto.facade.pipeline_endpoints import PipelineEndpoint
from duto.facade.publishing import PublishedPipeline
from duto.facade.schedule_checks import split_assignments
from duto.facade.schedules import as_utc
from duto.scheduling.data_changes import Tree, changes, from_bytes, scan, to_bytes
from duto.scheduling.recurrence import ScheduleRecurrence, latest_tick, next_tick, ticks
from duto.scheduling.tree_watch import TreeWatcher
from duto.storage import models
from duto.storage.cas import ContentStore, workspace_content_store
from duto.storage.datastores import DatastoreBackend
from duto.storage.publishing_store import ACTIVE
from duto.storage.schedule_store import ScheduleStore
from duto.storage.temporary import temporary_name

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

log = logging.getLogger("duto.scheduler")
PASS_SECONDS = 1.0  # the longest between two passes
RELOAD_SECONDS = 30.0  # schedules are read again at least this often, changed or not
ON_TIME_SECONDS = 60.0  # a tick found due at most this late fires under every catch-up policy
MOST_PER_PASS = 100  # "all" catches up at most this many ticks of one schedule per pass
EARLIEST = timedelta(microseconds=1)


def save_tree(cas: ContentStore, tree: Tree) -> str:
    """Keep a watched tree in the content store; returns the digest a schedule's `baseline` holds."""
    data = to_bytes(tree)
    staged = cas.tmp / temporary_name("watched-tree")
    staged.write_bytes(data)
    blob = cas.put_file(staged, move=True)
    return cas.put_manifest({"kind": "file", "digest": blob, "size": len(data)})


def load_tree(cas: ContentStore, digest: str) -> Tree | None:
    """A tree kept by `save_tree`, or None when it is not there."""
    manifest = cas.manifest(digest)
    data = cas.read_blob(manifest["digest"]) if manifest and manifest.get("kind") == "file" else None
    return None if data is None else from_bytes(data)


def watched_root(workspace: Workspace, datastore: str, path: str) -> Path:
    """Where a watched datastore path is on this machine (inside the datastore's root)."""
    workspace.reload()
    backend = DatastoreBackend(datastore, workspace.config.datastores[datastore], workspace.config.root)
    return backend.local_path(path)  # an object store has no local path: watching one is refused there


def watched_baseline(workspace: Workspace, datastore: str, path: str) -> str:
    """Scan what is under a datastore path now and keep it: the baseline of a schedule that watches it."""
    cas = workspace_content_store(workspace.config.duto_dir)
    try:
        return save_tree(cas, scan(watched_root(workspace, datastore, path), cas.hasher))
    finally:
        cas.hasher.close()


class Scheduler:
    """Fires the schedules of one workspace; `serve(stop)` until `stop` is set, or `run_pending()` once.

    `clock` gives the time (aware UTC); tests give a fake one. `decide_reuse` as `PublishedPipeline.trigger`
    takes it: the server leaves the reuse of the runs it starts to its runner daemon.
    """

    def __init__(
        self,
        workspace: Workspace,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        decide_reuse: bool = False,
    ) -> None:
        self.workspace = workspace
        self.store = ScheduleStore(workspace.database)
        self.clock = clock
        self.decide_reuse = decide_reuse
        self.cas = workspace_content_store(workspace.config.duto_dir)
        self._rows: list[models.Schedule] = []
        self._mark: object = None
        self._read_at = -RELOAD_SECONDS
        self._cursors: dict[str, datetime] = {}  # schedule id -> the last tick fired or passed (aware UTC)
        self._recurrences: dict[str, ScheduleRecurrence] = {}
        self._next_due: dict[str, datetime | None] = {}  # schedule id -> its next due time after its cursor
        self._seen: dict[str, tuple[Any, ...]] = {}  # schedule id -> what its due times were worked out from
        self._polled: dict[str, float] = {}  # schedule id -> time.monotonic() of its last poll
        self._trees: dict[str, Tree] = {}  # schedule id -> its last scan (so unchanged files are not read again)
        self._baselines: dict[str, Tree] = {}  # baseline digest -> tree
        self._compared: dict[str, tuple[Tree, str | None]] = {}  # schedule id -> the last (tree, baseline) compared
        self._watcher = TreeWatcher.open()  # None where the kernel reports no changes: every poll stats all

    # the loop ------------------------------------------------------------------------------------
    def serve(self, stop: threading.Event) -> None:
        log.info("scheduler: serving the schedules of %s", self.workspace.root)
        try:
            while not stop.is_set():
                try:
                    wait = self.run_pending()
                except Exception:  # a pass that fails (the DB busy, a disk full) is tried again, not fatal
                    log.exception("scheduler: a pass failed")
                    wait = PASS_SECONDS
                stop.wait(wait)
        finally:
            self.cas.hasher.close()
            if self._watcher is not None:
                self._watcher.close()

    def run_pending(self) -> float:
        """Fire what is due now; returns the seconds until the next pass should look."""
        self._read()
        now = self.clock()
        wait = PASS_SECONDS
        for row in self._rows:
            if row.status != ACTIVE:
                continue
            try:
                if row.recurrence is not None:
                    wait = min(wait, self._recurrence_pass(row, now))
                else:
                    wait = min(wait, self._watch_pass(row))
            except Exception:  # one schedule's fault never stops the others
                log.exception("scheduler: schedule %s (%s) failed this pass", row.name, row.id)
        return max(0.01, wait)

    def _read(self) -> None:
        mark = self.store.change_mark()
        if mark == self._mark and time.monotonic() - self._read_at < RELOAD_SECONDS:
            return
        self._rows = self.store.schedules(active_only=True)
        self._mark, self._read_at = mark, time.monotonic()
        if self._watcher is not None:  # a schedule disabled or deleted frees its watches
            watching = {row.id for row in self._rows if row.recurrence is None}
            for key in self._watcher.watched_keys():
                if key not in watching:
                    self._watcher.forget(key)
                    self._trees.pop(key, None)
        for row in self._rows:
            stored = as_utc(row.last_tick) if row.last_tick else as_utc(row.created_at) - EARLIEST
            self._cursors[row.id] = max(self._cursors.get(row.id, stored), stored)
            if row.recurrence is not None:
                seen = (row.updated_at, row.last_tick)
                if self._seen.get(row.id) != seen:  # new or changed: its due times are worked out again
                    self._seen[row.id] = seen
                    self._recurrences[row.id] = ScheduleRecurrence.from_json(row.recurrence)
                    self._next_due.pop(row.id, None)

    # recurrences ---------------------------------------------------------------------------------
    def _recurrence_pass(self, row: models.Schedule, now: datetime) -> float:
        recurrence = self._recurrences[row.id]
        created = as_utc(row.created_at)
        cursor = self._cursors[row.id]
        if row.id not in self._next_due:  # worked out once per tick, not on every pass
            self._next_due[row.id] = next_tick(recurrence, created, cursor)
        due = self._next_due[row.id]
        if due is None:
            return RELOAD_SECONDS
        if now < due:
            return (due - now).total_seconds()
        if row.catch_up == "all":
            for tick in itertools.islice(ticks(recurrence, created, cursor, now), MOST_PER_PASS):
                self._fire(row, tick)
        else:
            latest = latest_tick(recurrence, created, now)
            if latest is not None and latest > cursor:
                if row.catch_up == "skip" and (now - latest).total_seconds() > ON_TIME_SECONDS:
                    self._skip(row, latest, "missed while no server ran (catch_up='skip')")
                else:
                    self._fire(row, latest)
        self._next_due.pop(row.id, None)
        return 0.0

    def _fire(self, row: models.Schedule, tick: datetime) -> None:
        naive = tick.astimezone(UTC).replace(tzinfo=None)
        record = self.store.record_firing(row.id, _tick_key(tick), last_tick=naive)
        if self._trigger(row, tick, record, {}):
            self._cursors[row.id] = tick

    def _skip(self, row: models.Schedule, tick: datetime, why: str) -> None:
        self.store.record_skip(row.id, _tick_key(tick), why, tick.astimezone(UTC).replace(tzinfo=None))
        self._cursors[row.id] = tick

    # watched paths -------------------------------------------------------------------------------
    def _watch_pass(self, row: models.Schedule) -> float:
        assert row.polling_interval is not None and row.datastore is not None
        interval = row.polling_interval * 60
        last = self._polled.get(row.id)
        now = time.monotonic()
        if last is not None and now - last < interval:
            return interval - (now - last)
        self._polled[row.id] = now
        fresh = self.store.get(row.id)  # its baseline, as the last firing (of any server) left it
        baseline = self._baseline(fresh)
        root = watched_root(self.workspace, row.datastore, row.path_on_datastore or "")
        watch = self._watcher.tree(row.id) if self._watcher is not None else None
        tree = scan(root, self.cas.hasher, self._trees.get(row.id) or baseline, watch)
        self._trees[row.id] = tree
        if baseline is None:  # its baseline is gone: what is there now becomes it
            self.store.set_baseline(row.id, save_tree(self.cas, tree), fresh.baseline_version)
            return interval
        compared = self._compared.get(row.id)
        if compared is not None and compared[0] is tree and compared[1] == fresh.baseline:
            return interval  # the same tree against the same baseline as last time: nothing new to compare
        self._compared[row.id] = (tree, fresh.baseline)
        changed = changes(baseline, tree)
        if changed:
            version = fresh.baseline_version + 1
            digest = save_tree(self.cas, tree)
            self._baselines[digest] = tree
            record = self.store.record_firing(row.id, f"data:{version}", last_tick=None, baseline=(digest, version))
            self._trigger(row, None, record, self._changed_path(row, changed))
        elif tree.digest != baseline.digest:  # removals, same bytes rewritten: nothing fires, the baseline moves
            digest = save_tree(self.cas, tree)
            self._baselines[digest] = tree
            self.store.set_baseline(row.id, digest, fresh.baseline_version)
        return interval

    def _baseline(self, row: models.Schedule) -> Tree | None:
        if row.baseline is None:
            return None
        tree = self._baselines.get(row.baseline)
        if tree is None:
            tree = load_tree(self.cas, row.baseline)
            if tree is not None:
                self._baselines = {row.baseline: tree, **dict(list(self._baselines.items())[-16:])}
        return tree

    @staticmethod
    def _changed_path(row: models.Schedule, changed: list[str]) -> dict[str, Any]:
        """The DataPath assignment of a data-change run: the changed file, or the watched path when several."""
        if not row.data_path_parameter_name:
            return {}
        base = (row.path_on_datastore or "").strip("/")
        if len(changed) == 1 and changed[0] != ".":
            path = changed[0] if not base else base if changed[0] == os.path.basename(base) else f"{base}/{changed[0]}"
        else:
            path = base
        return {row.data_path_parameter_name: {"DataStoreName": row.datastore, "RelativePath": path}}

    # triggering ----------------------------------------------------------------------------------
    def _trigger(self, row: models.Schedule, tick: datetime | None, record: Any, data_paths: dict[str, Any]) -> bool:
        """Start the schedule's run, recording `record` with it; True when the tick is dealt with (a run was
        started, or another server had started it), False when it could not be and was recorded as skipped."""
        values, paths = split_assignments(row.pipeline_parameters)
        for name in data_paths:
            values.pop(name, None)
        paths.update(data_paths)
        tags = {"schedule_id": row.id, "schedule": row.name}
        try:
            target: PipelineEndpoint | PublishedPipeline
            if row.pipeline_endpoint_id is not None:  # its default version at this moment
                target = PipelineEndpoint.get(self.workspace, id=row.pipeline_endpoint_id)
            else:
                assert row.pipeline_id is not None
                target = PublishedPipeline.get(self.workspace, row.pipeline_id)
            target.trigger(
                row.experiment_name,
                values,
                paths,
                row.continue_on_step_failure,
                tags,
                decide_reuse=self.decide_reuse,
                record_with=record,
            )
        except IntegrityError:
            what = _tick_key(tick) if tick else "its change"
            log.info("scheduler: %s: %s was fired already (another server)", row.name, what)
            return True
        except DutoError as exc:
            why = f"not started: {exc}"
            log.warning("scheduler: schedule %s: %s", row.name, why)
            if tick is not None:
                self._skip(row, tick, why)
            else:
                self.store.set_stopped_reason(row.id, why)
            return False
        return True


def _tick_key(tick: datetime) -> str:
    return tick.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
