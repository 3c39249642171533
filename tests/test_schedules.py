"""Schedules in a real workspace, fired by the scheduler with a clock the test moves: recurrences, catch-up,
watched datastore paths, a stopped pipeline, and the errors of `create` naming their field."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from duto.errors import ScheduleError, ScheduleNotFoundError
from duto.facade.content_cache import collect_garbage
from duto.facade.scheduler import Scheduler, load_tree
from duto.graph.datasets import DataPath
from duto.pipeline import Pipeline, PipelineParameter, Schedule, ScheduleRecurrence
from duto.pipeline.steps import CommandStep
from duto.storage.schedule_store import ScheduleStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def published(ws, with_path: bool = False):  # type: ignore[no-untyped-def]
    """A published one-step pipeline that says its parameters; reused after its first run, so runs end at once."""
    lr = PipelineParameter("lr", default_value=0.5)
    arguments: list[object] = [lr]
    if with_path:
        arguments.append(PipelineParameter("data", default_value=DataPath(ws.get_default_datastore(), "in")))
    step = CommandStep(["echo", *arguments], name="say")
    return Pipeline(ws, [step]).publish("say")


def run_count(schedule: Schedule) -> int:
    return len(schedule.get_pipeline_runs())


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.mark.timeout(120)
def test_a_recurrence_fires_once_per_tick_from_its_creation_and_two_schedulers_never_both(ws, clock) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws)
    every_minute = ScheduleRecurrence(frequency="Minute", interval=1)
    schedule = Schedule.create(ws, "minutely", pipeline.id, "scheduled", recurrence=every_minute)
    first, second = Scheduler(ws, clock), Scheduler(ws, clock)  # two servers over one DB
    clock.now = schedule.created_at + timedelta(seconds=1)

    first.run_pending()
    second.run_pending()
    assert run_count(schedule) == 1, "no start time: the first run is at once, and once"
    clock.advance(seconds=30)
    first.run_pending()
    assert run_count(schedule) == 1
    clock.advance(seconds=31)
    second.run_pending()
    first.run_pending()
    assert run_count(schedule) == 2
    run = schedule.get_last_pipeline_run()
    assert run is not None and run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    assert run.get_tags()["schedule_id"] == schedule.id and run.experiment_name == "scheduled"
    ticks = [f.tick for f in schedule.firings()]
    assert len(ticks) == len(set(ticks)) == 2 and all(f.run_id for f in schedule.firings())
    assert [s.id for s in Schedule.get_schedules_for_pipeline_id(ws, pipeline.id)] == [schedule.id]
    upcoming = schedule.next_fire_times(3, after=clock.now)
    assert [b - a for a, b in itertools.pairwise(upcoming)] == [timedelta(minutes=1)] * 2


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("catch_up", "runs"), [("latest", 1), ("skip", 0), ("all", 10)])
def test_ticks_missed_while_no_server_ran_follow_the_catch_up_policy(ws, clock, catch_up: str, runs: int) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws)
    start = (clock.now + timedelta(hours=1)).replace(minute=0, second=0)
    recurrence = ScheduleRecurrence(frequency="Hour", interval=1, start_time=start.replace(tzinfo=None))
    schedule = Schedule.create(ws, "caught", pipeline.id, "late", recurrence=recurrence, catch_up=catch_up)
    clock.now = start + timedelta(hours=9, minutes=30)  # ten ticks fell while no scheduler ran
    scheduler = Scheduler(ws, clock)
    scheduler.run_pending()
    assert run_count(schedule) == runs
    scheduler.run_pending()
    assert run_count(schedule) == runs, "and nothing more on the next pass"
    clock.advance(minutes=30, seconds=10)  # the next tick, 10 s late, is on time under every policy
    scheduler.run_pending()
    assert run_count(schedule) == runs + 1


@pytest.mark.timeout(120)
def test_a_schedule_whose_pipeline_is_disabled_stops_and_says_why_then_goes_on(ws, clock) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws)
    schedule = Schedule.create(ws, "halts", pipeline.id, "x", recurrence=ScheduleRecurrence("Minute", 1))
    scheduler = Scheduler(ws, clock)
    clock.now = schedule.created_at + timedelta(seconds=1)
    scheduler.run_pending()
    pipeline.disable()
    clock.advance(minutes=1)
    scheduler.run_pending()
    assert run_count(schedule) == 1
    assert schedule.stopped_reason is not None and "disabled" in schedule.stopped_reason
    assert "disabled" in str(schedule.firings(1)[0].outcome)
    pipeline.enable()
    clock.advance(minutes=1)
    scheduler.run_pending()
    assert run_count(schedule) == 2 and schedule.stopped_reason is None


@pytest.mark.timeout(120)
def test_a_watched_path_fires_on_new_or_changed_content_once_per_poll(ws, clock) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws, with_path=True)
    store = ws.get_default_datastore()
    incoming = store.root / "incoming"
    (incoming / "old").mkdir(parents=True)
    (incoming / "old" / "a.csv").write_text("1\n")  # there before: the baseline
    schedule = Schedule.create(
        ws,
        "on-data",
        pipeline.id,
        "data",
        datastore=store,
        path_on_datastore="incoming",
        polling_interval=0.0001,
        data_path_parameter_name="data",
    )
    scheduler = Scheduler(ws, clock)

    def poll() -> list[dict[str, object]]:
        scheduler._polled.clear()  # the poll is due at once, whatever the interval
        scheduler.run_pending()
        return [r.parameters["data"] for r in schedule.get_pipeline_runs()]

    assert poll() == [], "what was there at create fires nothing"
    (incoming / "b.csv").write_text("2\n")
    assert poll()[0] == {"datastore": "workspaceblobstore", "path": "incoming/b.csv"}
    (incoming / "b.csv").write_text("2\n")  # the same bytes again
    assert len(poll()) == 1
    (incoming / "old" / "a.csv").write_text("changed\n")
    assert poll()[0]["path"] == "incoming/old/a.csv", "a change at any depth"
    (incoming / "c.csv.tmp-0000-1-abcd").write_text("half")  # a temporary name is never a file
    assert len(poll()) == 2
    for i in range(5):
        (incoming / "burst" / f"{i}.csv").parent.mkdir(exist_ok=True)
        (incoming / "burst" / f"{i}.csv").write_text(str(i))
    runs = poll()
    assert len(runs) == 3 and runs[0]["path"] == "incoming", "a burst fires one run, with the watched folder"
    assert len(poll()) == 3
    collect_garbage(ws)
    baseline = ScheduleStore(ws.database).get(schedule.id).baseline
    assert baseline is not None and load_tree(ws.content_store, baseline) is not None, "kept by `cache gc`"
    assert len(poll()) == 3


@pytest.mark.timeout(60)
def test_create_names_the_field_at_fault_and_makes_nothing(ws) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws)
    daily = ScheduleRecurrence(frequency="Day", interval=1, hours=[2], minutes=[0])
    cases = [
        ({"pipeline_id": "nosuch", "recurrence": daily}, "pipeline_id"),
        ({"recurrence": None}, "recurrence"),
        ({"recurrence": daily, "datastore": "workspaceblobstore"}, "datastore"),
        ({"recurrence": None, "datastore": "nosuch"}, "datastore"),
        ({"recurrence": None, "datastore": "workspaceblobstore", "polling_interval": 0}, "polling_interval"),
        (
            {"recurrence": None, "datastore": "workspaceblobstore", "data_path_parameter_name": "lr"},
            "data_path_parameter_name",
        ),
        ({"recurrence": daily, "pipeline_parameters": {"rate": 1}}, "pipeline_parameters.rate"),
        ({"recurrence": daily, "pipeline_parameters": {"lr": "fast"}}, "pipeline_parameters.lr"),
        ({"recurrence": daily, "experiment_name": ""}, "experiment_name"),
        ({"recurrence": daily, "catch_up": "burst"}, "catch_up"),
        ({"recurrence": "daily"}, "recurrence"),
    ]
    for changes, field in cases:
        arguments = {"pipeline_id": pipeline.id, "experiment_name": "x", **changes}
        with pytest.raises(ScheduleError) as caught:
            Schedule.create(ws, "bad", **arguments)
        assert caught.value.field == field, (changes, caught.value)
    with pytest.raises(ScheduleError) as invalid:
        ScheduleRecurrence(frequency="Day", interval=1, week_days=["Monday"])
    assert invalid.value.field == "recurrence.week_days"
    pipeline.disable()
    with pytest.raises(ScheduleError, match="disabled") as disabled:
        Schedule.create(ws, "bad", pipeline.id, "x", recurrence=daily)
    assert disabled.value.field == "pipeline_id"
    assert Schedule.list(ws, active_only=False) == []


@pytest.mark.timeout(60)
def test_update_disable_enable_and_delete(ws, clock) -> None:  # type: ignore[no-untyped-def]
    pipeline = published(ws)
    schedule = Schedule.create(
        ws,
        "nightly",
        pipeline.id,
        "x",
        recurrence=ScheduleRecurrence(frequency="Day", interval=1, hours=[2], minutes=[0]),
    )
    assert schedule.status == "Active" and schedule.recurrence is not None
    schedule.update(name="nightly-2", pipeline_parameters={"lr": 0.1}, catch_up="skip")
    again = Schedule.get(ws, schedule.id[:8])
    assert (again.name, again.pipeline_parameters, again.catch_up) == ("nightly-2", {"lr": 0.1}, "skip")
    with pytest.raises(ScheduleError) as caught:
        schedule.update(pipeline_parameters={"nope": 1})
    assert caught.value.field == "pipeline_parameters.nope"
    schedule.disable()
    assert Schedule.list(ws) == [] and [s.id for s in Schedule.list(ws, active_only=False)] == [schedule.id]
    schedule.enable()
    assert schedule.status == "Active"
    schedule.delete()
    with pytest.raises(ScheduleNotFoundError):
        Schedule.get(ws, schedule.id)
