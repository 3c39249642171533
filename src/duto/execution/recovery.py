"""Taking over a run whose runner stopped (killed, crashed, its machine gone): the steps that were going run again.

Finished steps stay finished, with their outputs laid out where a crash between the commit and the promotion
left them missing. A step that was queued, preparing or running: what its process still runs of it is killed
(on this machine), what it logged is stored, its attempt is kept as interrupted (`attempts/<n>/`), and it
waits to run again. Stray temporaries of the dead runner go.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Mapping
from typing import Any

from duto.execution.attempts import archive_attempt, ended_attempt
from duto.execution.commit import lay_out
from duto.graph.status import RunStatus
from duto.processes import alive, signal_tree
from duto.storage.cas import ContentStore
from duto.storage.datastores import DatastoreBackend
from duto.storage.layout import RunLayout
from duto.storage.models import StepRun
from duto.storage.reuse_store import ReuseStore
from duto.storage.runs_store import RunsStore
from duto.storage.temporary import remove, strays
from duto.tracking.ingest import StepEventsReader

log = logging.getLogger("duto.runner")
GOING = (RunStatus.QUEUED.value, RunStatus.PREPARING.value, RunStatus.RUNNING.value)
LEFTOVER_KILL_SECONDS = 5.0
INTERRUPTED = "the runner driving it stopped"


def recover(
    rows: list[StepRun],
    run_id: str,
    layout: RunLayout,
    store: RunsStore,
    reuse: ReuseStore,
    cas: ContentStore,
    datastores: Mapping[str, DatastoreBackend],
) -> list[str]:
    """Make the run's steps ready to go on from where its last runner stopped; returns the steps that were
    going (and will run again)."""
    again: list[str] = []
    for row in rows:
        if row.status == RunStatus.FINISHED.value and row.outputs and not row.reused_from:
            lay_out(row.outputs, cas, datastores)
        if row.status not in GOING:
            continue
        again.append(row.name)
        step = layout.step(row.id)
        if row.pid is not None:
            _kill_leftover(row.pid, row.pid_start_ticks)
        StepEventsReader(step.events, run_id, row.id, row.name, offset=row.events_offset, cas=cas).ingest(store)
        attempts: list[dict[str, Any]] = list(row.attempts or [])
        if row.attempt > 0 and step.root.exists():
            archive_attempt(step, row.attempt)
            started = row.started_at.timestamp() if row.started_at is not None else None
            attempts.append(ended_attempt(row.attempt, "interrupted", INTERRUPTED, None, started))
        for stray in strays(step.root, recursive=True):
            remove(stray)
        store.set_step_status(
            run_id,
            row.id,
            row.name,
            RunStatus.NOT_STARTED,
            "its runner stopped; it runs again",
            attempts=attempts,
            pid=None,
            pid_start_ticks=None,
            events_offset=0,
        )
    reuse.release_run(run_id)
    cas.remove_strays()
    if again:
        log.info("run %s taken over: %s run again", run_id, ", ".join(again))
    return again


def _kill_leftover(pid: int, ticks: int | None) -> None:
    """Kill the process tree of a step its dead runner left running (only that process, by its start time)."""
    if ticks is None or not alive(pid, ticks):
        return
    signal_tree(pid, signal.SIGKILL)
    deadline = time.monotonic() + LEFTOVER_KILL_SECONDS
    while alive(pid, ticks) and time.monotonic() < deadline:
        time.sleep(0.02)
