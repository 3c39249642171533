"""Store operations for reuse: entries by fingerprint, claims on fingerprints being computed, history."""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, Table, bindparam, case, cast, delete, func, insert, literal, select, update

from duto.graph.status import TERMINAL
from duto.storage import models
from duto.storage.db import Database
from duto.storage.lease_store import HOLDER_COLUMNS, holder_of
from duto.storage.runs_store import utcnow

_DROPPED = typing.cast(Table, models.DroppedReuseEntry.__table__)
_ENTRIES = typing.cast(Table, models.ReuseEntry.__table__)
_STEPS = typing.cast(Table, models.StepRun.__table__)
_CLAIMS = typing.cast(Table, models.FingerprintClaim.__table__)
_RUNS = typing.cast(Table, models.PipelineRun.__table__)
# Asked or written once per step a runner decides or commits, so built once (see runs_store).
_ENTRY = (
    select(_ENTRIES.c.step_run_id, _STEPS.c.pipeline_run_id, _STEPS.c.name, _ENTRIES.c.outputs, _ENTRIES.c.created_at)
    .join(_STEPS, _STEPS.c.id == _ENTRIES.c.step_run_id)
    .where(_ENTRIES.c.fingerprint == bindparam("_fingerprint"))
)
_UPDATE_ENTRY = update(_ENTRIES).where(_ENTRIES.c.fingerprint == bindparam("_fingerprint"))
_INSERT_ENTRY = insert(_ENTRIES)
_UNDROP = delete(_DROPPED).where(_DROPPED.c.fingerprint == bindparam("_fingerprint"))
_CLAIM = select(_CLAIMS.c.step_run_id, _CLAIMS.c.pipeline_run_id).where(
    _CLAIMS.c.fingerprint == bindparam("_fingerprint")
)
_CLAIMANT = (
    select(_STEPS.c.status, *HOLDER_COLUMNS)
    .join(_RUNS, _RUNS.c.id == _STEPS.c.pipeline_run_id)
    .where(_STEPS.c.id == bindparam("_step_run_id"))
)
_INSERT_CLAIM = insert(_CLAIMS)
_UNCLAIM = delete(_CLAIMS).where(
    _CLAIMS.c.fingerprint == bindparam("_fingerprint"), _CLAIMS.c.step_run_id == bindparam("_step_run_id")
)


@dataclass(frozen=True)
class Previous:
    """The previous run of a step in an experiment: what explanations diff against."""

    step_run_id: str
    pipeline_run_id: str
    status: str
    components: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """Who computes a fingerprint now: the step run holding its claim, and that step run's pipeline run."""

    step_run_id: str
    pipeline_run_id: str


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    step_run_id: str
    pipeline_run_id: str
    step_name: str
    outputs: dict[str, dict[str, str]]
    created_at: datetime


class ReuseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def entry(self, fingerprint: str) -> Entry | None:
        with self.db.reading_core() as connection:
            row = connection.execute(_ENTRY, {"_fingerprint": fingerprint}).first()
        if row is None:
            return None
        step_run_id, run_id, name, outputs, created_at = row
        return Entry(fingerprint, step_run_id, run_id, name, dict(outputs), created_at)

    def entries(self) -> list[Entry]:
        with self.db.reading() as s:
            rows = s.execute(
                select(models.ReuseEntry, models.StepRun.pipeline_run_id, models.StepRun.name)
                .join(models.StepRun, models.StepRun.id == models.ReuseEntry.step_run_id)
                .order_by(models.ReuseEntry.created_at)
            ).all()
            return [Entry(e.fingerprint, e.step_run_id, r, n, dict(e.outputs), e.created_at) for e, r, n in rows]

    def record(self, fingerprint: str, step_run_id: str, outputs: dict[str, dict[str, str]]) -> None:
        """Make a finished step run the one its fingerprint reuses (the newest wins)."""
        values = {"step_run_id": step_run_id, "outputs": outputs, "created_at": utcnow()}
        with self.db.writing_core() as connection:
            if not connection.execute(_UPDATE_ENTRY, {"_fingerprint": fingerprint, **values}).rowcount:
                connection.execute(_INSERT_ENTRY, {"fingerprint": fingerprint, **values})
            connection.execute(_UNDROP, {"_fingerprint": fingerprint})

    def drop(self, fingerprint: str, reason: str) -> None:
        """Drop a fingerprint's entry, keeping why (e.g. "dropped by cache verify: blob 1a2b... is corrupt")."""
        with self.db.writing() as s:
            entry = s.get(models.ReuseEntry, fingerprint)
            if entry is None:
                return
            s.merge(
                models.DroppedReuseEntry(
                    fingerprint=fingerprint, step_run_id=entry.step_run_id, reason=reason, dropped_at=utcnow()
                )
            )
            s.delete(entry)

    def dropped_reasons(self) -> dict[str, str]:
        """Why each dropped entry was dropped, by fingerprint, for the fingerprints nothing has computed since."""
        with self.db.reading() as s:
            rows = s.connection().execute(select(_DROPPED.c.fingerprint, _DROPPED.c.reason))
            return {fingerprint: reason for fingerprint, reason in rows}

    def claim(self, fingerprint: str, step_run_id: str, pipeline_run_id: str, pid: int) -> Claim | None:
        """Claim a fingerprint for computing; returns the live claim of another step run, or None when ours."""
        with self.db.writing_core() as connection:
            held = connection.execute(_CLAIM, {"_fingerprint": fingerprint}).first()
            if held is not None and held.step_run_id == step_run_id:
                return None
            if held is not None:
                owner = connection.execute(_CLAIMANT, {"_step_run_id": held.step_run_id}).first()
                if owner is not None and owner.status not in TERMINAL and holder_of(owner).live():
                    return Claim(held.step_run_id, held.pipeline_run_id)
                connection.execute(_UNCLAIM, {"_fingerprint": fingerprint, "_step_run_id": held.step_run_id})
            connection.execute(
                _INSERT_CLAIM,
                {
                    "fingerprint": fingerprint,
                    "step_run_id": step_run_id,
                    "pipeline_run_id": pipeline_run_id,
                    "runner_pid": pid,
                    "created_at": utcnow(),
                },
            )
            return None

    def release(self, fingerprint: str, step_run_id: str) -> None:
        with self.db.writing_core() as connection:
            connection.execute(_UNCLAIM, {"_fingerprint": fingerprint, "_step_run_id": step_run_id})

    def release_run(self, pipeline_run_id: str) -> None:
        """Drop every claim the step runs of one pipeline run hold (its runner stopped: they are not computing)."""
        with self.db.writing() as s:
            s.execute(delete(models.FingerprintClaim).where(models.FingerprintClaim.pipeline_run_id == pipeline_run_id))

    def previous_runs(
        self, experiment_id: int, run_id: str, run_created_at: datetime, within: int | None = None
    ) -> dict[str, Previous]:
        """For each step key, its latest run in the experiment submitted before run `run_id`; with `within`, only
        among the experiment's `within` runs submitted last before it (a key found there has its latest run
        there; one not found may have an older one).

        A step run's key is derived from its name and position as `graph.spec.step_key` makes it: the name for
        the first step of a run with that name, `name#2`, `name#3`... for the later ones.
        """
        values = {"experiment_id": experiment_id, "run_id": run_id, "created_at": run_created_at}
        if within is not None:
            values["within"] = within
        with self.db.reading() as s:
            rows = s.connection().execute(_previous_runs_query(within is not None), values)
            return {r.key: Previous(r.id, r.pipeline_run_id, r.status, dict(r.components)) for r in rows}


@functools.cache
def _previous_runs_query(within: bool) -> Select[Any]:
    """`ReuseStore.previous_runs`'s statement, built once (with bound parameters) rather than on every decision."""
    step, run = models.StepRun, models.PipelineRun
    earlier = (
        run.experiment_id == bindparam("experiment_id"),
        run.id != bindparam("run_id"),
        run.created_at <= bindparam("created_at"),
    )
    # With `within`, the steps are those of the experiment's newest runs, read from the end of the index on
    # (experiment_id, created_at): the cost stays that of `within` runs however long the experiment's history.
    runs = select(run.id, run.created_at).where(*earlier)
    if within:
        runs = runs.order_by(run.created_at.desc()).limit(bindparam("within"))
    earlier_runs = runs.subquery()
    ordinal = func.row_number().over(partition_by=(step.pipeline_run_id, step.name), order_by=step.position)
    numbered = (
        select(
            step.id,
            step.name,
            earlier_runs.c.created_at,
            step.components.is_not(None).label("decided"),
            ordinal.label("ordinal"),
        )
        .join(earlier_runs, earlier_runs.c.id == step.pipeline_run_id)
        .subquery()
    )
    key = case(
        (numbered.c.ordinal == 1, numbered.c.name),
        else_=numbered.c.name + literal("#") + cast(numbered.c.ordinal, String),
    )
    newest_first = func.row_number().over(partition_by=key, order_by=numbered.c.created_at.desc())
    ranked = (
        select(numbered.c.id, key.label("key"), newest_first.label("rank"))
        .where(numbered.c.decided.is_(True))
        .subquery()
    )
    columns = (_STEPS.c.id, _STEPS.c.pipeline_run_id, _STEPS.c.status, _STEPS.c.components, ranked.c.key)
    return select(*columns).join(ranked, ranked.c.id == _STEPS.c.id).where(ranked.c.rank == 1)
