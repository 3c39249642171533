"""The runner's side of a run's lease: taking the run, renewing it by heartbeat, letting it go.

While it holds the lease, every write of the runner is fenced (see duto.storage.lease_store). A runner that
cannot renew in time, or finds the run taken by another, raises LeaseLostError from its loop and stops its
steps rather than race the new owner.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid

from sqlalchemy.exc import SQLAlchemyError

from duto.errors import LeaseLostError
from duto.storage.lease_store import Holder, LeaseStore, Taken, lease_seconds

# "off": a runner takes its lease but never renews it and fences no write (to measure what heartbeats and
# fencing cost each step; such a runner cannot tell that another took its run).
LEASES_ENV = "DUTO_LEASES"


def heartbeats_enabled() -> bool:
    return os.environ.get(LEASES_ENV, "").strip().lower() not in ("off", "0", "no", "false")


class RunLease:
    """One runner's lease on one run."""

    def __init__(self, store: LeaseStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.enabled = heartbeats_enabled()
        self.owner = uuid.uuid4().hex
        self.seconds = lease_seconds()
        self.renew_every = min(self.seconds / 6, 5.0)
        self._next_renewal = 0.0
        self._valid_until = 0.0  # time.monotonic(): past it, another runner may hold the run

    def acquire(self) -> Taken:
        """Take the run unless a live runner holds it; from then on the store's writes are fenced."""
        taken = self.store.acquire(self.run_id, Holder.this_process(self.owner, self.seconds))
        if taken.taken and self.enabled:
            self.store.db.fence = self.store.fence(self.run_id, self.owner)
            self._renewed()
        return taken

    def heartbeat(self) -> None:
        """Renew the lease when it is due.

        Raises:
            LeaseLostError: when another runner holds the run now, or renewing failed for so long that one may.
        """
        now = time.monotonic()
        if not self.enabled or now < self._next_renewal:
            return
        try:
            renewed = self.store.renew(self.run_id, self.owner, time.time() + self.seconds)
        except SQLAlchemyError as exc:
            if now >= self._valid_until - self.renew_every:
                raise LeaseLostError(self.run_id, f"its lease could not be renewed in time ({exc})") from exc
            self._next_renewal = now + 1.0  # the DB is busy or away for a moment: again soon
            return
        if not renewed:
            raise LeaseLostError(self.run_id, "another runner took it over")
        self._renewed()

    def release(self) -> None:
        """End the lease of a run that has ended: its writes are no longer fenced."""
        self.store.db.fence = None
        # If this fails, the lease lapses on its own; a runner of this machine sees this process gone at once.
        with contextlib.suppress(SQLAlchemyError):
            self.store.release(self.run_id, self.owner)

    def hand_off(self) -> None:
        """Let a run that goes on be taken by another runner at once."""
        self.store.db.fence = None
        self.store.hand_off(self.run_id, self.owner)

    def _renewed(self) -> None:
        now = time.monotonic()
        self._valid_until = now + self.seconds
        self._next_renewal = now + self.renew_every
