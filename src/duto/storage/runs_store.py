"""Store operations on runs: experiments, pipeline and step runs, their events and metrics.

Every status change is written together with its event, in one short transaction, so the event stream
and the tables never disagree.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from duto.errors import (
    AmbiguousRunError,
    ConfigError,
    ExperimentArchivedError,
    ExperimentNotFoundError,
    RunMatch,
    RunNotFoundError,
)
from duto.graph.status import ACTIVE, TERMINAL, RunStatus
from duto.storage import models
from duto.storage.db import Database
from duto.storage.lease_store import HOLDER_COLUMNS, Holder

# Frequent writes go through SQLAlchemy Core on these tables: the same SQL, without the ORM's bookkeeping of
# objects (none of these statements changes a row an open session has loaded and goes on using).
# (Declarative classes type `__table__` as any FromClause; these are the Tables behind them.)
_RUNS = cast(Table, models.PipelineRun.__table__)
_STEPS = cast(Table, models.StepRun.__table__)
_CONSUMPTIONS = cast(Table, models.DatasetConsumption.__table__)
_EVENTS = cast(Table, models.Event.__table__)
# The statements a runner makes on every step, built once: a statement built per call costs more of SQLAlchemy's
# time than SQLite takes to run it. An UPDATE sets the columns its parameters name besides the row's id.
_UPDATE_STEP = update(_STEPS).where(_STEPS.c.id == bindparam("_step_run_id"))
_UPDATE_RUN = update(_RUNS).where(_RUNS.c.id == bindparam("_run_id"))
_INSERT_EVENTS = insert(_EVENTS)
_STEP_RUN_ID = select(_STEPS.c.pipeline_run_id).where(_STEPS.c.id == bindparam("_step_run_id"))
_CANCEL_REQUESTED = select(_RUNS.c.cancel_requested).where(_RUNS.c.id == bindparam("_run_id"))
_ACTIVE_ON_TARGET = (
    select(_STEPS.c.cores, _STEPS.c.memory_gb, *HOLDER_COLUMNS)
    .join(_RUNS, _STEPS.c.pipeline_run_id == _RUNS.c.id)
    .where(_STEPS.c.compute_target == bindparam("_target"), _STEPS.c.status.in_(list(ACTIVE)))
)
# How many of the runs an ambiguous run id prefix matches its error lists (the newest).
AMBIGUOUS_LISTED = 10


def _core(session: Session) -> Connection:
    return session.connection()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return str(uuid.uuid4())


def _consumptions(
    run_id: str, spec: dict[str, Any], steps: Sequence[tuple[str, str, str]], now: datetime
) -> list[dict[str, Any]]:
    """The registered dataset versions a run's steps read (its lineage), given in spec order as its steps are."""
    return [
        {
            "dataset_version_id": port["source"]["registered"]["id"],
            "pipeline_run_id": run_id,
            "step_run_id": step_run_id,
            "step_name": name,
            "input_name": port["name"],
            "created_at": now,
        }
        for (step_run_id, name, _), step in zip(steps, spec.get("steps", []), strict=False)
        for port in step.get("inputs", [])
        if port["source"].get("registered")
    ]


