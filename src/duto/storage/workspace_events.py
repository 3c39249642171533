"""Reading the events of every run at once, in id order: what the server's workspace feed (`GET /api/events`)
follows, where `RunsStore.events_after` reads one run's.

Event ids are global and grow with each insert. On SQLite, whose writers take turns, they also grow in commit
order, so "the run events after id N" read again and again misses none. PostgreSQL hands out ids before commit,
so a transaction that commits late can add an id below one already read: its event is missed by a follower that
read past it (known debt, while the feed serves SQLite workspaces first).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from duto.storage import models
from duto.storage.db import Database

# The kinds of events a run as a whole has: its status changes, its creation (NotStarted) first among them.
RUN_EVENT_KINDS = ("run_status",)


@dataclass(frozen=True)
class RunEventRead:
    """The run events read, and how far the table was read: every run event up to `read_to` is among `events`
    or before the id asked after, so the next read asks after `read_to`, past the steps' many events."""

    events: list[models.Event]
    read_to: int


class WorkspaceEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    def newest_id(self) -> int:
        """The id of the newest event of any kind (0 when there is none): where "from now" starts."""
        with self.db.reading() as s:
            return int(s.scalar(select(func.max(models.Event.id))) or 0)

    def run_events_after(self, after_id: int, limit: int) -> RunEventRead:
        """The run events of every run after id `after_id`, in id order, at most `limit` of them."""
        event = models.Event
        with self.db.reading() as s:
            # The newest id first, and then only events up to it: a statement that sees a newer commit than the
            # first (PostgreSQL's read committed) cannot make `read_to` skip the events that commit added.
            newest = int(s.scalar(select(func.max(event.id))) or 0)
            query = (
                select(event)
                .where(event.id > after_id, event.id <= newest, event.kind.in_(RUN_EVENT_KINDS))
                .order_by(event.id)
                .limit(limit)
            )
            found = list(s.scalars(query))
        read_to = found[-1].id if len(found) == limit else max(newest, after_id)
        return RunEventRead(found, read_to)
