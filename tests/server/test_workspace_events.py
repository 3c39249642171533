"""The workspace's run events (`GET /api/events`) against a real `duto server`: a new run's creation and final status
come in order, a stream resumes after `Last-Event-ID`, it needs a token; and in-process, one reader serves every
follower and goes away with the last."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from duto import Experiment, Workspace
from duto.facade.runs import PipelineRun
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from duto.server.workspace_feed import WorkspaceFeed
from server.conftest import Served

Message = dict[str, Any]


def quick_run(ws: Workspace, experiment: str) -> PipelineRun:
    steps = [CommandStep(f"echo {i}", name=f"s{i}", allow_reuse=False) for i in range(2)]
    return Experiment(ws, experiment).submit(Pipeline(ws, steps))


def messages(lines: Iterator[str]) -> Iterator[Message]:
    """The server-sent events of a stream's lines: id, event and data (JSON) each; the opening block, which only
    says where the stream starts, has an id alone."""
    message: Message = {}
    for line in lines:
        if line.startswith(":"):
            continue
        if not line:
            if message:
                yield message
            message = {}
            continue
        field, _, value = line.partition(": ")
        message[field] = json.loads(value) if field == "data" else value


class Follower:
    """A client of `/api/events` reading in a thread of its own, as a browser's EventSource does: after a quiet
    second it comes back with the last id it had. `got` holds the events so far, in order."""

    def __init__(self, served: Served, last_event_id: str | None = None) -> None:
        self.got: list[Message] = []
        self.failure: BaseException | None = None
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._served, self._last_id = served, last_event_id
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.opened.wait(30), f"the stream opened: {self.failure}"

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                with contextlib.suppress(httpx.ReadTimeout):
                    self._read_once()
        except BaseException as failure:  # handed to the test's thread, which fails on it
            self.failure = failure

    def _read_once(self) -> None:
        headers = {"Last-Event-ID": self._last_id} if self._last_id else {}
        with (
            self._served.client("read", timeout=httpx.Timeout(30, read=1)) as reader,
            reader.stream("GET", "/api/events", headers=headers) as answer,
        ):
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
            for message in messages(answer.iter_lines()):
                self._last_id = message.get("id", self._last_id)
                if "event" in message:
                    self.got.append(message)
                self.opened.set()
                if self._stop.is_set():
                    return

    def events_of(self, run_id: str) -> list[Message]:
        return [m for m in self.got if m["data"]["run_id"] == run_id]

    def wait_for(self, done: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, f"waited {timeout} s; got {self.got}"
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        assert not self._thread.is_alive() and self.failure is None, self.failure


@contextmanager
def following(served: Served, last_event_id: str | None = None) -> Iterator[Follower]:
    follower = Follower(served, last_event_id)
    try:
        yield follower
    finally:
        follower.close()


def statuses(events: list[Message]) -> list[str]:
    return [m["data"]["status"] for m in events]


@pytest.mark.timeout(120)
def test_a_new_runs_creation_and_final_status_come_in_order_and_a_stream_resumes_after_an_id(
    served: Served, ws: Workspace
) -> None:
    before = quick_run(ws, "before")
    assert before.wait_for_completion(show_output=False) == "Finished"
    with following(served) as follower:
        run = quick_run(ws, "feed")
        follower.wait_for(lambda: "Finished" in statuses(follower.events_of(run.id)))
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert follower.events_of(before.id) == [], "a stream starts from now"
    got = follower.events_of(run.id)
    ids = [int(m["id"]) for m in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert {m["event"] for m in got} == {"run_status"}
    assert statuses(got) == ["NotStarted", "Running", "Finished"], "its creation first, its final status last"
    recorded = [e.id for e in run.events_after(0, 10_000) if e.kind == "run_status"]
    assert ids == recorded, "every status change, as recorded"
    assert isinstance(got[0]["data"]["created_at"], float)

    with following(served, last_event_id=str(ids[0])) as resumed:
        resumed.wait_for(lambda: len(resumed.events_of(run.id)) == 2)
    assert [int(m["id"]) for m in resumed.events_of(run.id)] == ids[1:], "the events after the one it had"

    with following(served, last_event_id="0") as from_start:  # further back than the reader keeps: read from the DB
        from_start.wait_for(lambda: len(from_start.events_of(run.id)) == 3)
    assert statuses(from_start.events_of(before.id)) == ["NotStarted", "Running", "Finished"]
    assert [int(m["id"]) for m in from_start.got] == sorted(int(m["id"]) for m in from_start.got)


@pytest.mark.timeout(60)
def test_the_feed_needs_a_read_token_and_an_id_that_is_a_number(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as anonymous:
        refused = anonymous.get("/api/events")
        assert refused.status_code == 401 and "token" in refused.json()["detail"]
        assert anonymous.get("/api/events", headers={"Authorization": "Bearer duto_nope"}).status_code == 401
    with served.client("read", timeout=10) as reader:
        answer = reader.get("/api/events", headers={"Last-Event-ID": "seven"})
        assert answer.status_code == 400 and "not an event id" in answer.json()["detail"]


@pytest.mark.timeout(120)
def test_one_reader_serves_every_follower_and_goes_away_with_the_last(ws: Workspace) -> None:
    feed = WorkspaceFeed(ws)
    left = asyncio.Event()

    async def disconnected() -> bool:
        return left.is_set()

    async def follow(got: list[str]) -> None:
        async for chunk in feed.follow(None, disconnected):
            got.extend(line for line in chunk.decode().splitlines() if line.startswith("data: "))

    async def main() -> tuple[int, list[list[str]], str, int]:
        got: list[list[str]] = [[] for _ in range(5)]
        followers = [asyncio.create_task(follow(g)) for g in got]
        await asyncio.sleep(0.5)
        together = feed.followers
        run = await asyncio.to_thread(quick_run, ws, "in-process")
        assert await asyncio.to_thread(run.wait_for_completion, False) == "Finished"
        deadline = time.monotonic() + 30
        while not all(any('"Finished"' in line for line in g) for g in got):
            assert time.monotonic() < deadline, got
            await asyncio.sleep(0.05)
        left.set()
        await asyncio.wait_for(asyncio.gather(*followers), 10)
        return together, got, run.id, feed.followers

    together, got, run_id, after = asyncio.run(main())
    assert together == 5, "five followers, one reader"
    assert all(g == got[0] for g in got), "each follower got the same events"
    assert [json.loads(line[6:])["status"] for line in got[0]] == ["NotStarted", "Running", "Finished"]
    assert all(json.loads(line[6:])["run_id"] == run_id for line in got[0])
    assert after == 0, "the reader went away with its last follower"
