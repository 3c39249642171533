"""The Core write path a runner takes on every step: one connection per transaction, inside a batch the batch's
own transaction (shared with the batch's ORM writes), reuse entries written over, and a follower's wait that misses
no commit."""

from __future__ import annotations

import threading
import time

import pytest

from duto.graph.status import RunStatus
from duto.storage.lease_store import Holder
from duto.storage.reuse_store import ReuseStore
from duto.storage.runs_store import NewEvent, RunEvent, StepChange, new_id


def make_run(ws, steps: int = 1) -> str:
    run_id = new_id()
    rows = [(f"{run_id}-s{i}", f"s{i}", "local") for i in range(steps)]
    ws.runs_store.create_pipeline_run(run_id, "e", {"steps": []}, {}, {}, False, False, rows)
    return run_id


def test_a_core_write_inside_a_batch_is_undone_with_the_batch(ws) -> None:
    store = ws.runs_store
    run_id = make_run(ws)
    with pytest.raises(RuntimeError), ws.database.batch():
        store.set_step_status(run_id, f"{run_id}-s0", "s0", RunStatus.RUNNING, pid=7)
        store.add_events(run_id, [NewEvent("log", {"step": "s0"})])
        raise RuntimeError("the batch fails after its writes")
    assert store.step_run(f"{run_id}-s0").status == "NotStarted"
    assert [e.kind for e in store.events_after(run_id, 0)] == ["run_status"]


def test_a_batch_is_one_transaction_for_its_orm_and_core_writes_alike(ws) -> None:
    store = ws.runs_store
    run_id = make_run(ws)
    step = f"{run_id}-s0"
    with pytest.raises(RuntimeError), ws.database.batch():
        store.merge_run_tags(run_id, {"kept": "no"})  # through the ORM Session the batch makes on demand
        store.set_step_status(run_id, step, "s0", RunStatus.QUEUED)  # through its Core connection
        raise RuntimeError("the batch fails after its writes")
    assert store.pipeline_run(run_id).tags == {} and store.step_run(step).status == "NotStarted"

    with ws.database.batch():
        store.merge_run_tags(run_id, {"kept": "yes"})
        store.update_step(step, NewEvent("log", {"after": "tags"}), reason="a Core write after an ORM one")
        assert store.pipeline_run(run_id).tags == {"kept": "yes"}, "a read in the batch sees its own writes"
    assert store.pipeline_run(run_id).tags == {"kept": "yes"}
    assert store.step_run(step).reason == "a Core write after an ORM one"
    assert store.events_after(run_id, 0)[-1].payload == {"after": "tags"}


def test_many_step_changes_are_written_together_each_with_its_columns_and_events_in_order(ws) -> None:
    store = ws.runs_store
    run_id = make_run(ws, steps=3)
    decided = [NewEvent("reuse_decision", {"step": f"s{i}", "reasons": []}, f"{run_id}-s{i}") for i in range(3)]
    store.set_step_statuses(
        run_id,
        [
            StepChange(f"{run_id}-s0", "s0", RunStatus.FINISHED, "reused", (decided[0],), {"reused_from": "x"}),
            StepChange(f"{run_id}-s1", "s1", RunStatus.FINISHED, "reused", (decided[1],), {"reused_from": "y"}),
            StepChange(f"{run_id}-s2", "s2", RunStatus.CANCELED, "upstream 's1' failed", (decided[2],)),
        ],
    )
    steps = {s.name: s for s in store.step_runs(run_id)}
    assert [(steps[n].status, steps[n].reused_from) for n in ("s0", "s1", "s2")] == [
        ("Finished", "x"),
        ("Finished", "y"),
        ("Canceled", None),
    ]
    assert steps["s0"].ended_at is not None and steps["s2"].reason == "upstream 's1' failed"
    events = [(e.kind, e.payload.get("step"), e.payload.get("reused_from")) for e in store.events_after(run_id, 0)]
    assert events[1:] == [
        ("reuse_decision", "s0", None),
        ("step_status", "s0", "x"),
        ("reuse_decision", "s1", None),
        ("step_status", "s1", "y"),
        ("reuse_decision", "s2", None),
        ("step_status", "s2", None),
    ]


