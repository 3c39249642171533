"""Reading `duto runs list`'s filters: statuses, an age or a time, tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from duto.errors import ConfigError
from duto.facade.run_filters import parse_since, parse_statuses, parse_tags

NOW = datetime(2024, 5, 10, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("30s", timedelta(seconds=30)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1.5h", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_an_age_counts_back_from_now(text: str, ago: timedelta) -> None:
    assert parse_since(text, NOW) == (NOW - ago).replace(tzinfo=None)


def test_an_iso_time_with_an_offset_becomes_naive_utc() -> None:
    assert parse_since("2024-05-01T14:30:00+02:00", NOW) == datetime(2024, 5, 1, 12, 30)


def test_an_iso_date_or_time_without_an_offset_is_local_time() -> None:
    local = datetime(2024, 5, 1).astimezone()
    assert parse_since("2024-05-01", NOW) == local.astimezone(UTC).replace(tzinfo=None)
    offset = timezone(timedelta(hours=0))
    assert parse_since("2024-05-01 10:00+00:00", NOW) == datetime(2024, 5, 1, 10, 0, tzinfo=offset).replace(tzinfo=None)


@pytest.mark.parametrize("text", ["yesterday", "2x", "-3d", "2024-13-01", ""])
def test_anything_else_is_a_user_error_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(ConfigError, match=r"neither an age \(30m, 2h, 3d, 1w\) nor an ISO date"):
        parse_since(text, NOW)


def test_statuses_are_v1_names_in_any_case_repeated_or_comma_separated() -> None:
    assert parse_statuses(["finished", "FAILED,canceled", "Finished"]) == ["Finished", "Failed", "Canceled"]
    assert parse_statuses([]) == []


def test_an_unknown_status_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_statuses(["Finished,Done"])
    assert str(caught.value) == (
        "--status 'Done' is not a run status; the statuses: "
        "NotStarted, Queued, Preparing, Running, Finished, Failed, Canceled"
    )


def test_tags_are_key_value_or_a_bare_key() -> None:
    assert parse_tags(["team=vision", "gpu", "note=a=b", "empty="]) == {
        "team": "vision",
        "gpu": None,
        "note": "a=b",
        "empty": "",
    }
    with pytest.raises(ConfigError, match="KEY=VALUE or KEY"):
        parse_tags(["=x"])
