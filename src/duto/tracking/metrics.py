"""Metric values as `get_metrics()` gives them, from the rows a run logged, in v1's shapes."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol


class MetricRow(Protocol):
    name: str
    kind: str
    value: Any


class LoggedMetric(MetricRow, Protocol):
    """A stored metric row: with the step index it was logged with (or None) and when."""

    step: int | None
    logged_at: float


def aggregate(rows: Iterable[MetricRow]) -> dict[str, Any]:
    """A name logged once gives its value, logged again the list in order; rows build `{column: [values]}`."""
    seen: dict[str, list[MetricRow]] = {}
    for row in rows:
        seen.setdefault(row.name, []).append(row)
    result: dict[str, Any] = {}
    for name, entries in seen.items():
        kind = entries[0].kind
        if kind in ("row", "table"):
            table: dict[str, list[Any]] = {}
            for entry in entries:
                values = entry.value if entry.kind == "table" else {k: [v] for k, v in entry.value.items()}
                for column, column_values in values.items():
                    table.setdefault(column, []).extend(column_values)
            result[name] = table
        elif len(entries) == 1:
            result[name] = entries[0].value
        else:
            result[name] = [e.value for e in entries]
    return result


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def series(rows: Iterable[LoggedMetric]) -> dict[str, Any]:
    """Every point of each metric, for drawing: `{"series", "scalars", "other"}`.

    A number logged more than once is a series: its values with, for each, the step index it was logged with
    (its position when logged without one) and the time it was logged. A number logged once is a scalar. A list
    of numbers is a series indexed by position, without times. An image is in `images` under its name, as the
    file name it was kept under (the latest, when logged again). Anything else (rows, tables, text) is in `other`,
    in the shape `aggregate` gives it.
    """
    seen: dict[str, list[LoggedMetric]] = {}
    for row in rows:
        seen.setdefault(row.name, []).append(row)
    found: dict[str, Any] = {"series": [], "scalars": {}, "images": {}, "other": {}}
    for name, entries in seen.items():
        numbers = all(e.kind == "scalar" and _number(e.value) for e in entries)
        if numbers and len(entries) > 1:
            indexes = [i if e.step is None else e.step for i, e in enumerate(entries)]
            times = [e.logged_at for e in entries]
            found["series"].append(
                {"name": name, "steps": indexes, "times": times, "values": [e.value for e in entries]}
            )
        elif numbers:
            found["scalars"][name] = entries[0].value
        elif entries[-1].kind == "image":
            found["images"][name] = os.path.basename(str(entries[-1].value))
        elif len(entries) == 1 and entries[0].kind == "list" and all(_number(v) for v in entries[0].value or []):
            values = list(entries[0].value or [])
            found["series"].append({"name": name, "steps": list(range(len(values))), "times": None, "values": values})
        else:
            found["other"].update(aggregate(entries))
    return found
