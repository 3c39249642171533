"""Pipeline parameters: named values a run may override at submit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from duto.errors import ConfigError
from duto.graph.datasets import DataPath

ParameterValue = str | int | float | bool | DataPath
_JSON_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@dataclass(frozen=True, eq=False)
class PipelineParameter:
    """A named value usable in a step's `arguments` and `params`, overridable per run.

    Args:
        name: the parameter's name, used in `pipeline_parameters={name: value}` at submit.
        default_value: the value a run uses when the submit does not override it.
    """

    name: str
    default_value: ParameterValue

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"PipelineParameter name {self.name!r} must be a Python identifier such as 'lr'")
        if not isinstance(self.default_value, ParameterValue):
            raise ConfigError(
                f"PipelineParameter {self.name!r}: default_value must be a str, int, float, bool or DataPath, "
                f"not {type(self.default_value).__name__}"
            )

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"


def parameter_type(spec: Any) -> str:
    """The type a parameter takes, named from its default as the spec records it: "bool", "int", "float",
    "string" or "datapath" (a default recorded as {"datastore", "path"})."""
    if isinstance(spec, dict):
        return "datapath"
    if isinstance(spec, bool):
        return "bool"
    if isinstance(spec, int):
        return "int"
    if isinstance(spec, float):
        return "float"
    return "string"


def spec_value(value: ParameterValue) -> Any:
    """A parameter's value as the spec and the run record it: a DataPath becomes {"datastore", "path"}."""
    return value.to_spec() if isinstance(value, DataPath) else value


def coerce_parameter(name: str, default: ParameterValue, value: Any) -> Any:
    """Check a submitted value against the parameter's default type; ints widen to floats.

    Returns the value as the spec records it (see `spec_value`).

    Raises:
        ConfigError: when the value cannot stand for a parameter of that type.
    """
    if isinstance(default, DataPath):
        if isinstance(value, DataPath):
            return value.to_spec()
    elif isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, str):
        return value
    raise ConfigError(
        f"pipeline parameter {name!r} takes a {type(default).__name__} (its default is {default!r}), got {value!r}"
    )


def parse_parameter_text(text: str) -> ParameterValue:
    """Read a value typed on a command line: JSON numbers and booleans, otherwise the text itself."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _JSON_INT.fullmatch(text):
        return int(text)
    if _JSON_NUMBER.fullmatch(text):
        return float(text)
    return text
