"""Metric values as `get_metrics()` gives them, from the rows a run logged, in v1's shapes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class MetricRow(Protocol):
    name: str
    kind: str
    value: Any


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
