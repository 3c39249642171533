"""When a schedule is due: v1's `ScheduleRecurrence` and `TimeZone`, checked as v1 checks them, and the tick
arithmetic the scheduler asks of them.

- No `start_time`: the first due time is the schedule's creation ("runs at once", as v1), then the recurrence
  anchored there. With one: the recurrence's instances from `start_time` on. A cron line is due only at its
  own times, from the schedule's creation (or `start_time`) on.
- `Minute` and `Hour` count real time (UTC arithmetic): "every 2 hours" stays two hours apart across
  daylight-saving changes.
- `Day`, `Week`, `Month` and cron are wall-clock times in the schedule's time zone (dateutil's rrule, croniter).
  A wall time that does not exist on a spring-forward day is due at the same wall time after the gap's length
  (02:30 in a gap from 02:00 to 03:00 is due at 03:30); one that happens twice on a fall-back day is due once,
  at its first occurrence.
- `Month` is due on the start's day of the month, or on the last day of a month that lacks it (the 31st: April
  30th, February 28th or 29th).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from dateutil import rrule

from duto.errors import ScheduleError

FREQUENCIES = ("Minute", "Hour", "Day", "Week", "Month")
WEEK_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HORIZON = timedelta(days=5 * 366)  # a recurrence with no due time within this has none
_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TimeZone(enum.StrEnum):
    """v1's time zone names (Windows ids); each maps to an IANA zone (IANA_OF). An IANA name works too."""

    UTC = "UTC"
    GMTStandardTime = "GMT Standard Time"
    GreenwichStandardTime = "Greenwich Standard Time"
    WEuropeStandardTime = "W. Europe Standard Time"
    CentralEuropeStandardTime = "Central Europe Standard Time"
    RomanceStandardTime = "Romance Standard Time"
    CentralEuropeanStandardTime = "Central European Standard Time"
    GTBStandardTime = "GTB Standard Time"
    FLEStandardTime = "FLE Standard Time"
    EEuropeStandardTime = "E. Europe Standard Time"
    RussianStandardTime = "Russian Standard Time"
    TurkeyStandardTime = "Turkey Standard Time"
    IsraelStandardTime = "Israel Standard Time"
    EgyptStandardTime = "Egypt Standard Time"
    SouthAfricaStandardTime = "South Africa Standard Time"
    WCentralAfricaStandardTime = "W. Central Africa Standard Time"
    EAfricaStandardTime = "E. Africa Standard Time"
    ArabianStandardTime = "Arabian Standard Time"
    ArabStandardTime = "Arab Standard Time"
    IranStandardTime = "Iran Standard Time"
    PakistanStandardTime = "Pakistan Standard Time"
    IndiaStandardTime = "India Standard Time"
    BangladeshStandardTime = "Bangladesh Standard Time"
    SEAsiaStandardTime = "SE Asia Standard Time"
    ChinaStandardTime = "China Standard Time"
    SingaporeStandardTime = "Singapore Standard Time"
    TaipeiStandardTime = "Taipei Standard Time"
    TokyoStandardTime = "Tokyo Standard Time"
    KoreaStandardTime = "Korea Standard Time"
    AUSEasternStandardTime = "AUS Eastern Standard Time"
    WAustraliaStandardTime = "W. Australia Standard Time"
    NewZealandStandardTime = "New Zealand Standard Time"
    HawaiianStandardTime = "Hawaiian Standard Time"
    AlaskanStandardTime = "Alaskan Standard Time"
    PacificStandardTime = "Pacific Standard Time"
    USMountainStandardTime = "US Mountain Standard Time"
    MountainStandardTime = "Mountain Standard Time"
    CentralStandardTime = "Central Standard Time"
    EasternStandardTime = "Eastern Standard Time"
    AtlanticStandardTime = "Atlantic Standard Time"
    SAPacificStandardTime = "SA Pacific Standard Time"
    ESouthAmericaStandardTime = "E. South America Standard Time"
    ArgentinaStandardTime = "Argentina Standard Time"
    CentralStandardTimeMexico = "Central Standard Time (Mexico)"


