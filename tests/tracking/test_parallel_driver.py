"""The rows a ParallelRunStep's `run()` returns, as the driver writes them (standard library only)."""

from __future__ import annotations

import pytest

from duto.tracking.parallel_driver import rows_of


class Frame:
    """Something with a DataFrame's `to_csv`, as a DataFrame that `run()` returns offers it."""

    def to_csv(self, sep: str, header: bool, index: bool) -> str:
        assert (sep, header, index) == (" ", False, False)
        return "a.png 0.9\nb.png 0.1\n"


def test_a_list_gives_a_row_per_item_and_an_item_of_values_is_joined_by_spaces() -> None:
    assert rows_of(["a.png 1", ("b.png", 0.5), ["c.png", 2]]) == ["a.png 1", "b.png 0.5", "c.png 2"]


def test_a_data_frame_gives_its_lines_without_header_or_index() -> None:
    assert rows_of(Frame()) == ["a.png 0.9", "b.png 0.1"]


def test_anything_else_is_refused_saying_what_run_must_return() -> None:
    with pytest.raises(TypeError, match="run\\(\\) must return a list or a DataFrame"):
        rows_of(None)