def _status_values(status: RunStatus, reason: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for a status change: the status, its reason, and the start or end time it marks."""
    values: dict[str, Any] = {"status": status.value, **fields}
    if reason is not None or status.is_terminal:
        values["reason"] = reason  # a final status says why it ended, and nothing said before
    if status == RunStatus.RUNNING:
        values["started_at"] = utcnow()
    if status.is_terminal:
        values["ended_at"] = utcnow()
    return values


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One event of a run's stream as a follower reads it (the columns of `models.Event`, without an ORM object)."""

    id: int
    pipeline_run_id: str
    step_run_id: str | None
    kind: str
    payload: dict[str, Any]
    created_at: float


# A follower's query, built once (see the statements above).
_EVENTS_AFTER = (
    select(*(_EVENTS.c[name] for name in RunEvent.__slots__))
    .where(_EVENTS.c.pipeline_run_id == bindparam("_run_id"), _EVENTS.c.id > bindparam("_after_id"))
    .order_by(_EVENTS.c.id)
    .limit(bindparam("_limit"))
)


@dataclass(frozen=True)
class NewEvent:
    kind: str
    payload: dict[str, Any]
    step_run_id: str | None = None


@dataclass(frozen=True)
class StepChange:
    """A step's new status, why, the columns set with it, and the events that come ahead of it in the stream."""

    step_run_id: str
    name: str
    status: RunStatus
    reason: str | None = None
    before: tuple[NewEvent, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)

    def event(self) -> NewEvent:
        """The change's own event, as followers read it."""
        payload: dict[str, Any] = {"step": self.name, "status": self.status.value}
        if self.reason:
            payload["reason"] = self.reason
        for key in ("exit_code", "reused_from"):
            if self.fields.get(key) is not None:
                payload[key] = self.fields[key]
        return NewEvent("step_status", payload, self.step_run_id)


class RunsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # experiments ---------------------------------------------------------------------------------
    def experiment_id(self, name: str) -> int:
        """The experiment to submit to, made when new.

        Raises:
            ExperimentArchivedError: when it is archived.
        """
        with self.db.writing() as s:
            return self._experiment_id(s, name)

    @staticmethod
    def _experiment_id(s: Session, name: str) -> int:
        table = models.Experiment.__table__
        found = _core(s).execute(select(table.c.id, table.c.archived_at).where(table.c.name == name)).first()
        if found is not None:
            if found.archived_at is not None:
                raise ExperimentArchivedError(name)
            return int(found.id)
        experiment = models.Experiment(name=name, created_at=utcnow())
        s.add(experiment)
        s.flush()
        return experiment.id

    def find_experiment_id(self, name: str) -> int | None:
        """The id of an experiment, or None when it has no runs yet (nothing is created)."""
        with self.db.reading() as s:
            return s.scalar(select(models.Experiment.id).where(models.Experiment.name == name))

    def experiment_names(self, archived: bool | None = False) -> list[str]:
        """Names of the active experiments; with `archived` True the archived ones, with None all."""
        query = select(models.Experiment.name).order_by(models.Experiment.name)
        if archived is not None:
            column = models.Experiment.archived_at
            query = query.where(column.is_not(None) if archived else column.is_(None))
        with self.db.reading() as s:
            return list(s.scalars(query))

    def experiment(self, name: str) -> models.Experiment:
        """An experiment's row.

        Raises:
            ExperimentNotFoundError: when there is none of that name.
        """
        with self.db.reading() as s:
            row = s.scalar(select(models.Experiment).where(models.Experiment.name == name))
        if row is None:
            raise ExperimentNotFoundError(name, self.experiment_names(archived=None))
        return row

    def set_archived(self, name: str, archived: bool, new_name: str | None = None) -> models.Experiment:
        """Archive an experiment, or reactivate it (under `new_name` when given).

        Raises:
            ExperimentNotFoundError: when there is none of that name.
            ConfigError: when `new_name` is taken.
        """
        with self.db.writing() as s:
            row = s.scalar(select(models.Experiment).where(models.Experiment.name == name))
            if row is None:
                raise ExperimentNotFoundError(name, self.experiment_names(archived=None))
            if new_name is not None and new_name != name:
                if s.scalar(select(models.Experiment.id).where(models.Experiment.name == new_name)) is not None:
                    raise ConfigError(
                        f"an experiment named {new_name!r} exists already; pick another name to reactivate "
                        f"{name!r} under"
                    )
                row.name = new_name
            if archived:
                row.archived_at = row.archived_at or utcnow()
            else:
                row.archived_at = None
            s.flush()
            return row

    # runs ----------------------------------------------------------------------------------------
    def create_pipeline_run(
        self,
        run_id: str,
        experiment: str,
        spec: dict[str, Any],
        parameters: dict[str, Any],
        tags: dict[str, str],
        continue_on_step_failure: bool,
        regenerate_outputs: bool,
        steps: Sequence[tuple[str, str, str]],
        description: str | None = None,
        guard: Callable[[Session, str], None] | None = None,
    ) -> None:
        """Record a NotStarted run and its steps, given as (step run id, name, compute target); its description is
        `description` when given, else the spec's.

        `guard(session, run_id)` runs first in the transaction that records the run and raises to record nothing:
        what it checks (a published pipeline still active) cannot change before the run is in, and what it writes
        (a schedule's firing) is written with the run or not at all.
        """
        now = utcnow()
        with self.db.writing() as s:
            if guard is not None:
                guard(s, run_id)
            experiment_id = self._experiment_id(s, experiment)
            core = _core(s)  # Core inserts: a run is recorded on every submit and trigger
            core.execute(
                insert(_RUNS),
                {
                    "id": run_id,
                    "experiment_id": experiment_id,
                    "status": RunStatus.NOT_STARTED.value,
                    "spec": spec,
                    "parameters": parameters,
                    "tags": tags,
                    "description": spec.get("description") if description is None else description,
                    "continue_on_step_failure": continue_on_step_failure,
                    "regenerate_outputs": regenerate_outputs,
                    "cancel_requested": False,
                    "takeovers": 0,
                    "created_at": now,
                },
            )
            if steps:
                core.execute(
                    insert(_STEPS),
                    [
                        {
                            "id": step_run_id,
                            "pipeline_run_id": run_id,
                            "name": name,
                            "position": position,
                            "status": RunStatus.NOT_STARTED.value,
                            "compute_target": target,
                            "tags": {},
                            "outputs": {},
                            "created_at": now,
                        }
                        for position, (step_run_id, name, target) in enumerate(steps)
                    ],
                )
            consumed = _consumptions(run_id, spec, steps, now)
            if consumed:
                core.execute(insert(_CONSUMPTIONS), consumed)
            self._add_events(_core(s), run_id, [NewEvent("run_status", {"status": RunStatus.NOT_STARTED.value})])

    def pipeline_run(self, run_id: str) -> models.PipelineRun:
        with self.db.reading() as s:
            row = s.get(models.PipelineRun, run_id)
            if row is None:
                row = self._by_prefix(s, run_id)
            return row

    def pipeline_run_id(self, run_id: str) -> str:
        """The full id of the run `run_id` names (a run id, a unique prefix of one, or a step run's id), without
        reading its spec: the spec of a run of ten thousand steps takes a tenth of a second to parse."""
        with self.db.reading() as s:
            found = s.scalar(select(_RUNS.c.id).where(_RUNS.c.id == run_id))
            return str(found) if found is not None else self._by_prefix(s, run_id).id

    def _by_prefix(self, s: Any, prefix: str) -> models.PipelineRun:
        """The one run whose id starts with `prefix`, else the run of the step run with that id.

        Raises:
            AmbiguousRunError: several runs' ids start with `prefix`; it lists them.
            RunNotFoundError: none does.
        """
        starts = models.PipelineRun.id.startswith(prefix, autoescape=True)  # '_' and '%' are not wildcards
        rows = list(s.scalars(select(models.PipelineRun).where(starts).limit(2)))
        if len(rows) == 1:
            return rows[0]  # type: ignore[no-any-return]  # scalars() of a mapped class yields that class
        if not rows:
            step = s.get(models.StepRun, prefix)
            if step is not None:
                return s.get(models.PipelineRun, step.pipeline_run_id)  # type: ignore[no-any-return]
            raise RunNotFoundError(prefix)
        count = s.scalar(select(func.count()).select_from(models.PipelineRun).where(starts))
        listed = s.execute(
            select(
                models.PipelineRun.id, models.Experiment.name, models.PipelineRun.status, models.PipelineRun.created_at
            )
            .join(models.Experiment)
            .where(starts)
            .order_by(models.PipelineRun.created_at.desc(), models.PipelineRun.id)
            .limit(AMBIGUOUS_LISTED)
        )
        runs = [RunMatch(i, name, status, created.replace(tzinfo=UTC)) for i, name, status, created in listed]
        raise AmbiguousRunError(prefix, [r.id for r in runs], runs, count)

    def experiment_of(self, run: models.PipelineRun) -> str:
        with self.db.reading() as s:
            return s.scalar(select(models.Experiment.name).where(models.Experiment.id == run.experiment_id)) or ""

    def pipeline_runs(
        self,
        experiment: str | None = None,
        limit: int | None = None,
        archived: bool = False,
        statuses: Collection[str] = (),
        since: datetime | None = None,
        tags: Mapping[str, str | None] | None = None,
        offset: int = 0,
    ) -> list[tuple[models.PipelineRun, str]]:
        """Runs newest first, with their experiment's name: of one experiment (archived or not), else of every
        active experiment, and with `archived` of the archived ones too; filtered in SQL by any of `statuses`,
        creation at or after `since` (naive UTC), and `tags` (every key present, with the value unless None);
        `offset` skips that many of the newest first (a page)."""
        with self.db.reading() as s:
            query = (
                select(models.PipelineRun, models.Experiment.name)
                .join(models.Experiment)
                .order_by(models.PipelineRun.created_at.desc(), models.PipelineRun.id)
            )
            if experiment is not None:
                query = query.where(models.Experiment.name == experiment)
            elif not archived:
                query = query.where(models.Experiment.archived_at.is_(None))
            if statuses:
                query = query.where(models.PipelineRun.status.in_(statuses))
            if since is not None:
                query = query.where(models.PipelineRun.created_at >= since)
            for key, value in (tags or {}).items():
                tag = models.PipelineRun.tags[key].as_string()
                query = query.where(tag.is_not(None) if value is None else tag == value)
            if limit:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            return [(run, name) for run, name in s.execute(query)]

    def step_run_fields(self, run_id: str, *columns: str) -> list[Row[Any]]:
        """The run's step runs in order, as Core rows of these columns (all but the fingerprint's components and
        the attempts when none are named): what a document of a thousand steps reads, in a fifth of the time
        ORM objects of every column take."""
        skipped = ("components", "attempts")
        chosen = [_STEPS.c[name] for name in columns] or [c for c in _STEPS.c if c.name not in skipped]
        query = select(*chosen).where(_STEPS.c.pipeline_run_id == run_id).order_by(_STEPS.c.position)
        with self.db.reading() as s:
            return list(s.execute(query))

    def step_runs(self, run_id: str) -> list[models.StepRun]:
        with self.db.reading() as s:
            return list(
                s.scalars(
                    select(models.StepRun)
                    .where(models.StepRun.pipeline_run_id == run_id)
                    .order_by(models.StepRun.position)
                )
            )

    def step_run_origins(self, step_run_ids: Collection[str]) -> dict[str, tuple[str, str]]:
        """(pipeline run id, name) of each of these step runs that still exists, by id, in one query: where a
        run's reused steps came from."""
        if not step_run_ids:
            return {}
        query = select(models.StepRun.id, models.StepRun.pipeline_run_id, models.StepRun.name).where(
            models.StepRun.id.in_(step_run_ids)
        )
        with self.db.reading() as s:
            return {step_run_id: (run_id, name) for step_run_id, run_id, name in s.execute(query)}

    def fully_reused(self, run_ids: Collection[str]) -> set[str]:
        """Which of these runs have steps, every one of them reused."""
        counts = (
            select(models.StepRun.pipeline_run_id)
            .where(models.StepRun.pipeline_run_id.in_(run_ids))
            .group_by(models.StepRun.pipeline_run_id)
            .having(func.count() == func.count(models.StepRun.reused_from))
        )
        with self.db.reading() as s:
            return set(s.scalars(counts))

    def step_run(self, step_run_id: str) -> models.StepRun:
        with self.db.reading() as s:
            row = s.get(models.StepRun, step_run_id)
            if row is None:
                raise RunNotFoundError(step_run_id)
            return row

    # status changes ------------------------------------------------------------------------------
    def set_run_status(self, run_id: str, status: RunStatus, reason: str | None = None, **fields: Any) -> None:
        values = _status_values(status, reason, fields)
        if "started_at" in values:  # a run taken over by another runner started when its first runner did
            values["started_at"] = func.coalesce(_RUNS.c.started_at, values["started_at"])
        with self.db.writing_core() as connection:
            connection.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(**values))
            payload = {"status": status.value, **({"reason": reason} if reason else {})}
            self._add_events(connection, run_id, [NewEvent("run_status", payload)])

    def set_step_status(
        self,
        run_id: str,
        step_run_id: str,
        name: str,
        status: RunStatus,
        reason: str | None = None,
        before: Sequence[NewEvent] = (),
        **fields: Any,
    ) -> None:
        """Change a step's status; `before` are events that come ahead of the change in the stream."""
        self.set_step_statuses(run_id, [StepChange(step_run_id, name, status, reason, tuple(before), fields)])

    def set_step_statuses(self, run_id: str, changes: Sequence[StepChange]) -> None:
        """Change several steps' statuses in one transaction, their events in the order given: one UPDATE for
        the changes that set the same columns (many reused steps at once), one INSERT for every event."""
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        events: list[NewEvent] = []
        for change in changes:
            values = {"_step_run_id": change.step_run_id, **_status_values(change.status, change.reason, change.fields)}
            updates.setdefault(tuple(values), []).append(values)
            events.extend([*change.before, change.event()])
        with self.db.writing_core() as connection:
            for rows in updates.values():
                connection.execute(_UPDATE_STEP, rows if len(rows) > 1 else rows[0])
            self._add_events(connection, run_id, events)

    def claim_slot(
        self,
        run_id: str,
        step_run_id: str,
        name: str,
        target: str,
        capacity: int,
        cores: int = 1,
        memory_gb: float | None = None,
        memory_capacity_gb: float | None = None,
        before: Sequence[NewEvent] = (),
        **fields: Any,
    ) -> bool:
        """Move a step to Preparing if its target has the cores and memory it asks for free.

        What is in use counts every run of the workspace; a step whose runner died holds nothing. `fields` and
        the events `before` (a step's reuse decision) are written first, in the same transaction, slot or not.
        """
        with self.db.writing_core() as connection:
            if fields:
                connection.execute(_UPDATE_STEP, {"_step_run_id": step_run_id, **fields})
            active = connection.execute(_ACTIVE_ON_TARGET, {"_target": target}).all()
            now = time.time()
            live = [(c, m) for c, m, *holder in active if Holder(*holder).live(now)]
            free = sum(c for c, _ in live) + cores <= capacity and not (
                memory_gb and memory_capacity_gb and sum(m or 0.0 for _, m in live) + memory_gb > memory_capacity_gb
            )
            if free:
                connection.execute(
                    _UPDATE_STEP,
                    {
                        "_step_run_id": step_run_id,
                        "status": RunStatus.PREPARING.value,
                        "cores": cores,
                        "memory_gb": memory_gb,
                    },
                )
                before = [*before, StepChange(step_run_id, name, RunStatus.PREPARING).event()]
            self._add_events(connection, run_id, before)
            return bool(free)

    def request_cancel(self, run_id: str) -> None:
        with self.db.writing_core() as connection:
            connection.execute(_UPDATE_RUN, {"_run_id": run_id, "cancel_requested": True})

    def cancel_requested(self, run_id: str) -> bool:
        with self.db.reading_core() as connection:
            return bool(connection.execute(_CANCEL_REQUESTED, {"_run_id": run_id}).scalar())

    def cancel_unstarted(self, run_id: str, reason: str) -> None:
        """End a run that no runner drives: every step not yet ended, and the run, become Canceled."""
        for step in self.step_runs(run_id):
            if step.status not in TERMINAL:
                self.set_step_status(run_id, step.id, step.name, RunStatus.CANCELED, reason)
        self.set_run_status(run_id, RunStatus.CANCELED, reason)

    # events and metrics --------------------------------------------------------------------------
    def add_events(self, run_id: str, events: Sequence[NewEvent]) -> None:
        if events:
            with self.db.writing_core() as connection:
                self._add_events(connection, run_id, events)

    @staticmethod
    def _add_events(connection: Connection, run_id: str, events: Sequence[NewEvent]) -> None:
        if not events:
            return
        now = time.time()
        rows = [
            {
                "pipeline_run_id": run_id,
                "step_run_id": e.step_run_id,
                "kind": e.kind,
                "payload": e.payload,
                "created_at": now,
            }
            for e in events
        ]
        connection.execute(_INSERT_EVENTS, rows)

    def events_after(self, run_id: str, after_id: int, limit: int = 1000) -> list[RunEvent]:
        """The run's events after event `after_id`, oldest first, at most `limit`: what a follower asks at every
        commit, so one Core query of rows, without ORM objects."""
        values = {"_run_id": run_id, "_after_id": after_id, "_limit": limit}
        with self.db.reading_core() as connection:
            return [RunEvent(*row) for row in connection.execute(_EVENTS_AFTER, values)]

    def record_metrics(
        self,
        run_id: str,
        metrics: Sequence[models.Metric],
        events: Sequence[NewEvent],
        read_to: tuple[str, int] | None = None,
    ) -> None:
        """Store metrics and their events in one transaction, with `read_to`: (step run id, how far its events
        file has been read) so that a runner taking over reads on from there."""
        with self.db.writing() as s:
            s.add_all(metrics)
            self._add_events(_core(s), run_id, events)
            if read_to is not None:
                _core(s).execute(update(_STEPS).where(_STEPS.c.id == read_to[0]).values(events_offset=read_to[1]))

    def step_events(self, run_id: str, step_run_id: str, kinds: Collection[str]) -> list[models.Event]:
        """One step run's events of these kinds, oldest first."""
        with self.db.reading() as s:
            return list(
                s.scalars(
                    select(models.Event)
                    .where(
                        models.Event.pipeline_run_id == run_id,
                        models.Event.step_run_id == step_run_id,
                        models.Event.kind.in_(list(kinds)),
                    )
                    .order_by(models.Event.id)
                )
            )

    def update_step(self, step_run_id: str, event: NewEvent | None = None, **fields: Any) -> None:
        """Change a step run's columns, with an event of its run in the same transaction."""
        with self.db.writing_core() as connection:
            # Its run's id alone, not the whole row (its components can be a dataset's thousands of files).
            run_id = connection.execute(_STEP_RUN_ID, {"_step_run_id": step_run_id}).scalar()
            if run_id is None:
                raise RunNotFoundError(step_run_id)
            connection.execute(_UPDATE_STEP, {"_step_run_id": step_run_id, **fields})
            if event is not None:
                self._add_events(connection, run_id, [event])

    def merge_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        with self.db.writing() as s:
            row = s.get(models.PipelineRun, run_id)
            if row is not None:
                row.tags = {**row.tags, **tags}

    def update_run(self, run_id: str, **fields: Any) -> None:
        with self.db.writing_core() as connection:
            connection.execute(_UPDATE_RUN, {"_run_id": run_id, **fields})
