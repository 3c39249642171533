"""Store operations on leases: which runner drives a run until when, and the workspace's runner daemons.

A runner holds a run by a lease: a token of its own, the machine and process it runs as, and an expiry it
renews by heartbeat. A lease is live while its process runs, where that can be seen (this machine), and for
a runner on another machine until it expires. A runner takes a run whose lease is not live, and every write
it makes while driving the run is fenced: done only while it still holds the lease, so a runner that lost
its run can change nothing of it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, select, update

from duto.errors import LeaseLostError
from duto.graph.status import TERMINAL, RunStatus
from duto.processes import gone, machine_id, start_ticks
from duto.storage import models
from duto.storage.db import Database

LEASE_SECONDS_ENV = "DUTO_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 30.0

_RUNS = cast(Table, models.PipelineRun.__table__)
_DAEMONS = cast(Table, models.RunnerDaemon.__table__)


# The columns of a pipeline run that say who holds it, in the order `Holder` takes them.
HOLDER_COLUMNS = (
    _RUNS.c.lease_owner,
    _RUNS.c.lease_machine,
    _RUNS.c.runner_pid,
    _RUNS.c.runner_start_ticks,
    _RUNS.c.lease_expires_at,
)


# The runner's own statements, built once: the fence runs at the start of every write transaction it makes.
_LEASE_OWNER = select(_RUNS.c.lease_owner).where(_RUNS.c.id == bindparam("run_id"))
_RENEW = update(_RUNS).where(_RUNS.c.id == bindparam("run_id"), _RUNS.c.lease_owner == bindparam("owner"))


def lease_seconds() -> float:
    """How long a lease lasts without renewal: a runner elsewhere that stops renewing loses its runs then."""
    return float(os.environ.get(LEASE_SECONDS_ENV) or DEFAULT_LEASE_SECONDS)


@dataclass(frozen=True)
class Holder:
    """Who holds a run (or serves as a daemon): the lease token, the process, until when."""

    owner: str | None
    machine: str | None
    pid: int | None
    start_ticks: int | None
    expires_at: float | None

    @classmethod
    def this_process(cls, owner: str, seconds: float) -> Holder:
        pid = os.getpid()
        return cls(owner, machine_id(), pid, start_ticks(pid), time.time() + seconds)

    def live(self, now: float | None = None) -> bool:
        """Whether the holder may still be driving: its process runs (this machine), or its lease has not
        expired (another machine). A process of this machine that runs keeps its lease however late its
        heartbeat: it was suspended, or is slow, and it must not be raced."""
        if self.owner is None or self.pid is None:
            return False
        if gone(self.machine, self.pid, self.start_ticks):
            return False
        if self.machine == machine_id():
            return True
        return self.expires_at is not None and (now or time.time()) < self.expires_at

    def describe(self, kind: str = "runner") -> str:
        where = "" if self.machine is None else f" on {self.machine.split('/')[0]}"
        return f"the {kind} with pid {self.pid}{where}"


def holder_of(row: Any) -> Holder:
    """The holder recorded on a pipeline run row (or a row with the same lease columns)."""
    return Holder(row.lease_owner, row.lease_machine, row.runner_pid, row.runner_start_ticks, row.lease_expires_at)


@dataclass(frozen=True)
class Taken:
    """What `acquire` found: whether the run is now the caller's, and who held it before (if anyone)."""

    taken: bool
    previous: Holder | None


class LeaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # runs --------------------------------------------------------------------------------------------
    def acquire(self, run_id: str, me: Holder) -> Taken:
        """Take the run for `me` unless a live runner holds it, or it has ended."""
        with self.db.writing() as s:
            row = s.get(models.PipelineRun, run_id)
            if row is None or row.status in TERMINAL:
                return Taken(False, None)
            previous = holder_of(row)
            if previous.owner == me.owner:
                return Taken(True, None)
            if previous.live():
                return Taken(False, previous)
            s.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id)
                .values(
                    lease_owner=me.owner,
                    lease_machine=me.machine,
                    lease_expires_at=me.expires_at,
                    runner_pid=me.pid,
                    runner_start_ticks=me.start_ticks,
                    takeovers=_RUNS.c.takeovers + (0 if previous.pid is None else 1),
                )
            )
            return Taken(True, previous if previous.pid is not None else None)

    def renew(self, run_id: str, owner: str, expires_at: float) -> bool:
        """Extend the lease; False when it is no longer `owner`'s."""
        with self.db.writing_core() as connection:
            done = connection.execute(_RENEW, {"run_id": run_id, "owner": owner, "lease_expires_at": expires_at})
            return bool(done.rowcount)

    def release(self, run_id: str, owner: str) -> None:
        """End the lease of a run that has ended; the record of who drove it stays."""
        with self.db.writing() as s:
            s.execute(
                update(_RUNS).where(_RUNS.c.id == run_id, _RUNS.c.lease_owner == owner).values(lease_expires_at=0.0)
            )

    def hand_off(self, run_id: str, owner: str) -> None:
        """Let a run go on for another runner to take at once (the submitter's pass is done)."""
        with self.db.writing() as s:
            s.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id, _RUNS.c.lease_owner == owner)
                .values(
                    lease_owner=None,
                    lease_machine=None,
                    lease_expires_at=None,
                    runner_pid=None,
                    runner_start_ticks=None,
                )
            )

    def holder(self, run_id: str) -> Holder:
        with self.db.reading() as s:
            row = s.get(models.PipelineRun, run_id)
            return Holder(None, None, None, None, None) if row is None else holder_of(row)

    def fence(self, run_id: str, owner: str) -> Callable[[Connection], None]:
        """A check for every write transaction of a runner: it raises LeaseLostError once the lease is not
        `owner`'s any more, so nothing of the run changes after another runner took it."""
        values = {"run_id": run_id}

        def check(connection: Connection) -> None:
            held_by = connection.execute(_LEASE_OWNER, values).scalar()
            if held_by != owner:
                raise LeaseLostError(run_id, "another runner took it over")

        return check

    def runs_to_drive(self, unclaimed_after: float = 0.0) -> list[str]:
        """Runs not ended that no live runner drives: ones whose runner is gone, and NotStarted ones that no
        runner took within `unclaimed_after` seconds of being submitted."""
        now = time.time()
        with self.db.reading() as s:
            rows = s.execute(
                select(_RUNS.c.id, _RUNS.c.status, _RUNS.c.created_at, *HOLDER_COLUMNS).where(
                    _RUNS.c.status.not_in(TERMINAL)
                )
            ).all()
        found = []
        for run_id, status, created_at, *lease in rows:
            holder = Holder(*lease)
            if holder.owner is not None:
                if not holder.live(now):
                    found.append(run_id)
            elif status != RunStatus.NOT_STARTED or age_seconds(created_at) >= unclaimed_after:
                found.append(run_id)
        return found

    # daemons -----------------------------------------------------------------------------------------
    def register_daemon(self, me: Holder) -> None:
        assert me.owner is not None and me.pid is not None and me.machine is not None and me.expires_at
        with self.db.writing() as s:
            s.add(
                models.RunnerDaemon(
                    id=me.owner,
                    machine=me.machine,
                    pid=me.pid,
                    start_ticks=me.start_ticks,
                    started_at=time.time(),
                    expires_at=me.expires_at,
                )
            )

    def renew_daemon(self, daemon_id: str, expires_at: float) -> bool:
        with self.db.writing() as s:
            done = s.connection().execute(
                update(_DAEMONS).where(_DAEMONS.c.id == daemon_id).values(expires_at=expires_at)
            )
            return bool(done.rowcount)

    def remove_daemon(self, daemon_id: str) -> None:
        with self.db.writing() as s:
            s.execute(delete(_DAEMONS).where(_DAEMONS.c.id == daemon_id))

    def live_daemons(self) -> list[Holder]:
        """The daemons serving the workspace now; rows of dead ones are removed on the way."""
        now = time.time()
        with self.db.reading() as s:
            rows = list(s.scalars(select(models.RunnerDaemon).order_by(models.RunnerDaemon.started_at)))
        holders = {r.id: Holder(r.id, r.machine, r.pid, r.start_ticks, r.expires_at) for r in rows}
        dead = [i for i, h in holders.items() if not h.live(now)]
        if dead:
            with self.db.writing() as s:
                s.execute(delete(_DAEMONS).where(_DAEMONS.c.id.in_(dead)))
        return [h for i, h in holders.items() if i not in dead]


def age_seconds(created_at: Any) -> float:
    """Seconds since a naive-UTC timestamp of the DB (a run's `created_at`)."""
    from datetime import UTC, datetime

    return float((datetime.now(UTC).replace(tzinfo=None) - created_at).total_seconds())