def test_events_come_back_as_run_events_in_order_after_an_id(ws) -> None:
    store = ws.runs_store
    run_id = make_run(ws)
    store.add_events(run_id, [NewEvent("log", {"n": n}, f"{run_id}-s0") for n in range(5)])
    first, *rest = store.events_after(run_id, 0)
    assert isinstance(first, RunEvent) and first.kind == "run_status" and first.step_run_id is None
    assert [e.payload["n"] for e in rest] == [0, 1, 2, 3, 4]
    assert [e.payload["n"] for e in store.events_after(run_id, rest[1].id, limit=2)] == [2, 3]


def test_recording_a_fingerprint_again_makes_the_newest_step_run_its_entry_and_forgets_its_drop(ws) -> None:
    run_id = make_run(ws, steps=2)
    reuse = ReuseStore(ws.database)
    fingerprint = "a" * 64
    reuse.record(fingerprint, f"{run_id}-s0", {"out": {"digest": "1"}})
    reuse.drop(fingerprint, "dropped by cache verify")
    assert reuse.dropped_reasons() == {fingerprint: "dropped by cache verify"}
    reuse.record(fingerprint, f"{run_id}-s1", {"out": {"digest": "2"}})
    reuse.record(fingerprint, f"{run_id}-s0", {"out": {"digest": "3"}})
    entry = reuse.entry(fingerprint)
    assert entry is not None and (entry.step_run_id, entry.outputs) == (f"{run_id}-s0", {"out": {"digest": "3"}})
    assert len(reuse.entries()) == 1 and reuse.dropped_reasons() == {}


def test_a_claim_is_held_by_a_working_step_of_a_live_run_and_taken_from_anyone_else(ws) -> None:
    run_id = make_run(ws, steps=2)
    reuse = ReuseStore(ws.database)
    fingerprint = "b" * 64
    assert reuse.claim(fingerprint, f"{run_id}-s0", run_id, 1) is None
    assert reuse.claim(fingerprint, f"{run_id}-s0", run_id, 1) is None, "claiming one's own claim again"
    # No runner holds the run: its claim is stale, and the other step takes it.
    assert reuse.claim(fingerprint, f"{run_id}-s1", run_id, 1) is None
    me = Holder.this_process("me", 30)  # this process drives the run now: its working steps' claims hold
    ws.runs_store.update_run(
        run_id,
        lease_owner=me.owner,
        lease_machine=me.machine,
        runner_pid=me.pid,
        runner_start_ticks=me.start_ticks,
        lease_expires_at=me.expires_at,
    )
    held = reuse.claim(fingerprint, f"{run_id}-s0", run_id, 1)
    assert held is not None and (held.step_run_id, held.pipeline_run_id) == (f"{run_id}-s1", run_id)
    reuse.release(fingerprint, f"{run_id}-s1")
    assert reuse.claim(fingerprint, f"{run_id}-s0", run_id, 1) is None


def test_a_follower_that_marked_before_reading_wakes_at_once_for_a_commit_made_before_it_waits(ws) -> None:
    db = ws.database
    run_id = make_run(ws)
    mark = db.commit_mark()
    ws.runs_store.add_events(run_id, [NewEvent("log", {})])  # commits between the follower's read and its wait
    started = time.monotonic()
    db.wait_for_commit(started + 5.0, since=mark)
    assert time.monotonic() - started < 1.0


def test_a_follower_waiting_wakes_for_a_commit_of_another_thread(ws) -> None:
    db = ws.database
    run_id = make_run(ws)
    writer = threading.Timer(0.2, ws.runs_store.add_events, (run_id, [NewEvent("log", {})]))
    started = time.monotonic()
    writer.start()
    try:
        db.wait_for_commit(started + 5.0)
    finally:
        writer.join()
    assert 0.15 < time.monotonic() - started < 2.0
