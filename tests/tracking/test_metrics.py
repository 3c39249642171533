"""Metric aggregation: what `get_metrics()` gives for the rows a run logged, in v1's shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from duto.tracking.metrics import aggregate


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    value: Any


def test_nothing_logged() -> None:
    assert aggregate([]) == {}


def test_logged_once_gives_the_value() -> None:
    assert aggregate([Row("acc", "scalar", 0.93)]) == {"acc": 0.93}


def test_logged_again_gives_the_list_in_order() -> None:
    rows = [Row("loss", "scalar", 0.9), Row("loss", "scalar", 0.5), Row("loss", "scalar", 0.7)]
    assert aggregate(rows) == {"loss": [0.9, 0.5, 0.7]}


def test_log_list_once_gives_the_list() -> None:
    assert aggregate([Row("errors", "list", [1, 2, 3])]) == {"errors": [1, 2, 3]}


def test_log_list_twice_gives_a_list_of_lists() -> None:
    rows = [Row("errors", "list", [1, 2]), Row("errors", "list", [3])]
    assert aggregate(rows) == {"errors": [[1, 2], [3]]}


def test_rows_build_columns() -> None:
    rows = [Row("curve", "row", {"epoch": 1, "loss": 0.9}), Row("curve", "row", {"epoch": 2, "loss": 0.4})]
    assert aggregate(rows) == {"curve": {"epoch": [1, 2], "loss": [0.9, 0.4]}}


def test_one_row_still_gives_columns() -> None:
    assert aggregate([Row("best", "row", {"k": 3, "acc": 0.9})]) == {"best": {"k": [3], "acc": [0.9]}}


def test_table_gives_its_columns() -> None:
    table = {"x": [1, 2, 3], "y": [4, 5, 6]}
    assert aggregate([Row("points", "table", table)]) == {"points": table}


def test_tables_and_rows_under_one_name_extend_the_columns() -> None:
    rows = [
        Row("points", "table", {"x": [1, 2], "y": [3, 4]}),
        Row("points", "row", {"x": 5, "y": 6}),
        Row("points", "table", {"x": [7], "y": [8]}),
    ]
    assert aggregate(rows) == {"points": {"x": [1, 2, 5, 7], "y": [3, 4, 6, 8]}}


def test_image_gives_the_stored_path() -> None:
    path = ".duto/runs/r1/images/confusion.png"
    assert aggregate([Row("confusion", "image", path)]) == {"confusion": path}


def test_names_are_aggregated_independently_in_first_logged_order() -> None:
    rows = [
        Row("loss", "scalar", 1.0),
        Row("acc", "scalar", 0.5),
        Row("curve", "row", {"e": 1}),
        Row("loss", "scalar", 0.5),
        Row("plot", "image", "p.png"),
        Row("curve", "row", {"e": 2}),
    ]
    result = aggregate(rows)
    assert result == {"loss": [1.0, 0.5], "acc": 0.5, "curve": {"e": [1, 2]}, "plot": "p.png"}
    assert list(result) == ["loss", "acc", "curve", "plot"]


def test_aggregate_takes_any_iterable() -> None:
    assert aggregate(Row("n", "scalar", i) for i in range(3)) == {"n": [0, 1, 2]}


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers()), max_size=20))
def test_scalars_keep_every_value_in_order(logged: list[tuple[str, int]]) -> None:
    result = aggregate(Row(name, "scalar", value) for name, value in logged)
    for name in {n for n, _ in logged}:
        values = [v for n, v in logged if n == name]
        assert result[name] == (values[0] if len(values) == 1 else values)
    assert set(result) == {n for n, _ in logged}
