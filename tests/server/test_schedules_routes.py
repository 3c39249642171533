"""Schedules fired by a real `duto server`, and their routes over real HTTP: a recurrence, a watched datastore
path, and the server killed around due ticks again and again without a tick firing twice or not at all."""

from __future__ import annotations

import itertools
import math
import os
import random
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from duto.graph.datasets import DataPath
from duto.pipeline import Pipeline, PipelineParameter, Schedule, ScheduleRecurrence
from duto.pipeline.steps import CommandStep
from duto.storage.lease_store import LeaseStore

from .conftest import start_server, stop_server


def say_pipeline(ws, with_path: bool = False):  # type: ignore[no-untyped-def]
    arguments: list[object] = [PipelineParameter("lr", default_value=0.5)]
    if with_path:
        arguments.append(PipelineParameter("data", default_value=DataPath(ws.get_default_datastore(), "in")))
    return Pipeline(ws, [CommandStep(["echo", *arguments], name="say")]).publish("say")


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


@pytest.mark.timeout(120)
def test_the_server_fires_a_recurrence_and_its_routes_show_enable_disable_and_delete_it(ws, served) -> None:  # type: ignore[no-untyped-def]
    pipeline = say_pipeline(ws)
    every_second = ScheduleRecurrence(cron="* * * * * *")
    schedule = Schedule.create(ws, "each-second", pipeline.id, "ticks", recurrence=every_second)
    wait_for(lambda: len(schedule.get_pipeline_runs()) >= 3, 20, "three runs of the schedule")

    with served.client("read") as reader:
        listed = reader.get("/api/schedules").json()
        assert [s["id"] for s in listed] == [schedule.id] and listed[0]["recurrence"]["cron"] == "* * * * * *"
        shown = reader.get(f"/api/schedules/{schedule.id[:8]}").json()
        assert shown["status"] == "Active" and shown["next_fire_times"] and shown["firings"][0]["run_id"]
        runs = reader.get(f"/api/schedules/{schedule.id}/runs").json()
        assert len(runs) >= 3 and all(r["experiment"] == "ticks" for r in runs)
        assert reader.post(f"/api/schedules/{schedule.id}/disable").status_code == 403, "read cannot disable"
        assert reader.get("/api/schedules/nosuch").status_code == 404
    with served.client("admin") as admin:
        assert admin.post(f"/api/schedules/{schedule.id}/disable").json()["status"] == "Disabled"
        time.sleep(1.5)  # a pass under way when it was disabled may still fire once
        before = len(schedule.get_pipeline_runs())
        time.sleep(2.5)
        assert len(schedule.get_pipeline_runs()) == before, "a disabled schedule fires nothing"
        assert admin.post(f"/api/schedules/{schedule.id}/enable").json()["status"] == "Active"
        wait_for(lambda: len(schedule.get_pipeline_runs()) > before, 10, "a run after enabling")
        assert admin.delete(f"/api/schedules/{schedule.id}").status_code == 200
        assert admin.get(f"/api/schedules/{schedule.id}").status_code == 404


@pytest.mark.timeout(180)
def test_the_server_fires_on_data_changes_under_a_watched_path(ws, served) -> None:  # type: ignore[no-untyped-def]
    pipeline = say_pipeline(ws, with_path=True)
    store = ws.get_default_datastore()
    landing = store.root / "landing"
    landing.mkdir()
    (landing / "seen.csv").write_text("there before\n")
    schedule = Schedule.create(
        ws,
        "on-landing",
        pipeline.id,
        "landed",
        datastore=store,
        path_on_datastore="landing",
        polling_interval=0.01,  # 0.6 s
        data_path_parameter_name="data",
    )

    def paths() -> list[str]:
        return [r.parameters["data"]["path"] for r in schedule.get_pipeline_runs()]

    def settle(count: int) -> list[str]:
        found = wait_for(lambda: len(paths()) >= count and paths(), 20, f"{count} runs")
        time.sleep(1.5)  # two more polls: nothing else fires
        assert len(paths()) == count, paths()
        return found

    time.sleep(1.5)
    assert paths() == [], "what was there at create is the baseline"
    (landing / "new.csv").write_text("1\n")
    assert settle(1)[0] == "landing/new.csv"
    (landing / "new.csv").write_text("1\n")  # the same bytes, uploaded again
    time.sleep(1.5)
    assert len(paths()) == 1
    (landing / "seen.csv").write_text("changed\n")
    assert settle(2)[0] == "landing/seen.csv"
    (landing / "2026" / "12").mkdir(parents=True)
    (landing / "2026" / "12" / "deep.csv").write_text("deep\n")
    assert settle(3)[0] == "landing/2026/12/deep.csv"
    staged = ws.root / "staged"
    staged.mkdir()
    for i in range(20):
        (staged / f"{i}.csv").write_text(str(i))
    staged.rename(landing / "burst")  # twenty files land at once
    assert settle(4)[0] == "landing", "a burst fires one run, with the watched folder"


@pytest.mark.timeout(300)
def test_killing_the_server_around_due_ticks_never_fires_a_tick_twice_nor_drops_one(ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pipeline = say_pipeline(ws)
    schedule = Schedule.create(
        ws, "every-2s", pipeline.id, "killed", recurrence=ScheduleRecurrence(cron="* * * * * */2"), catch_up="all"
    )
    rng = random.Random(20261205)
    kills = 0
    try:
        while kills < 20:
            served = start_server(ws, tmp_path / f"server-{kills}.log", tokens=False)
            # the next even second at least half a second away, then a moment around it
            now = time.time()
            tick = math.floor(now / 2) * 2 + 2
            tick += 2 if tick - now < 0.5 else 0
            time.sleep(max(0.0, tick + rng.uniform(-0.3, 0.3) - time.time()))
            os.kill(served.process.pid, signal.SIGKILL)
            served.process.wait(10)
            kills += 1
        served = start_server(ws, tmp_path / "server-last.log", tokens=False)
        time.sleep(3)  # it catches up what fell while no server ran
        stop_server(served)
    finally:
        for daemon in LeaseStore(ws.database).live_daemons():
            if daemon.pid:
                os.kill(daemon.pid, signal.SIGTERM)

    firings = schedule.firings(limit=None)
    ticks = sorted(datetime.strptime(f.tick, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) for f in firings)
    assert len(ticks) == len(set(ticks)), "no tick fired twice"
    assert all(f.run_id for f in firings), [f.outcome for f in firings if not f.run_id]
    steps = {round((b - a).total_seconds()) for a, b in itertools.pairwise(ticks)}
    assert steps == {2}, f"no tick dropped between the first and the last: gaps {sorted(steps)}"
    run_ids = [f.run_id for f in firings]
    assert len(run_ids) == len(set(run_ids)) == len(schedule.get_pipeline_runs()), "one run per tick, no other"
    all_runs = ws.runs_store.pipeline_runs(archived=True)
    assert len([r for r, _ in all_runs if r.tags.get("schedule_id") == schedule.id]) == len(ticks)
