"""A step's log as it is written, as server-sent events: the server's side of
`GET /api/runs/{id}/steps/{step}/log/stream`.

Each follower keeps the log file open and reads what was added since its last read, every WATCH_SECONDS (an
fstat when nothing was added); the step's status and attempt are read from the DB every STATUS_SECONDS. The
events:

- `log`: data `{"offset", "text"}`, the text from byte `offset` on; its id `ATTEMPT:OFFSET` marks the bytes sent.
- `reset`: data `{"attempt"}`, a new attempt's log starts (a retry), or the mark resumed from is not this log's.
- `end`: data `{"status", "size"}`, the step has ended and its whole log was sent; the stream closes.

A client resumes by `Last-Event-ID` (what the browser sends when it reconnects) or `?offset=`.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from starlette.concurrency import run_in_threadpool

from duto.facade.step_runs import StepRun
from duto.graph.status import TERMINAL

WATCH_SECONDS = 0.1  # the most often a follower looks for new bytes
STATUS_SECONDS = 0.5  # how often the step's status and attempt are read
KEEP_ALIVE_SECONDS = 15.0
DISCONNECT_CHECK_SECONDS = 1.0
CHUNK_BYTES = 256 * 1024  # the most text one event carries
CHUNKS_PER_TURN = 32  # while the step runs: a step that writes without end still lets its follower look up


class LogMarkError(ValueError):
    """A `Last-Event-ID` that is not a mark of this stream."""


@dataclass(frozen=True)
class LogMark:
    """Where a follower resumes: an offset in the log of an attempt (None: whichever attempt is current)."""

    attempt: int | None
    offset: int

    def text(self) -> str:
        return f"{self.attempt}:{self.offset}"


def parse_mark(last_event_id: str | None, offset: int) -> LogMark:
    """The mark a `Last-Event-ID` names (`ATTEMPT:OFFSET`, or an offset), else the offset alone.

    Raises:
        LogMarkError: the header is neither.
    """
    if not last_event_id or not last_event_id.strip():
        return LogMark(None, offset)
    attempt, _, at = last_event_id.strip().rpartition(":")
    if not at.isdigit() or (attempt and not attempt.isdigit()):
        raise LogMarkError(f"Last-Event-ID {last_event_id!r} is not a log mark (ATTEMPT:OFFSET, as the stream sends)")
    return LogMark(int(attempt) if attempt else None, int(at))


def _event(kind: str, mark: LogMark, data: dict[str, object]) -> bytes:
    return f"id: {mark.text()}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _inode(path: Path | None) -> int | None:
    if path is None:
        return None
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


class _OpenLog:
    """One follower's hold on the log file: what was read of it and the text decoded so far."""

    def __init__(self) -> None:
        self.handle: IO[bytes] | None = None
        self.offset = 0  # bytes read; a character cut at the end waits in the decoder
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def restart(self) -> None:
        self.close()
        self.offset = 0
        self.decoder.reset()

    def replaced(self, path: Path | None) -> bool:
        """Whether the file at `path` is another than the one held (a new attempt's log); a log moved away
        and not yet replaced (a retry waiting) is not."""
        if self.handle is None:
            return False
        found = _inode(path)
        return found is not None and found != os.fstat(self.handle.fileno()).st_ino

    def open(self, path: Path | None) -> None:
        if self.handle is None and path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.handle = path.open("rb")

    def size(self) -> int:
        return 0 if self.handle is None else os.fstat(self.handle.fileno()).st_size

    def read(self) -> tuple[int, str]:
        """The text after what was read (at most CHUNK_BYTES of it), and the offset of its first byte."""
        assert self.handle is not None
        start = self.offset - len(self.decoder.getstate()[0])
        chunk = os.pread(self.handle.fileno(), CHUNK_BYTES, self.offset)
        self.offset += len(chunk)
        return start, self.decoder.decode(chunk)

    def mark(self, attempt: int) -> LogMark:
        return LogMark(attempt, self.offset - len(self.decoder.getstate()[0]))

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


async def follow_log(
    step: StepRun, resume: LogMark, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[bytes]:
    """The step's log after `resume`, as server-sent events, live, until the step ends (then `end`). A comment
    every KEEP_ALIVE_SECONDS keeps proxies from closing a quiet stream; it ends when the client goes away."""
    log = _OpenLog()
    try:
        status, attempt, path = await run_in_threadpool(step.log_place)
        log.open(path)
        if (resume.attempt is not None and resume.attempt != attempt) or resume.offset > log.size():
            yield _event("reset", LogMark(attempt, 0), {"attempt": attempt})
        else:
            log.offset = resume.offset
        last_status = last_sent = last_asked = time.monotonic()
        while True:
            ended = status in TERMINAL
            if log.replaced(path):  # a retry's log (its attempt's number may be recorded a moment later)
                log.restart()
                yield _event("reset", LogMark(attempt, 0), {"attempt": attempt})
            log.open(path)
            chunks = 0
            while log.handle is not None and log.size() > log.offset and (ended or chunks < CHUNKS_PER_TURN):
                chunks += 1
                start, text = await run_in_threadpool(log.read)
                if text:
                    last_sent = time.monotonic()
                    yield _event("log", log.mark(attempt), {"offset": start, "text": text})
            if ended:
                yield _event("end", log.mark(attempt), {"status": status, "size": log.mark(attempt).offset})
                return
            await asyncio.sleep(WATCH_SECONDS)
            now = time.monotonic()
            if now - last_status >= STATUS_SECONDS:
                last_status = now
                # A new attempt's log is a new file, which `replaced` sees; its number only renames the marks.
                status, attempt, path = await run_in_threadpool(step.log_place)
            if now - last_asked >= DISCONNECT_CHECK_SECONDS:
                last_asked = now
                if await disconnected():
                    return
            if now - last_sent >= KEEP_ALIVE_SECONDS:
                last_sent = now
                yield b": keep-alive\n\n"
    finally:
        log.close()
