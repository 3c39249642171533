"""What runs are listed by, read from text: statuses, a time to list from, and tags.

`duto runs list` reads them from its options, the server from its query; `option` names the one at fault."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from duto.errors import ConfigError
from duto.graph.status import RunStatus

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")


def parse_statuses(items: Iterable[str], option: str = "--status") -> list[str]:
    """v1 statuses from repeated or comma-separated names, in any case (`finished,failed`).

    Raises:
        ConfigError: naming the status that is not one, and the ones there are.
    """
    known = {status.value.lower(): status.value for status in RunStatus}
    chosen: list[str] = []
    for item in items:
        for name in filter(None, (part.strip() for part in item.split(","))):
            status = known.get(name.lower())
            if status is None:
                raise ConfigError(f"{option} {name!r} is not a run status; the statuses: {', '.join(RunStatus)}")
            if status not in chosen:
                chosen.append(status)
    return chosen


def parse_since(text: str, now: datetime | None = None, option: str = "--since") -> datetime:
    """The moment `text` names, as naive UTC (how the DB keeps times).

    `text` is an age (`30s`, `30m`, `2h`, `3d`, `1w`: that long before `now`) or an ISO date or time
    (`2024-05-01`, `2024-05-01T14:30`, `2024-05-01 14:30:00+02:00`); a time without an offset is local time.

    Raises:
        ConfigError: when it is neither.
    """
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(text.strip().lower())
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2)
        moment = now - timedelta(**{_UNITS[unit]: amount})
    else:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ConfigError(
                f"{option} {text!r} is neither an age (30m, 2h, 3d, 1w) nor an ISO date or time "
                "(2024-05-01, 2024-05-01T14:30)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.astimezone()  # the user's own clock
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_tags(items: Iterable[str], option: str = "--tag") -> dict[str, str | None]:
    """`key=value` (the tag has that value) or `key` (the run has the tag), every one to match.

    Raises:
        ConfigError: for an item with no key.
    """
    tags: dict[str, str | None] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key.strip():
            raise ConfigError(f"{option} {item!r} must look like KEY=VALUE or KEY, e.g. {option} team=vision")
        tags[key.strip()] = value if sep else None
    return tags
