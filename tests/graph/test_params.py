"""Pipeline parameters: names, defaults, coercion of submitted values and parsing of command-line text."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duto.errors import ConfigError
from duto.graph.params import PipelineParameter, coerce_parameter, parameter_type, parse_parameter_text

FAST = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize("name", ["not valid", "1st", "", "a-b", "lr!"])
def test_parameter_name_must_be_an_identifier(name: str) -> None:
    with pytest.raises(ConfigError, match="must be a Python identifier"):
        PipelineParameter(name, 1)


def test_parameter_name_must_be_a_string() -> None:
    with pytest.raises(ConfigError, match="must be a Python identifier"):
        PipelineParameter(3, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("default", [None, [1], {"a": 1}, (1,), b"x"])
def test_parameter_default_must_be_a_scalar(default: Any) -> None:
    with pytest.raises(ConfigError, match="default_value must be a str, int, float, bool or DataPath"):
        PipelineParameter("lr", default)


@pytest.mark.parametrize("default", ["x", 1, 0.5, True])
def test_parameter_keeps_name_and_default(default: Any) -> None:
    parameter = PipelineParameter("lr", default)
    assert (parameter.name, parameter.default_value) == ("lr", default)
    assert repr(parameter) == f"PipelineParameter(name='lr', default_value={default!r})"


def test_parameters_compare_by_identity() -> None:
    assert PipelineParameter("lr", 0.1) != PipelineParameter("lr", 0.1)


@pytest.mark.parametrize(
    ("default", "value", "expected"),
    [
        (0.1, 1, 1.0),
        (0.1, 0.25, 0.25),
        (3, 7, 7),
        (True, False, False),
        (False, True, True),
        ("fast", "slow", "slow"),
        ("fast", "", ""),
    ],
)
def test_coerce_accepts_values_of_the_default_type(default: Any, value: Any, expected: Any) -> None:
    result = coerce_parameter("p", default, value)
    assert result == expected
    assert type(result) is type(expected)


def test_coerce_widens_int_to_float() -> None:
    assert type(coerce_parameter("lr", 0.01, 2)) is float


@pytest.mark.parametrize(
    ("default", "value"),
    [
        (0.1, "abc"),
        (0.1, "0.5"),
        (0.1, True),
        (3, 1.5),
        (3, True),
        (3, "3"),
        (True, 1),
        (True, "true"),
        ("fast", 3),
        ("fast", None),
    ],
)
def test_coerce_refuses_values_of_another_type(default: Any, value: Any) -> None:
    with pytest.raises(ConfigError, match=rf"pipeline parameter 'p' takes a {type(default).__name__}"):
        coerce_parameter("p", default, value)


def test_coerce_message_names_default_and_value() -> None:
    with pytest.raises(ConfigError) as info:
        coerce_parameter("lr", 0.01, "abc")
    assert "its default is 0.01" in str(info.value)
    assert "got 'abc'" in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("-2", -2),
        ("0.1", 0.1),
        ("1e3", 1000.0),
        ("true", True),
        ("True", True),
        ("FALSE", False),
        ("abc", "abc"),
        ("", ""),
        ("v1.2", "v1.2"),
    ],
)
def test_parse_parameter_text(text: str, expected: Any) -> None:
    result = parse_parameter_text(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("text", ["1_000", "inf", "nan", "\u0661\u0662"], ids=["underscore", "inf", "nan", "arabic"])
def test_parse_parameter_text_reads_only_json_numbers(text: str) -> None:
    assert parse_parameter_text(text) == text


@FAST
@given(st.integers(min_value=-(10**100), max_value=10**100))
def test_parse_reads_back_any_int(number: int) -> None:
    result = parse_parameter_text(str(number))
    assert result == number
    assert type(result) is int


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_reads_back_any_finite_float(number: float) -> None:
    result = parse_parameter_text(repr(number))
    assert result == number
    assert type(result) is float


@FAST
@given(st.text(alphabet="abcdeghjklmopqrsuvwxyz_-", min_size=1))
def test_parse_keeps_words_as_text(word: str) -> None:
    # no 'f', 'i', 'n' or 't': no "true", "false", "inf" or "nan" can be spelt
    assert parse_parameter_text(word) == word


@FAST
@given(st.integers(min_value=-(2**53), max_value=2**53), st.floats(allow_nan=False))
def test_coerce_float_parameter_takes_any_int(value: int, default: float) -> None:
    result = coerce_parameter("x", default, value)
    assert type(result) is float
    assert math.isclose(result, value)


@FAST
@given(st.one_of(st.integers(), st.floats(), st.text(), st.booleans()))
def test_coerce_bool_parameter_takes_only_bools(value: Any) -> None:
    if isinstance(value, bool):
        assert coerce_parameter("flag", False, value) is value
    else:
        with pytest.raises(ConfigError, match="'flag' takes a bool"):
            coerce_parameter("flag", False, value)


def test_a_default_names_its_type_and_a_bool_is_not_an_int() -> None:
    defaults = {"flag": True, "epochs": 3, "lr": 1.0, "name": "x", "data": {"datastore": "d", "path": "p"}}
    expected = {"flag": "bool", "epochs": "int", "lr": "float", "name": "string", "data": "datapath"}
    assert expected == {name: parameter_type(value) for name, value in defaults.items()}
