"""How `wait_for_completion` reads a run's events: only those after the last it read, a page at a time, and no
read that cannot bring anything new."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.facade import watching
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from duto.storage.runs_store import RunsStore


@pytest.fixture
def finished_run(ws, write_script):
    """A finished three-step run."""
    folder = write_script("step.py", "print('hello')\n", "steps")
    steps = [PythonScriptStep("step.py", name=f"s{i}", source_directory=folder, allow_reuse=False) for i in range(3)]
    run = Experiment(ws, "following").submit(Pipeline(ws, steps))
    assert run.wait_for_completion(show_output=False) == "Finished"
    return run


@pytest.fixture
def reads(monkeypatch):
    """Every `events_after` call from here on: (the id it reads after, how many events it returned)."""
    calls: list[tuple[int, int]] = []
    original = RunsStore.events_after

    def counted(self, run_id, after_id, limit=1000):  # type: ignore[no-untyped-def]
        events = original(self, run_id, after_id, limit)
        calls.append((after_id, len(events)))
        return events

    monkeypatch.setattr(RunsStore, "events_after", counted)
    return calls


def test_an_ended_run_is_read_once_to_its_final_status(finished_run, reads) -> None:
    total = len(finished_run.events_after(0, 10_000))
    reads.clear()
    assert finished_run.wait_for_completion(show_output=False) == "Finished"
    assert reads == [(0, total)], "one read brings every event up to the final status; no empty read after it"


def test_events_are_read_a_page_at_a_time_each_after_the_last_one_read(finished_run, reads, monkeypatch) -> None:
    events = finished_run.events_after(0, 10_000)
    reads.clear()
    monkeypatch.setattr(watching, "EVENTS_PER_READ", 4)
    assert finished_run.wait_for_completion(show_output=False) == "Finished"
    pages = [events[i : i + 4] for i in range(0, len(events), 4)]
    expected = [(0 if i == 0 else pages[i - 1][-1].id, len(page)) for i, page in enumerate(pages)]
    if len(pages[-1]) == 4:  # a full last page may have more behind it: one read more says there is none
        expected.append((events[-1].id, 0))
    assert reads == expected
