"""One reader per followed run, however many follow it: the server's side of `GET /api/runs/{id}/events`.

A run followed by a hundred clients is read from the DB once per commit, not a hundred times, and each event is
encoded as a server-sent event once; every follower sends from the same list, from where it joined (after its
`Last-Event-ID`). The reader starts with the run's first follower, keeps the run's events while someone follows
it, and stops with its last follower (or once the run's final status is read).

The DB is read in a worker thread (the event loop never waits on it), only for the events after the last one
read, at most every WATCH_SECONDS, and only once something was committed (a stat of SQLite's WAL tells) or, at
the latest, every QUIET_READ_SECONDS (every POLL_SECONDS on a DB that cannot tell).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from duto.facade.runs import PipelineRun
from duto.graph.status import TERMINAL
from duto.server.operations.runs import image_url
from duto.storage.runs_store import RunEvent

log = logging.getLogger("duto.server")
POLL_SECONDS = 0.15
WATCH_SECONDS = 0.1  # the most often a followed run is read
COMMIT_WATCH_SECONDS = 0.01  # how often a quiet run's DB is watched for a commit (a stat)
QUIET_READ_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 15.0
DISCONNECT_CHECK_SECONDS = 1.0  # how often a caught-up follower asks whether its client is still there
EVENTS_PER_READ = 500


def sse_text(event_id: int, kind: str, data: dict[str, object]) -> str:
    """One server-sent event as the stream carries it: its id, its kind and its data as JSON."""
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


def sse_message(event: RunEvent) -> str:
    """One server-sent event: its id, its kind, and its payload with the step-run id as JSON data.

    A file's place on the server's disk (a log event's `path`) stays on the server: a follower reads the log
    through `/steps/{step}/log`, and an image a step logged is sent as the URL that serves it.
    """
    payload = {k: v for k, v in event.payload.items() if k != "path"}
    if event.kind == "metric" and payload.get("kind") == "image":
        name = str(payload.get("name"))
        shown = image_url(event.pipeline_run_id, event.step_run_id, name) if event.step_run_id else None
        payload["value"] = shown or os.path.basename(str(payload.get("value")))
    return sse_text(event.id, event.kind, {**payload, "step_run_id": event.step_run_id, "created_at": event.created_at})


def _is_final(event: RunEvent) -> bool:
    return event.kind == "run_status" and event.payload.get("status") in TERMINAL


@dataclass(frozen=True)
class Sent:
    id: int
    message: str
    final: bool


class RunTail:
    """The events of one run read so far, and the task that reads the next ones while anyone follows."""

    def __init__(self, run: PipelineRun) -> None:
        self.run = run
        self.events: list[Sent] = []
        self.ended = False  # nothing more will come: the final status was read, or the reader failed
        self.failed = False
        self.followers = 0
        self._updated: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None
        self._chunks: dict[tuple[int, int], tuple[bytes, bool]] = {}  # (from, to) -> a chunk followers share

    def chunk(self, sent: int, after_id: int) -> tuple[bytes, int, bool]:
        """What a follower that has sent `sent` events, and wants those after event `after_id`, sends next: the
        chunk, its new count, and whether the chunk holds the final status. Followers at the same place (all
        that joined from the start) share one chunk, encoded once."""
        end = len(self.events)
        for index in range(sent, end):
            if self.events[index].final:
                end = index + 1
                break
        if sent < end and self.events[sent].id > after_id:  # every event from `sent` on is wanted
            key = (sent, end)
            shared = self._chunks.get(key)
            if shared is None:
                part = self.events[sent:end]
                shared = ("".join(e.message for e in part).encode(), part[-1].final)
                if len(self._chunks) > 64:
                    self._chunks.clear()
                self._chunks[key] = shared
            return shared[0], end, shared[1]
        wanted = [e for e in self.events[sent:end] if e.id > after_id]
        final = bool(wanted) and wanted[-1].final
        return "".join(e.message for e in wanted).encode(), end, final

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._read(), name=f"events of run {self.run.id}")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def wait(self, timeout: float) -> None:
        """Until the next events are read (or the run ends), at most `timeout` seconds. Every follower awaits
        the same future, so a read wakes them all without a task each."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._updated)

    def _notify(self) -> None:
        updated, self._updated = self._updated, asyncio.get_running_loop().create_future()
        updated.set_result(None)

    async def _read(self) -> None:
        last_id = 0
        try:
            while True:
                # At most one read every WATCH_SECONDS: a run that commits every few milliseconds is read in
                # batches, and each follower is sent one chunk a batch, not one per commit.
                await asyncio.sleep(WATCH_SECONDS if last_id else 0)
                mark = self.run.commit_mark()
                batch = await run_in_threadpool(self.run.events_after, last_id, EVENTS_PER_READ)
                if batch:
                    last_id = batch[-1].id
                    read = [Sent(e.id, sse_message(e), _is_final(e)) for e in batch]
                    self.events.extend(read)
                    if any(s.final for s in read):
                        self.ended = True
                        return
                    self._notify()
                    continue
                if await run_in_threadpool(self.run.get_status) in TERMINAL:
                    # Ended, its final status read already or never recorded: close once nothing is left.
                    if not await run_in_threadpool(self.run.events_after, last_id, 1):
                        self.ended = True
                        return
                    continue
                read_by = time.monotonic() + (QUIET_READ_SECONDS if mark is not None else POLL_SECONDS)
                while time.monotonic() < read_by and (mark is None or self.run.commit_mark() == mark):
                    await asyncio.sleep(COMMIT_WATCH_SECONDS if mark is not None else POLL_SECONDS)
        except Exception as exc:  # the run was deleted, or the DB went away: its followers' streams end
            log.warning("reading the events of run %s failed: %s", self.run.id, exc)
            self.ended = self.failed = True
        finally:
            if self.ended:
                self._notify()


class RunTails:
    """The runs being followed now, each with its one reader; kept on the app (`app.state.tails`)."""

    def __init__(self) -> None:
        self._tails: dict[str, RunTail] = {}
        self._lookups: dict[str, asyncio.Future[PipelineRun]] = {}

    def __len__(self) -> int:
        return len(self._tails)

    def followers(self, run_id: str) -> int:
        """How many clients follow the run `run_id` now (0 once the last one is let go, and its reader with it)."""
        tail = self._tails.get(run_id)
        return 0 if tail is None else tail.followers

    async def run(self, run_id: str, look_up: Callable[[str], PipelineRun]) -> PipelineRun:
        """The run `run_id` names: the one followed already, else `look_up(run_id)` in a worker thread, once
        for the followers that arrive together (a hundred clients opening a run's page at once)."""
        tail = self._tails.get(run_id)
        if tail is not None and not tail.failed:
            return tail.run
        pending = self._lookups.get(run_id)
        if pending is None:
            pending = self._lookups[run_id] = asyncio.ensure_future(run_in_threadpool(look_up, run_id))
            pending.add_done_callback(lambda _: self._lookups.pop(run_id, None))
        return await asyncio.shield(pending)

    def _join(self, run: PipelineRun) -> RunTail:
        tail = self._tails.get(run.id)
        if tail is None or tail.failed:  # a new follower gets a new reader
            tail = self._tails[run.id] = RunTail(run)
            tail.start()
        tail.followers += 1
        return tail

    def _leave(self, tail: RunTail) -> None:
        tail.followers -= 1
        if tail.followers == 0 and self._tails.get(tail.run.id) is tail:
            tail.stop()
            del self._tails[tail.run.id]

    async def follow(
        self, run: PipelineRun, after_id: int, disconnected: Callable[[], Awaitable[bool]]
    ) -> AsyncIterator[bytes]:
        """The run's events after `after_id`, as server-sent events, live, until the run's final status. A
        comment every KEEP_ALIVE_SECONDS keeps proxies from closing a quiet stream; it ends when the client goes
        away."""
        tail = self._join(run)
        try:
            sent = 0
            last_sent = last_asked = time.monotonic()
            while True:
                # What was read since the last turn goes out as one chunk: one write for many events.
                chunk, sent, final = tail.chunk(sent, after_id)
                if chunk:
                    last_sent = time.monotonic()
                    yield chunk
                if final or tail.ended:
                    return
                await tail.wait(min(1.0, KEEP_ALIVE_SECONDS))
                if sent == len(tail.events) and not tail.ended:
                    # A client that left is noticed by the next write failing; a quiet stream asks once a
                    # second, not at every wake-up (a hundred followers, ten wake-ups a second each).
                    now = time.monotonic()
                    if now - last_asked >= DISCONNECT_CHECK_SECONDS:
                        last_asked = now
                        if await disconnected():
                            return
                    if now - last_sent >= KEEP_ALIVE_SECONDS:
                        last_sent = time.monotonic()
                        yield b": keep-alive\n\n"
        finally:
            self._leave(tail)
