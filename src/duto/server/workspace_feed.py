"""One reader of every run's status, however many follow it: the server's side of `GET /api/events`.

Pages that show many runs at once (home, an endpoint's runs) follow the workspace's run events (each run's
creation, as NotStarted, and each change of its status) instead of polling. As event_tails.py does for one run,
one task reads the DB while anyone follows, only past what it read, and only once something was committed (a stat
of SQLite's WAL tells) or at the latest every QUIET_READ_SECONDS. Each event is encoded once, and every follower
sends from the same list, from where it joined. A follower that resumes from further back than the list keeps
reads its own way up to it first.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from duto.facade.workspace import Workspace
from duto.server.event_tails import (
    COMMIT_WATCH_SECONDS,
    DISCONNECT_CHECK_SECONDS,
    EVENTS_PER_READ,
    KEEP_ALIVE_SECONDS,
    POLL_SECONDS,
    QUIET_READ_SECONDS,
    WATCH_SECONDS,
    sse_text,
)
from duto.storage.models import Event
from duto.storage.workspace_events import WorkspaceEvents

log = logging.getLogger("duto.server")
KEPT_EVENTS = 1000  # the newest run events kept for followers to send from (up to twice as many, between trims)


def feed_message(event: Event) -> str:
    """One server-sent event: its id, its kind, and its payload with the run's id as JSON data."""
    return sse_text(
        event.id, event.kind, {**event.payload, "run_id": event.pipeline_run_id, "created_at": event.created_at}
    )


@dataclass(frozen=True)
class Encoded:
    id: int
    message: str


class FeedReader:
    """The run events read since the first of the present followers came, and the task that reads the next."""

    def __init__(self, store: WorkspaceEvents) -> None:
        self._store = store
        self.events: list[Encoded] = []
        self.floor = 0  # every run event after this id, up to `read_to`, is in `events`
        self.read_to = 0
        self.failed = False
        self.followers = 0
        loop = asyncio.get_running_loop()
        self.started: asyncio.Future[None] = loop.create_future()  # done once `read_to` says where "now" is
        self._updated: asyncio.Future[None] = loop.create_future()
        self._task = loop.create_task(self._read(), name="the workspace's run events")

    def after(self, event_id: int) -> list[Encoded]:
        """The events kept that came after `event_id`."""
        return self.events[bisect.bisect_right(self.events, event_id, key=lambda e: e.id) :]

    def stop(self) -> None:
        self._task.cancel()

    async def wait(self, timeout: float) -> None:
        """Until the next events are read (or the reader fails), at most `timeout` seconds; every follower awaits
        the same future."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._updated)

    def _notify(self) -> None:
        updated, self._updated = self._updated, asyncio.get_running_loop().create_future()
        updated.set_result(None)

    def _keep_newest(self) -> None:
        if len(self.events) > 2 * KEPT_EVENTS:
            dropped = len(self.events) - KEPT_EVENTS
            self.floor = self.events[dropped - 1].id
            del self.events[:dropped]

    async def _read(self) -> None:
        db = self._store.db
        try:
            self.floor = self.read_to = await run_in_threadpool(self._store.newest_id)
            self.started.set_result(None)
            while True:
                mark = db.commit_mark()
                read = await run_in_threadpool(self._store.run_events_after, self.read_to, EVENTS_PER_READ)
                self.read_to = read.read_to
                if read.events:
                    self.events.extend(Encoded(e.id, feed_message(e)) for e in read.events)
                    self._keep_newest()
                    self._notify()
                # At most one read every WATCH_SECONDS, so a burst of runs is sent as one chunk a follower.
                await asyncio.sleep(WATCH_SECONDS)
                if len(read.events) == EVENTS_PER_READ:
                    continue
                read_by = time.monotonic() + (QUIET_READ_SECONDS if mark is not None else POLL_SECONDS)
                while time.monotonic() < read_by and (mark is None or db.commit_mark() == mark):
                    await asyncio.sleep(COMMIT_WATCH_SECONDS if mark is not None else POLL_SECONDS)
        except Exception as exc:  # the DB went away: the followers' streams end, and their clients come back
            log.warning("reading the workspace's run events failed: %s", exc)
            self.failed = True
            if not self.started.done():
                self.started.set_result(None)
            self._notify()


class WorkspaceFeed:
    """The workspace's run events, read by one FeedReader while anyone follows; kept on the app
    (`app.state.feed`)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._events: WorkspaceEvents | None = None  # made at the first follower: the app opens no DB before
        self._reader: FeedReader | None = None

    def _store(self) -> WorkspaceEvents:
        if self._events is None:
            self._events = WorkspaceEvents(self._workspace.database)
        return self._events

    @property
    def followers(self) -> int:
        return 0 if self._reader is None else self._reader.followers

    def _join(self) -> FeedReader:
        reader = self._reader
        if reader is None or reader.failed:  # a new follower gets a new reader
            reader = self._reader = FeedReader(self._store())
        reader.followers += 1
        return reader

    def _leave(self, reader: FeedReader) -> None:
        reader.followers -= 1
        if reader.followers == 0 and self._reader is reader:
            reader.stop()
            self._reader = None

    async def follow(self, after_id: int | None, disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[bytes]:
        """The run events after `after_id` (from now when None), as server-sent events, until the client goes away.

        The stream opens with the id it starts after, so a client that reconnects before any event came resumes
        from there rather than from a later "now". A comment every KEEP_ALIVE_SECONDS keeps proxies from closing
        a quiet stream.
        """
        reader = self._join()
        try:
            await asyncio.shield(reader.started)
            if reader.failed:
                return
            position = reader.read_to if after_id is None else after_id
            yield f": the run events after {position}\nid: {position}\n\n".encode()
            last_sent = last_asked = time.monotonic()
            while not reader.failed:
                if position < reader.floor:
                    # Further back than the reader keeps (a client resuming after a long break): this follower
                    # reads its own way up to the kept events.
                    read = await run_in_threadpool(self._store().run_events_after, position, EVENTS_PER_READ)
                    chunk = "".join(feed_message(e) for e in read.events)
                    position = read.read_to
                else:
                    wanted = reader.after(position)
                    chunk = "".join(e.message for e in wanted)
                    position = wanted[-1].id if wanted else position
                if chunk:
                    last_sent = time.monotonic()
                    yield chunk.encode()
                if position < reader.floor or reader.after(position):
                    continue
                await reader.wait(1.0)
                if not reader.after(position):
                    # A client that left is noticed by the next write failing; a quiet stream asks once a second.
                    now = time.monotonic()
                    if now - last_asked >= DISCONNECT_CHECK_SECONDS:
                        last_asked = now
                        if await disconnected():
                            return
                    if now - last_sent >= KEEP_ALIVE_SECONDS:
                        last_sent = now
                        yield b": keep-alive\n\n"
        finally:
            self._leave(reader)