IANA_OF: dict[TimeZone, str] = {
    TimeZone.UTC: "UTC",
    TimeZone.GMTStandardTime: "Europe/London",
    TimeZone.GreenwichStandardTime: "Atlantic/Reykjavik",
    TimeZone.WEuropeStandardTime: "Europe/Berlin",
    TimeZone.CentralEuropeStandardTime: "Europe/Budapest",
    TimeZone.RomanceStandardTime: "Europe/Paris",
    TimeZone.CentralEuropeanStandardTime: "Europe/Warsaw",
    TimeZone.GTBStandardTime: "Europe/Bucharest",
    TimeZone.FLEStandardTime: "Europe/Kiev",
    TimeZone.EEuropeStandardTime: "Europe/Chisinau",
    TimeZone.RussianStandardTime: "Europe/Moscow",
    TimeZone.TurkeyStandardTime: "Europe/Istanbul",
    TimeZone.IsraelStandardTime: "Asia/Jerusalem",
    TimeZone.EgyptStandardTime: "Africa/Cairo",
    TimeZone.SouthAfricaStandardTime: "Africa/Johannesburg",
    TimeZone.WCentralAfricaStandardTime: "Africa/Lagos",
    TimeZone.EAfricaStandardTime: "Africa/Nairobi",
    TimeZone.ArabianStandardTime: "Asia/Dubai",
    TimeZone.ArabStandardTime: "Asia/Riyadh",
    TimeZone.IranStandardTime: "Asia/Tehran",
    TimeZone.PakistanStandardTime: "Asia/Karachi",
    TimeZone.IndiaStandardTime: "Asia/Kolkata",
    TimeZone.BangladeshStandardTime: "Asia/Dhaka",
    TimeZone.SEAsiaStandardTime: "Asia/Bangkok",
    TimeZone.ChinaStandardTime: "Asia/Shanghai",
    TimeZone.SingaporeStandardTime: "Asia/Singapore",
    TimeZone.TaipeiStandardTime: "Asia/Taipei",
    TimeZone.TokyoStandardTime: "Asia/Tokyo",
    TimeZone.KoreaStandardTime: "Asia/Seoul",
    TimeZone.AUSEasternStandardTime: "Australia/Sydney",
    TimeZone.WAustraliaStandardTime: "Australia/Perth",
    TimeZone.NewZealandStandardTime: "Pacific/Auckland",
    TimeZone.HawaiianStandardTime: "Pacific/Honolulu",
    TimeZone.AlaskanStandardTime: "America/Anchorage",
    TimeZone.PacificStandardTime: "America/Los_Angeles",
    TimeZone.USMountainStandardTime: "America/Phoenix",
    TimeZone.MountainStandardTime: "America/Denver",
    TimeZone.CentralStandardTime: "America/Chicago",
    TimeZone.EasternStandardTime: "America/New_York",
    TimeZone.AtlanticStandardTime: "America/Halifax",
    TimeZone.SAPacificStandardTime: "America/Bogota",
    TimeZone.ESouthAmericaStandardTime: "America/Sao_Paulo",
    TimeZone.ArgentinaStandardTime: "America/Argentina/Buenos_Aires",
    TimeZone.CentralStandardTimeMexico: "America/Mexico_City",
}


def zone_name(time_zone: str | TimeZone | None) -> str:
    """The IANA name of a TimeZone member, its text ("Pacific Standard Time"), its member name
    ("PacificStandardTime") or an IANA name; UTC for None.

    Raises:
        ScheduleError: on field "recurrence.time_zone", for a name that is none of those.
    """
    if time_zone is None:
        return "UTC"
    if isinstance(time_zone, TimeZone):
        return IANA_OF[time_zone]
    if not isinstance(time_zone, str):
        raise ScheduleError("recurrence.time_zone", "must be a TimeZone or the name of one")
    for member in TimeZone:
        if time_zone in (member.value, member.name):
            return IANA_OF[member]
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        why = f"{time_zone!r} is not a time zone; name a TimeZone or an IANA zone such as 'Europe/Lisbon'"
        raise ScheduleError("recurrence.time_zone", why) from None
    return time_zone


