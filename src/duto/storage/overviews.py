"""Reads that sum up many runs at once, for overview pages: each experiment with its run count and last run,
runs' final metric values, and the step runs that hold a compute target now. Each is a few statements however
many runs there are."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from duto.graph.status import ACTIVE
from duto.storage import models
from duto.storage.db import Database
from duto.storage.lease_store import HOLDER_COLUMNS, Holder

# Ids sent in one IN (...): under the 999 parameters an older SQLite allows.
ID_BATCH = 500


@dataclass(frozen=True)
class ExperimentOverview:
    """An experiment with how many runs it has and its newest run (None for each when it has none)."""

    name: str
    archived: bool
    run_count: int
    last_run_id: str | None
    last_run_status: str | None
    last_run_created: datetime | None


@dataclass(frozen=True)
class StepSource:
    """A step run of a pipeline run, and the step run whose metrics it shows (the original, when reused)."""

    pipeline_run_id: str
    name: str
    source_id: str


@dataclass(frozen=True)
class HeldStep:
    """A step run that holds part of a compute target now (Preparing or Running, its runner alive)."""

    step_run_id: str
    name: str
    status: str
    compute_target: str
    cores: int
    started_at: datetime | None
    pipeline_run_id: str
    experiment: str


def _batches(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


def experiments(db: Database, archived: bool | None = False) -> list[ExperimentOverview]:
    """The experiments by name (the active ones; with `archived` True the archived ones, with None all), each
    with its run count and newest run."""
    runs = models.PipelineRun
    counts = (
        select(runs.experiment_id, func.count().label("run_count"), func.max(runs.created_at).label("newest"))
        .group_by(runs.experiment_id)
        .subquery()
    )
    query = (
        select(models.Experiment, counts.c.run_count, runs.id, runs.status, runs.created_at)
        .outerjoin(counts, counts.c.experiment_id == models.Experiment.id)
        .outerjoin(runs, (runs.experiment_id == counts.c.experiment_id) & (runs.created_at == counts.c.newest))
        .order_by(models.Experiment.name, runs.id)
    )
    if archived is not None:
        column = models.Experiment.archived_at
        query = query.where(column.is_not(None) if archived else column.is_(None))
    found: dict[str, ExperimentOverview] = {}
    with db.reading() as s:
        for experiment, count, run_id, status, created in s.execute(query):
            if experiment.name in found:  # two runs made at the same instant: the first by id stands
                continue
            found[experiment.name] = ExperimentOverview(
                experiment.name, experiment.archived_at is not None, int(count or 0), run_id, status, created
            )
    return list(found.values())


def final_scalars(db: Database, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{run id: {metric name: its last logged value}} for the scalar metrics logged on these runs."""
    metrics = models.Metric
    result: dict[str, dict[str, Any]] = {}
    with db.reading() as s:
        for batch in _batches(run_ids):
            last = (
                select(func.max(metrics.id))
                .where(metrics.run_id.in_(batch), metrics.kind == "scalar")
                .group_by(metrics.run_id, metrics.name)
            )
            query = select(metrics.run_id, metrics.name, metrics.value).where(metrics.id.in_(last))
            for run_id, name, value in s.execute(query):
                result.setdefault(run_id, {})[name] = value
    return result


def step_sources(db: Database, run_ids: Sequence[str]) -> list[StepSource]:
    """The step runs of these pipeline runs, in their runs' step order, each with where its metrics are."""
    steps = models.StepRun
    found: list[StepSource] = []
    with db.reading() as s:
        for batch in _batches(run_ids):
            query = (
                select(steps.pipeline_run_id, steps.name, func.coalesce(steps.reused_from, steps.id))
                .where(steps.pipeline_run_id.in_(batch))
                .order_by(steps.pipeline_run_id, steps.position)
            )
            found.extend(StepSource(run_id, name, source) for run_id, name, source in s.execute(query))
    return found


def held_steps(db: Database) -> list[HeldStep]:
    """The step runs holding a compute target now, oldest start first; a step whose runner died holds nothing."""
    steps = models.StepRun
    runs = models.PipelineRun
    query = (
        select(
            steps.id,
            steps.name,
            steps.status,
            steps.compute_target,
            steps.cores,
            steps.started_at,
            runs.id,
            models.Experiment.name,
            *HOLDER_COLUMNS,
        )
        .join(runs, steps.pipeline_run_id == runs.id)
        .join(models.Experiment, runs.experiment_id == models.Experiment.id)
        .where(steps.status.in_(ACTIVE))
        .order_by(steps.started_at, steps.id)
    )
    now = time.time()
    with db.reading() as s:
        rows = s.execute(query).all()
    return [
        HeldStep(step_id, name, status, target, int(cores or 1), started, run_id, experiment)
        for step_id, name, status, target, cores, started, run_id, experiment, *holder in rows
        if Holder(*holder).live(now)
    ]
