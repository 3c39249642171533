"""Store operations on schedules and their firings.

A firing is the record of one due tick: the run it started, or why none was. It is unique per (schedule, tick)
and is written in the transaction that records its run (`record_firing`, given to the trigger as `record_with`),
so a tick fires one run however many servers watch the schedule, and a server killed mid-way leaves either the
run and its firing or neither. Rows are returned detached; callers read their fields after the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from duto.errors import ScheduleNotFoundError
from duto.storage import models
from duto.storage.db import Database
from duto.storage.publishing_store import ACTIVE
from duto.storage.runs_store import new_id, utcnow

_SCHEDULES = cast(Table, models.Schedule.__table__)
_FIRINGS = cast(Table, models.ScheduleFiring.__table__)
LISTED = 10


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, **values: Any) -> models.Schedule:
        """A new Active schedule with these column values; returns its row."""
        now = utcnow()
        row = models.Schedule(id=new_id(), status=ACTIVE, created_at=now, updated_at=now, baseline_version=0, **values)
        with self.db.writing() as s:
            s.add(row)
        return row

    def get(self, key: str) -> models.Schedule:
        """The schedule with this id, or the one whose id starts with it.

        Raises:
            ScheduleNotFoundError: none has it, or several ids start with it (listed).
        """
        table = models.Schedule
        with self.db.reading() as s:
            row = s.get(table, key)
            if row is not None:
                return row
            starts = table.id.startswith(key, autoescape=True)
            rows = list(s.scalars(select(table).where(starts).order_by(table.id).limit(LISTED + 1)))
        if len(rows) == 1:
            return rows[0]
        raise ScheduleNotFoundError(key, [r.id for r in rows[:LISTED]])

    def schedules(
        self, active_only: bool = True, pipeline_id: str | None = None, pipeline_endpoint_id: str | None = None
    ) -> list[models.Schedule]:
        """The schedules, newest first: the active ones, or all; of one pipeline or endpoint when given."""
        table = models.Schedule
        query = select(table).order_by(table.created_at.desc(), table.id)
        if active_only:
            query = query.where(table.status == ACTIVE)
        if pipeline_id is not None:
            query = query.where(table.pipeline_id == pipeline_id)
        if pipeline_endpoint_id is not None:
            query = query.where(table.pipeline_endpoint_id == pipeline_endpoint_id)
        with self.db.reading() as s:
            return list(s.scalars(query))

    def change_mark(self) -> tuple[int, datetime | None]:
        """What changes when a schedule is made, changed or removed: their count and newest `updated_at`."""
        with self.db.reading() as s:
            count, newest = s.execute(select(func.count(), func.max(_SCHEDULES.c.updated_at))).one()
        return int(count), newest

    def update(self, schedule_id: str, **values: Any) -> models.Schedule:
        """Set these columns (and `updated_at`); returns the row as it is now."""
        with self.db.writing() as s:
            s.execute(update(_SCHEDULES).where(_SCHEDULES.c.id == schedule_id).values(updated_at=utcnow(), **values))
            row = s.get(models.Schedule, schedule_id, populate_existing=True)
        if row is None:
            raise ScheduleNotFoundError(schedule_id)
        return row

    def delete(self, schedule_id: str) -> None:
        """Remove a schedule and its firings (the runs it started stay)."""
        with self.db.writing() as s:
            s.execute(delete(_FIRINGS).where(_FIRINGS.c.schedule_id == schedule_id))
            s.execute(delete(_SCHEDULES).where(_SCHEDULES.c.id == schedule_id))

    # firings -------------------------------------------------------------------------------------
    @staticmethod
    def record_firing(
        schedule_id: str, tick: str, last_tick: datetime | None, baseline: tuple[str, int] | None = None
    ) -> Callable[[Session, str], None]:
        """What a trigger writes with its run (`record_with`): the firing of `tick`, the schedule's `last_tick`
        (or, for a watched path, its new baseline and version), and no stopped reason.

        The firing's uniqueness makes a second firing of the tick (another server, or this one again after a
        crash) fail with IntegrityError, and the run is then not recorded either.
        """

        def record(session: Session, run_id: str) -> None:
            core = session.connection()
            core.execute(insert(_FIRINGS).values(schedule_id=schedule_id, tick=tick, run_id=run_id, fired_at=utcnow()))
            values: dict[str, Any] = {"stopped_reason": None}
            if last_tick is not None:
                values["last_tick"] = last_tick
            if baseline is not None:
                values["baseline"], values["baseline_version"] = baseline
            core.execute(update(_SCHEDULES).where(_SCHEDULES.c.id == schedule_id).values(**values))

        return record

    def record_skip(self, schedule_id: str, tick: str, outcome: str, last_tick: datetime | None) -> bool:
        """Record that `tick` fired no run, and why (also the schedule's stopped reason). False when the tick was
        recorded already (another server fired or skipped it)."""
        try:
            with self.db.writing() as s:
                core = s.connection()
                core.execute(
                    insert(_FIRINGS).values(schedule_id=schedule_id, tick=tick, outcome=outcome, fired_at=utcnow())
                )
                values: dict[str, Any] = {"stopped_reason": outcome}
                if last_tick is not None:
                    values["last_tick"] = last_tick
                core.execute(update(_SCHEDULES).where(_SCHEDULES.c.id == schedule_id).values(**values))
        except IntegrityError:
            return False
        return True

    def set_baseline(self, schedule_id: str, baseline: str, version: int) -> bool:
        """Move a watched path's baseline to `baseline` without firing (the tree changed in ways that fire nothing:
        removals, files rewritten with the same bytes), if its version is still `version`."""
        with self.db.writing() as s:
            done = s.connection().execute(
                update(_SCHEDULES)
                .where(_SCHEDULES.c.id == schedule_id, _SCHEDULES.c.baseline_version == version)
                .values(baseline=baseline)
            )
        return bool(done.rowcount)

    def set_stopped_reason(self, schedule_id: str, reason: str | None) -> None:
        with self.db.writing() as s:
            s.execute(update(_SCHEDULES).where(_SCHEDULES.c.id == schedule_id).values(stopped_reason=reason))

    def firings(self, schedule_id: str, limit: int | None = None) -> list[models.ScheduleFiring]:
        """The schedule's firings, newest first."""
        table = models.ScheduleFiring
        query = select(table).where(table.schedule_id == schedule_id).order_by(table.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.db.reading() as s:
            return list(s.scalars(query))

    def run_ids(self, schedule_id: str) -> list[str]:
        """The runs the schedule started, newest first."""
        table = models.ScheduleFiring
        query = select(table.run_id).where(table.schedule_id == schedule_id, table.run_id.is_not(None))
        with self.db.reading() as s:
            return [r for r in s.scalars(query.order_by(table.id.desc())) if r]