def zone_of(time_zone: str | TimeZone | None) -> ZoneInfo:
    return ZoneInfo(zone_name(time_zone))


def _canonical(value: Any, choices: tuple[str, ...], field: str) -> str:
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
    raise ScheduleError(field, f"{value!r} is not one of {', '.join(choices)}")


def _numbers(values: Any, low: int, high: int, field: str) -> list[int]:
    if not isinstance(values, list | tuple) or not values:
        raise ScheduleError(field, f"must be a non-empty list of whole numbers from {low} to {high}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
            raise ScheduleError(field, f"{v!r} is not a whole number from {low} to {high}")
    return sorted(set(values))


def _start(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ScheduleError("recurrence.start_time", f"{value!r} is not an ISO-8601 date and time") from None
    if not isinstance(value, datetime):
        raise ScheduleError("recurrence.start_time", "must be a datetime or ISO-8601 text")
    return value


class ScheduleRecurrence:
    """How often a schedule is due: `frequency` ("Minute", "Hour", "Day", "Week", "Month") every `interval`, from
    `start_time` in `time_zone`, at `hours`/`minutes` or `time_of_day` (Day, Week) on `week_days` (Week); or, beyond
    v1, a `cron` line (five fields, or six with seconds last).

    Raises:
        ScheduleError: naming the argument ("recurrence.week_days") that breaks v1's rules.
    """

    def __init__(
        self,
        frequency: str | None = None,
        interval: int | None = None,
        start_time: datetime | str | None = None,
        time_zone: str | TimeZone | None = None,
        hours: list[int] | None = None,
        minutes: list[int] | None = None,
        week_days: list[str] | None = None,
        time_of_day: str | None = None,
        cron: str | None = None,
    ) -> None:
        self.time_zone = time_zone.value if isinstance(time_zone, TimeZone) else time_zone
        self.zone = zone_name(time_zone)
        self.start_time = _start(start_time)
        self.cron = cron
        self.frequency: str | None = None
        self.interval: int | None = None
        self.hours: list[int] | None = None
        self.minutes: list[int] | None = None
        self.week_days: list[str] | None = None
        self.time_of_day: str | None = None
        if cron is not None:
            if frequency is not None or interval is not None or hours or minutes or week_days or time_of_day:
                raise ScheduleError("recurrence.cron", "give a cron line or a frequency and interval, not both")
            if not isinstance(cron, str) or len(cron.split()) not in (5, 6) or not croniter.is_valid(cron):
                raise ScheduleError(
                    "recurrence.cron", f"{cron!r} is not a cron line (five fields, or six with seconds)"
                )
            return
        if frequency is None:
            raise ScheduleError("recurrence.frequency", f"give one of {', '.join(FREQUENCIES)} (or a cron line)")
        self.frequency = _canonical(frequency, FREQUENCIES, "recurrence.frequency")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ScheduleError("recurrence.interval", "must be a whole number of 1 or more")
        self.interval = interval
        by_time = self.frequency in ("Day", "Week")
        for name, given in (("hours", hours), ("minutes", minutes), ("time_of_day", time_of_day)):
            if given is not None and not by_time:
                raise ScheduleError(f"recurrence.{name}", "is taken only with frequency Day or Week")
        if time_of_day is not None and (hours is not None or minutes is not None):
            raise ScheduleError("recurrence.time_of_day", "give time_of_day, or hours and minutes, not both")
        if week_days is not None and self.frequency != "Week":
            raise ScheduleError("recurrence.week_days", "is taken only with frequency Week")
        if hours is not None:
            self.hours = _numbers(hours, 0, 23, "recurrence.hours")
        if minutes is not None:
            self.minutes = _numbers(minutes, 0, 59, "recurrence.minutes")
        if time_of_day is not None:
            found = _TIME_OF_DAY.match(time_of_day) if isinstance(time_of_day, str) else None
            if found is None:
                raise ScheduleError("recurrence.time_of_day", f"{time_of_day!r} is not a time of day as HH:MM")
            self.time_of_day = time_of_day
            self.hours, self.minutes = [int(found[1])], [int(found[2])]
        if week_days is not None:
            if not isinstance(week_days, list | tuple) or not week_days:
                raise ScheduleError("recurrence.week_days", f"must be a list of {', '.join(WEEK_DAYS)}")
            days = {_canonical(d, WEEK_DAYS, "recurrence.week_days") for d in week_days}
            self.week_days = [d for d in WEEK_DAYS if d in days]

    # JSON ----------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "frequency": self.frequency,
            "interval": self.interval,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "time_zone": self.time_zone,
            "hours": None if self.time_of_day else self.hours,
            "minutes": None if self.time_of_day else self.minutes,
            "week_days": self.week_days,
            "time_of_day": self.time_of_day,
            "cron": self.cron,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduleRecurrence:
        return cls(**data)

    def describe(self) -> str:
        """The recurrence in words, for listings: "every day at 02:30 (Europe/London)"."""
        if self.cron is not None:
            return f"cron {self.cron} ({self.zone})"
        assert self.frequency is not None and self.interval is not None
        unit = self.frequency.lower()
        text = f"every {unit}" if self.interval == 1 else f"every {self.interval} {unit}s"
        if self.week_days:
            text += " on " + ", ".join(self.week_days)
        if self.hours is not None or self.minutes is not None:
            times = [f"{h:02d}:{m:02d}" for h in (self.hours or [0]) for m in (self.minutes or [0])]
            text += " at " + ", ".join(times)
        if self.start_time is not None:
            text += f", from {self.start_time.isoformat(sep=' ', timespec='minutes')}"
        return f"{text} ({self.zone})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ScheduleRecurrence) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, str(v)) for k, v in self.to_json().items())))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_json().items())
        return f"ScheduleRecurrence({fields})"

    # ticks ---------------------------------------------------------------------------------------
    def anchor(self, created_at: datetime) -> datetime:
        """The first due time as a wall time of the schedule's zone (aware)."""
        zone = ZoneInfo(self.zone)
        if self.start_time is None:
            return created_at.astimezone(zone)
        if self.start_time.tzinfo is None:
            return self.start_time.replace(tzinfo=zone)
        return self.start_time.astimezone(zone)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def _rule(recurrence_key: str, anchor: datetime) -> rrule.rrule:
    """The wall-clock rule of a Day/Week/Month recurrence, from `anchor` (naive wall time)."""
    import json

    data = json.loads(recurrence_key)
    frequency: Literal[0, 1, 2, 3, 4, 5, 6] = rrule.MONTHLY
    if data["frequency"] == "Day":
        frequency = rrule.DAILY
    elif data["frequency"] == "Week":
        frequency = rrule.WEEKLY
    hours, minutes = data.get("hours"), data.get("minutes")
    keywords: dict[str, Any] = {"dtstart": anchor, "interval": data["interval"], "bysecond": anchor.second}
    if hours is not None or minutes is not None:
        keywords["byhour"] = hours if hours is not None else [anchor.hour]
        keywords["byminute"] = minutes if minutes is not None else [anchor.minute]
        keywords["bysecond"] = 0
    if data.get("week_days"):
        keywords["byweekday"] = [WEEK_DAYS.index(d) for d in data["week_days"]]
    if frequency == rrule.MONTHLY:
        day = anchor.day
        keywords["bymonthday"] = list(range(min(day, 28), day + 1))
        keywords["bysetpos"] = -1
    return rrule.rrule(frequency, **keywords)


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall time of `zone` as UTC: its first occurrence when it happens twice, shifted by the gap's
    length when it does not exist."""
    return _utc(wall.replace(tzinfo=zone, fold=0))


def _wall_ticks(recurrence: ScheduleRecurrence, anchor: datetime, after: datetime) -> Iterator[datetime]:
    """Due times (aware UTC) after `after`, ascending, of a wall-clock recurrence (Day, Week, Month, cron)."""
    zone = ZoneInfo(recurrence.zone)
    naive_anchor = anchor.replace(tzinfo=None)
    # Walls a little before `after`'s own: a wall time in a spring-forward gap is due after it.
    lookback = timedelta(seconds=1) if recurrence.zone == "UTC" else timedelta(hours=2)
    start = max(_utc(after).astimezone(zone).replace(tzinfo=None) - lookback, naive_anchor)
    walls: Iterator[datetime]
    if recurrence.cron is not None:
        iterator = croniter(recurrence.cron, start - timedelta(microseconds=1))
        walls = iter(lambda: iterator.get_next(datetime), None)
    else:
        walls = _rule(_key(recurrence), naive_anchor).xafter(start, inc=True)
    last = after
    for wall in walls:
        moment = _wall_to_utc(wall, zone)
        if moment > last:  # a wall time twice in a fall-back hour, or mapped past the gap, is due once
            last = moment
            yield moment
        if moment > after + HORIZON:
            return


def _key(recurrence: ScheduleRecurrence) -> str:
    import json

    return json.dumps(recurrence.to_json() | {"hours": recurrence.hours, "minutes": recurrence.minutes}, sort_keys=True)


def _fixed_step(recurrence: ScheduleRecurrence) -> timedelta | None:
    if recurrence.frequency == "Minute":
        return timedelta(minutes=recurrence.interval or 1)
    if recurrence.frequency == "Hour":
        return timedelta(hours=recurrence.interval or 1)
    return None


def _first(recurrence: ScheduleRecurrence, created_at: datetime) -> datetime:
    return _utc(recurrence.anchor(created_at))


def next_tick(recurrence: ScheduleRecurrence, created_at: datetime, after: datetime) -> datetime | None:
    """The first due time after `after` (aware UTC), or None when there is none within about five years."""
    return next(ticks(recurrence, created_at, after, after + HORIZON), None)


def ticks(recurrence: ScheduleRecurrence, created_at: datetime, after: datetime, until: datetime) -> Iterator[datetime]:
    """The due times in (after, until], aware UTC, ascending; `created_at` (aware UTC) is when the schedule was
    made."""
    first = _first(recurrence, created_at)
    step = _fixed_step(recurrence)
    if step is not None:
        moment = first
        if after >= first:
            moment = first + step * ((after - first) // step + 1)
        while moment <= until:
            yield moment
            moment += step
        return
    at_once = recurrence.start_time is None and recurrence.cron is None
    if at_once and after < first <= until:
        yield first  # no start time: due at once, then at the recurrence's times
    for moment in _wall_ticks(recurrence, recurrence.anchor(created_at), after):
        if moment > until:
            return
        if at_once and moment <= first:
            continue
        yield moment


def latest_tick(recurrence: ScheduleRecurrence, created_at: datetime, at_or_before: datetime) -> datetime | None:
    """The last due time at or before `at_or_before` (aware UTC), or None when none is yet."""
    first = _first(recurrence, created_at)
    if at_or_before < first:
        return None
    step = _fixed_step(recurrence)
    if step is not None:
        return first + step * ((at_or_before - first) // step)
    zone = ZoneInfo(recurrence.zone)
    anchor = recurrence.anchor(created_at).replace(tzinfo=None)
    wall = _utc(at_or_before).astimezone(zone).replace(tzinfo=None)
    if recurrence.cron is not None:
        iterator = croniter(recurrence.cron, wall + timedelta(microseconds=1))
        earlier: Iterator[datetime] = iter(lambda: iterator.get_prev(datetime), None)
    else:
        rule = _rule(_key(recurrence), anchor)
        earlier = iter(functools.partial(_before, rule, [wall + timedelta(microseconds=1)]), None)
    found = None
    for candidate in earlier:
        if candidate < anchor - timedelta(days=1):
            break
        moment = _wall_to_utc(candidate, zone)
        if moment <= at_or_before:  # a wall time past a gap may land later: take the one before it
            found = moment
            break
    if recurrence.start_time is None and recurrence.cron is None and (found is None or found < first):
        return first  # due at once, and nothing since
    return found if found is not None and found >= first else None


def _before(rule: rrule.rrule, cursor: list[datetime]) -> datetime | None:
    """The rule's instance before cursor[0], moving the cursor there (an iterator of earlier instances)."""
    found = rule.before(cursor[0])
    if found is not None:
        cursor[0] = found
    return found


EARLIEST = timedelta(microseconds=1)
