"""One reader per followed run: followers that come together share it, each gets the whole stream, and the
reader goes away with the last of them."""

from __future__ import annotations

import asyncio

import pytest

from duto import Experiment
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from duto.server.event_tails import RunTails


async def never() -> bool:
    return False


async def stream(tails: RunTails, run, after: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [chunk.decode() async for chunk in tails.follow(run, after, never)]


def event_ids(chunks: list[str]) -> list[int]:
    return [int(line[4:]) for chunk in chunks for line in chunk.splitlines() if line.startswith("id: ")]


@pytest.mark.timeout(120)
def test_followers_of_one_run_share_its_reader_and_each_get_every_event(ws) -> None:  # type: ignore[no-untyped-def]
    steps = [CommandStep(f"sleep 0.2; echo {i}", name=f"s{i}", allow_reuse=False) for i in range(3)]
    run = Experiment(ws, "tails").submit(Pipeline(ws, steps))
    tails = RunTails()

    async def main() -> tuple[list[list[str]], int, list[str], list[str]]:
        followers = [asyncio.create_task(stream(tails, run)) for _ in range(5)]
        await asyncio.sleep(0.2)
        readers = len(tails)  # one for the five of them
        live = await asyncio.gather(*followers)
        replayed = await stream(tails, run)  # the run has ended: replays and closes at once
        after_last = await stream(tails, run, event_ids(live[0])[-1])
        return live, readers, replayed, after_last

    live, readers, replayed, after_last = asyncio.run(main())
    recorded = [e.id for e in run.events_after(0, 10_000)]
    assert readers == 1
    assert all(event_ids(chunks) == recorded for chunks in live), "every follower, every event, in order"
    assert '"status": "Finished"' in live[0][-1], "the final status ends each stream"
    assert event_ids(replayed) == recorded and after_last == []
    assert len(tails) == 0, "the reader went away with its last follower"
