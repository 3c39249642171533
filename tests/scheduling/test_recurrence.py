"""Tick arithmetic of recurrences: every frequency, intervals, times of day, week days, time zones, daylight-saving
days and month ends, with v1's validation naming the argument at fault."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duto.errors import ScheduleError
from duto.scheduling.recurrence import ScheduleRecurrence, TimeZone, latest_tick, next_tick, ticks, zone_name

CREATED = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
YEAR_END = datetime(2027, 3, 1, 12, 0, 5, tzinfo=UTC)


def due(
    recurrence: ScheduleRecurrence, after: datetime, until: datetime, created: datetime = CREATED
) -> list[datetime]:
    return list(ticks(recurrence, created, after, until))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.timeout(30)
def test_minutes_and_hours_count_real_time_from_creation_at_once() -> None:
    every_15 = ScheduleRecurrence(frequency="Minute", interval=15)
    found = due(every_15, CREATED - timedelta(seconds=1), CREATED + timedelta(hours=1))
    assert found == [CREATED + timedelta(minutes=15 * i) for i in range(5)], "the first at once"
    # every 2 hours in Lisbon across the spring-forward night keeps two real hours apart
    two_hours = ScheduleRecurrence(frequency="hour", interval=2, time_zone="Europe/Lisbon")
    night = due(two_hours, at("2026-03-28T22:00:00"), at("2026-03-29T06:00:00"))
    assert [b - a for a, b in itertools.pairwise(night)] == [timedelta(hours=2)] * (len(night) - 1)
    assert latest_tick(two_hours, CREATED, CREATED + timedelta(hours=5)) == CREATED + timedelta(hours=4)
    assert next_tick(two_hours, CREATED, CREATED + timedelta(hours=5)) == CREATED + timedelta(hours=6)


@pytest.mark.timeout(30)
def test_days_at_hours_and_minutes_in_a_time_zone_across_both_daylight_saving_changes() -> None:
    daily = ScheduleRecurrence(frequency="Day", interval=1, hours=[1], minutes=[30], time_zone="Europe/Lisbon")
    year = due(daily, CREATED - timedelta(seconds=1), YEAR_END)
    assert len(year) == 365 + 1, "one a day for a year, plus the first at once; none twice, none missed"
    assert year[0] == CREATED
    assert len({t.astimezone(ZoneInfo("Europe/Lisbon")).date() for t in year[1:]}) == 365
    # spring forward (01:00 -> 02:00): 01:30 does not exist and is due an hour on, at 02:30 local (01:30 UTC)
    assert at("2026-03-29T01:30:00") in year
    # fall back (02:00 -> 01:00): 01:30 happens twice and is due once, the first time (00:30 UTC)
    fall = [t for t in year if t.date() == datetime(2026, 10, 25).date()]
    assert fall == [at("2026-10-25T00:30:00")]
    # a day in summer: 01:30 WEST is 00:30 UTC; in winter, 01:30 UTC
    assert at("2026-07-01T00:30:00") in year and at("2026-12-01T01:30:00") in year
    every_3_days = ScheduleRecurrence(frequency="Day", interval=3, time_of_day="06:00", start_time="2026-04-01T06:00")
    assert due(every_3_days, at("2026-04-01T00:00:00"), at("2026-04-08T00:00:00")) == [
        at("2026-04-01T06:00:00"),
        at("2026-04-04T06:00:00"),
        at("2026-04-07T06:00:00"),
    ]


@pytest.mark.timeout(30)
def test_new_york_spring_forward_and_fall_back_with_a_start_time() -> None:
    nightly = ScheduleRecurrence(
        "Day", 1, start_time="2026-01-01T02:30:00", time_zone=TimeZone.EasternStandardTime, hours=[2], minutes=[30]
    )
    march = due(nightly, at("2026-03-07T00:00:00"), at("2026-03-10T00:00:00"))
    # 02:30 on 8 March does not exist (02:00 -> 03:00): due at 03:30 EDT, 07:30 UTC
    assert march == [at("2026-03-07T07:30:00"), at("2026-03-08T07:30:00"), at("2026-03-09T06:30:00")]
    november = due(nightly, at("2026-10-31T00:00:00"), at("2026-11-03T00:00:00"))
    assert november == [at("2026-10-31T06:30:00"), at("2026-11-01T07:30:00"), at("2026-11-02T07:30:00")]


@pytest.mark.timeout(30)
def test_weeks_on_week_days_and_months_on_their_last_day_when_short() -> None:
    weekly = ScheduleRecurrence("Week", 1, week_days=["monday", "Friday"], time_of_day="09:15")
    found = due(weekly, at("2026-03-02T00:00:00"), at("2026-03-16T00:00:00"))
    assert [t.strftime("%a %H:%M") for t in found] == ["Mon 09:15", "Fri 09:15", "Mon 09:15", "Fri 09:15"]
    fortnightly = ScheduleRecurrence("Week", 2, start_time="2026-03-02T08:00:00", week_days=["Monday"])
    assert len(due(fortnightly, at("2026-03-01T00:00:00"), at("2026-04-01T00:00:00"))) == 3
    monthly = ScheduleRecurrence("Month", 1, start_time="2028-01-31T00:00:00")
    found = due(monthly, at("2028-01-01T00:00:00"), at("2028-06-01T00:00:00"), created=at("2028-01-01T00:00:00"))
    assert [t.date().isoformat() for t in found] == [
        "2028-01-31",
        "2028-02-29",
        "2028-03-31",
        "2028-04-30",
        "2028-05-31",
    ]
    quarterly = ScheduleRecurrence("Month", 3, start_time="2026-01-15T00:00:00")
    found = due(quarterly, at("2026-01-01T00:00:00"), at("2027-01-01T00:00:00"), created=at("2026-01-01T00:00:00"))
    assert [t.month for t in found] == [1, 4, 7, 10]


@pytest.mark.timeout(30)
def test_cron_lines_with_seconds_and_a_time_zone() -> None:
    every_2s = ScheduleRecurrence(cron="* * * * * */2")
    found = due(every_2s, CREATED, CREATED + timedelta(seconds=10))
    assert all(t.second % 2 == 0 for t in found) and len(found) == 5, "only its own times, not at creation"
    tokyo = ScheduleRecurrence(cron="0 2 * * *", time_zone="Asia/Tokyo")
    assert next_tick(tokyo, CREATED, CREATED) == at("2026-03-01T17:00:00")
    assert latest_tick(tokyo, CREATED, at("2026-03-03T00:00:00")) == at("2026-03-02T17:00:00")
    assert latest_tick(tokyo, CREATED, CREATED + timedelta(hours=1)) is None


@pytest.mark.timeout(30)
def test_the_clock_of_now_does_not_matter_only_the_times_given() -> None:
    daily = ScheduleRecurrence("Day", 1, hours=[2], minutes=[0])
    with time_machine.travel(datetime(2031, 1, 1, tzinfo=UTC), tick=False):
        assert next_tick(daily, CREATED, CREATED) == at("2026-03-02T02:00:00")
        assert latest_tick(daily, CREATED, at("2026-03-05T03:00:00")) == at("2026-03-05T02:00:00")


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"frequency": "Fortnight", "interval": 1}, "recurrence.frequency"),
        ({"frequency": "Day", "interval": 0}, "recurrence.interval"),
        ({"frequency": "Day"}, "recurrence.interval"),
        ({"interval": 1}, "recurrence.frequency"),
        ({"frequency": "Hour", "interval": 1, "hours": [2]}, "recurrence.hours"),
        ({"frequency": "Month", "interval": 1, "minutes": [2]}, "recurrence.minutes"),
        ({"frequency": "Day", "interval": 1, "hours": [24]}, "recurrence.hours"),
        ({"frequency": "Day", "interval": 1, "week_days": ["Monday"]}, "recurrence.week_days"),
        ({"frequency": "Week", "interval": 1, "week_days": ["Funday"]}, "recurrence.week_days"),
        ({"frequency": "Day", "interval": 1, "time_of_day": "25:00"}, "recurrence.time_of_day"),
        ({"frequency": "Day", "interval": 1, "time_of_day": "02:00", "hours": [2]}, "recurrence.time_of_day"),
        ({"frequency": "Day", "interval": 1, "time_zone": "Mars/Olympus"}, "recurrence.time_zone"),
        ({"frequency": "Day", "interval": 1, "start_time": "yesterday"}, "recurrence.start_time"),
        ({"cron": "every night"}, "recurrence.cron"),
        ({"cron": "0 2 * * *", "frequency": "Day", "interval": 1}, "recurrence.cron"),
    ],
)
def test_v1_rules_are_checked_naming_the_argument(arguments: dict[str, object], field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        ScheduleRecurrence(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.timeout(30)
def test_time_zone_names_json_and_words() -> None:
    assert zone_name(TimeZone.PacificStandardTime) == "America/Los_Angeles"
    assert zone_name("Pacific Standard Time") == zone_name("PacificStandardTime") == "America/Los_Angeles"
    assert zone_name("Europe/Lisbon") == "Europe/Lisbon" and zone_name(None) == "UTC"
    recurrence = ScheduleRecurrence(
        "Week", 1, week_days=["Friday", "Monday"], hours=[9], minutes=[0, 30], time_zone=TimeZone.UTC
    )
    assert ScheduleRecurrence.from_json(recurrence.to_json()) == recurrence
    assert recurrence.describe() == "every week on Monday, Friday at 09:00, 09:30 (UTC)"
    assert ScheduleRecurrence("Hour", 6).describe() == "every 6 hours (UTC)"
    assert ScheduleRecurrence(cron="0 2 * * *").describe() == "cron 0 2 * * * (UTC)"
