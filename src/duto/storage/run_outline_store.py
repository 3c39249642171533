"""Reading a run without parsing its spec: its own columns, and one part of its spec taken out by the DB.

The spec of a run of 10,000 steps is 7 MB of JSON, 0.15-0.4 s to parse in Python; the run's page needs only its
edges (a tenth of it), which SQLite's JSON functions take out in C.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, select

from duto.errors import RunNotFoundError
from duto.storage import models
from duto.storage.db import Database

_RUNS = cast(Table, models.PipelineRun.__table__)
_EXPERIMENTS = cast(Table, models.Experiment.__table__)
# What a run's document shows of the run itself (all but its spec and its runner's bookkeeping).
HEAD_COLUMNS = ("id", "status", "reason", "description", "created_at", "started_at", "ended_at", "tags", "parameters")


class RunOutlineStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def head(self, run_id: str) -> Row[Any]:
        """The run's own columns (HEAD_COLUMNS) and its experiment's name (`experiment`), its spec left unread.

        Raises:
            RunNotFoundError: no run has this (full) id.
        """
        columns = [*(_RUNS.c[name] for name in HEAD_COLUMNS), _EXPERIMENTS.c.name.label("experiment")]
        query = (
            select(*columns).join(_EXPERIMENTS, _EXPERIMENTS.c.id == _RUNS.c.experiment_id).where(_RUNS.c.id == run_id)
        )
        with self.db.reading() as s:
            found = s.execute(query).one_or_none()
        if found is None:
            raise RunNotFoundError(run_id)
        return found

    def spec_part(self, run_id: str, name: str) -> Any:
        """The value of the run's spec at its top-level key `name` (None when it has none), parsed from the text of
        that part alone."""
        with self.db.reading() as s:
            return s.scalar(select(_RUNS.c.spec[name]).where(_RUNS.c.id == run_id))

    def step_spec_part(self, run_id: str, position: int, name: str) -> Any:
        """The value at `name` of the run's spec's step at `position` (None when it has none), taken out by the DB
        without the rest of the spec."""
        with self.db.reading() as s:
            return s.scalar(select(_RUNS.c.spec[("steps", position, name)]).where(_RUNS.c.id == run_id))
