"""Experiments over the wire: each with its run count and last run, and an experiment's runs as a table."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from duto.server.schemas.runs import RunSummary


class LastRun(BaseModel):
    id: str
    status: str
    created: str | None


class ExperimentInfo(BaseModel):
    name: str
    archived: bool
    run_count: int
    last_run: LastRun | None = Field(description="its newest run, or None when it has none")


class RunWithMetrics(RunSummary):
    metrics: dict[str, Any] = Field(
        description="each scalar metric's last value: the run's own by name, its steps' as \"step/metric\""
    )


class ExperimentRuns(BaseModel):
    """An experiment's newest runs with their final metrics, for a table of them."""

    name: str
    runs: list[RunWithMetrics] = Field(description="newest first")
    metric_names: list[str] = Field(description="every metric among the runs: the runs' own, then the steps'")
    truncated: bool = Field(description="older runs were left out: ask for a higher limit")
