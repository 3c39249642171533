"""A comparison of runs over the wire: what `duto runs diff` shows, for two runs or more."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from duto.server.schemas.runs import RunSummary

Change = Literal["baseline", "same", "differs", "added", "removed", "unknown", "absent"]


class ValueRow(BaseModel):
    """A parameter or metric with its value in each run (None where that run has none)."""

    name: str
    values: list[Any]
    differs: bool
    image: bool = Field(default=False, description="the values are the URLs of images a step logged (log_image)")


class StepChange(BaseModel):
    """How a step of one run differs from the baseline's: each group lists `duto why`'s sentences for it."""

    change: Change
    code: list[str] = Field(default_factory=list)
    data: list[str] = Field(default_factory=list)
    environment: list[str] = Field(default_factory=list)
    arguments: list[str] = Field(default_factory=list)
    why: str | None = None


class StepComparison(BaseModel):
    key: str
    name: str
    differs: bool = Field(description="some run's step is not the same as the baseline's")
    groups: list[str] = Field(description="the groups (code, data, environment, arguments) that differ in any run")
    runs: list[StepChange] = Field(description="one per run, in the runs' order; the first is the baseline's")


class Edge(BaseModel):
    source: str
    target: str


class Comparison(BaseModel):
    """Runs side by side, each against the first: parameters, last metric values, and per step what differs;
    `edges` is the first run's graph, by step key."""

    runs: list[RunSummary]
    parameters: list[ValueRow]
    metrics: list[ValueRow] = Field(description="the last value of each metric; a step's as `step/name`")
    steps: list[StepComparison]
    edges: list[Edge]
