"""Leases on runs: who may take a run, and the fence that stops a runner that lost it from writing (through the
ORM Session or the Core connection its per-step writes use)."""

from __future__ import annotations

import time

import pytest

from conftest import dead_pid
from duto.errors import LeaseLostError
from duto.graph.status import RunStatus
from duto.processes import machine_id
from duto.storage.lease_store import Holder, LeaseStore
from duto.storage.reuse_store import ReuseStore
from duto.storage.runs_store import new_id


def make_run(ws) -> str:
    run_id = new_id()
    ws.runs_store.create_pipeline_run(run_id, "e", {"steps": []}, {}, {}, False, False, [])
    return run_id


def holder(owner: str, pid: int, machine: str | None = None, expires_in: float = 30.0) -> Holder:
    return Holder(owner, machine or machine_id(), pid, None, time.time() + expires_in)


def test_a_live_runner_keeps_its_run_and_a_dead_one_loses_it(ws):
    leases = LeaseStore(ws.database)
    run_id = make_run(ws)
    me = Holder.this_process("mine", 30)
    assert leases.acquire(run_id, me).taken
    assert leases.acquire(run_id, me).taken, "taking one's own run again is a no-op"
    refused = leases.acquire(run_id, holder("other", 1))
    assert not refused.taken and refused.previous is not None and refused.previous.owner == "mine"

    gone = make_run(ws)
    assert leases.acquire(gone, holder("crashed", dead_pid())).taken
    taken = leases.acquire(gone, me)
    assert taken.taken and taken.previous is not None and taken.previous.owner == "crashed"
    assert ws.runs_store.pipeline_run(gone).takeovers == 1


def test_a_runner_elsewhere_holds_its_run_until_its_lease_expires(ws):
    leases = LeaseStore(ws.database)
    run_id = make_run(ws)
    assert leases.acquire(run_id, holder("far", 4242, machine="elsewhere/boot", expires_in=30)).taken
    assert not leases.acquire(run_id, Holder.this_process("mine", 30)).taken
    assert leases.renew(run_id, "far", time.time() - 1)
    assert leases.acquire(run_id, Holder.this_process("mine", 30)).taken
    assert not leases.renew(run_id, "far", time.time() + 30), "the old owner can renew no more"


def test_a_process_of_this_machine_that_runs_keeps_its_run_however_late_its_heartbeat(ws):
    leases = LeaseStore(ws.database)
    run_id = make_run(ws)
    assert leases.acquire(run_id, Holder.this_process("mine", -5)).taken  # expired at once: "suspended"
    assert not leases.acquire(run_id, holder("other", 1)).taken


def test_writes_are_fenced_once_another_runner_took_the_run(ws):
    leases = LeaseStore(ws.database)
    run_id = make_run(ws)
    assert leases.acquire(run_id, holder("crashed", dead_pid())).taken
    ws.database.fence = leases.fence(run_id, "crashed")
    try:
        ws.runs_store.merge_run_tags(run_id, {"a": "1"})  # still the owner: allowed
        assert LeaseStore(ws.database.__class__(ws.database.url)).acquire(run_id, Holder.this_process("new", 30)).taken
        with pytest.raises(LeaseLostError, match="another runner took it over"):
            ws.runs_store.merge_run_tags(run_id, {"b": "2"})
    finally:
        ws.database.fence = None
    assert ws.runs_store.pipeline_run(run_id).tags == {"a": "1"}


def test_runs_to_drive_are_the_undriven_ones(ws):
    leases = LeaseStore(ws.database)
    fresh, crashed, driven, handed = (make_run(ws) for _ in range(4))
    leases.acquire(crashed, holder("crashed", dead_pid()))
    leases.acquire(driven, Holder.this_process("mine", 30))
    leases.acquire(handed, Holder.this_process("submitter", 30))
    leases.hand_off(handed, "submitter")
    assert set(leases.runs_to_drive()) == {fresh, crashed, handed}
    assert set(leases.runs_to_drive(unclaimed_after=60)) == {crashed}, "a run just submitted waits for its runner"


def test_the_runners_core_writes_are_fenced_and_change_nothing_once_the_run_is_taken(ws):
    leases = LeaseStore(ws.database)
    store = ws.runs_store
    run_id = new_id()
    store.create_pipeline_run(run_id, "e", {"steps": []}, {}, {}, False, False, [("step-1", "a", "local")])
    assert leases.acquire(run_id, holder("crashed", dead_pid())).taken
    ws.database.fence = leases.fence(run_id, "crashed")
    try:
        store.set_step_status(run_id, "step-1", "a", RunStatus.QUEUED)  # still the owner: allowed
        assert LeaseStore(ws.database.__class__(ws.database.url)).acquire(run_id, Holder.this_process("new", 30)).taken
        events = len(store.events_after(run_id, 0))
        with pytest.raises(LeaseLostError):
            store.set_step_status(run_id, "step-1", "a", RunStatus.RUNNING, pid=123)
        with pytest.raises(LeaseLostError):
            store.claim_slot(run_id, "step-1", "a", "local", capacity=4)
        with pytest.raises(LeaseLostError):
            ReuseStore(ws.database).record("f" * 64, "step-1", {})
    finally:
        ws.database.fence = None
    step = store.step_run("step-1")
    assert (step.status, step.pid) == ("Queued", None)
    assert len(store.events_after(run_id, 0)) == events, "no event of a refused write is kept"
    assert ReuseStore(ws.database).entry("f" * 64) is None
