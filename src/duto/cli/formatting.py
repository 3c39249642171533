"""How the CLI shows times, durations, statuses and metric values in its tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

LIST_HEAD = 5


def parse_time(iso: str | None) -> datetime | None:
    """A time from `get_details()` (naive UTC, ISO text) as an aware datetime."""
    return None if iso is None else datetime.fromisoformat(iso).replace(tzinfo=UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A naive UTC time from the DB as an aware datetime."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def size_text(n: int) -> str:
    """A byte count for people: 512 B, 1.5 KiB, 2.0 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]  # a float from here on, for the display only
    return str(n)


def local_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration(started: datetime | None, ended: datetime | None) -> str:
    """How long something ran, up to now while it still runs; empty when it never started."""
    if started is None:
        return ""
    seconds = ((ended or datetime.now(UTC)) - started).total_seconds()
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def status_text(status: str) -> Text:
    from duto.facade.watching import STATUS_STYLES

    return Text(status, style=STATUS_STYLES.get(status, ""))


def compact(value: Any) -> str:
    """A metric value on one short line: long lists show their first values and their length."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        columns = ", ".join(f"{k}: {compact(v)}" for k, v in value.items())
        return "{" + columns + "}"
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = [compact(v) for v in value[:LIST_HEAD]]
        if len(value) > LIST_HEAD:
            items.append(f"... ({len(value)} values)")
        return "[" + ", ".join(items) + "]"
    return str(value)
