"""Schedules with the v1 names: a recurrence, or a watched datastore path, that triggers a published pipeline.

`Schedule.create(ws, name, pipeline_id, experiment_name, recurrence=ScheduleRecurrence(...))` runs the pipeline on
each due tick; with `datastore=` and `path_on_datastore=` instead of a recurrence, it runs when a file under that
path is added or changed (by content). The workspace's server fires them (`facade/scheduler.py`); a schedule made
by any process is picked up within seconds. Beyond v1: `catch_up` says what ticks missed while no server ran
become, `delete()`, `next_fire_times()`, and a reason in `stopped_reason` when its pipeline cannot run.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from duto.errors import (
    ConfigError,
    DutoError,
    PipelineEndpointNotFoundError,
    PublishedPipelineNotFoundError,
    ScheduleError,
)
from duto.facade.pipeline_endpoints import PipelineEndpoint
from duto.facade.publishing import PublishedPipeline
from duto.facade.schedule_checks import (
    CATCH_UP,
    active_pipeline,
    checked_catch_up,
    checked_data_path_parameter,
    checked_datastore,
    checked_name,
    checked_parameters,
    checked_path,
    checked_polling_interval,
    checked_recurrence,
)
from duto.scheduling.recurrence import ScheduleRecurrence, TimeZone, next_tick
from duto.storage import models
from duto.storage.publishing_store import ACTIVE, DISABLED
from duto.storage.schedule_store import ScheduleStore

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun
    from duto.facade.workspace import Workspace

__all__ = ["CATCH_UP", "Schedule", "ScheduleRecurrence", "TimeZone"]


def _store(workspace: Workspace) -> ScheduleStore:
    return ScheduleStore(workspace.database)


def as_utc(moment: datetime) -> datetime:
    """A DB time (naive UTC) as an aware UTC one."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Schedule:
    """A schedule of the workspace (`Schedule.get(ws, id)`, `Schedule.create(...)`)."""

    def __init__(self, workspace: Workspace, row: models.Schedule) -> None:
        self.workspace = workspace
        self._row = row

    # reading -------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._row.id

    @property
    def name(self) -> str:
        return self._row.name

    @property
    def description(self) -> str | None:
        return self._row.description

    @property
    def status(self) -> str:
        """ "Active" or "Disabled", as the DB says now."""
        return self._fresh().status

    @property
    def recurrence(self) -> ScheduleRecurrence | None:
        data = self._row.recurrence
        return None if data is None else ScheduleRecurrence.from_json(data)

    @property
    def pipeline_id(self) -> str | None:
        return self._row.pipeline_id

    @property
    def pipeline_endpoint_id(self) -> str | None:
        return self._row.pipeline_endpoint_id

    @property
    def experiment_name(self) -> str:
        return self._row.experiment_name

    @property
    def pipeline_parameters(self) -> dict[str, Any]:
        return dict(self._row.pipeline_parameters)

    @property
    def datastore_name(self) -> str | None:
        return self._row.datastore

    @property
    def path_on_datastore(self) -> str | None:
        return self._row.path_on_datastore

    @property
    def polling_interval(self) -> float | None:
        return self._row.polling_interval

    @property
    def data_path_parameter_name(self) -> str | None:
        return self._row.data_path_parameter_name

    @property
    def continue_on_step_failure(self) -> bool | None:
        return self._row.continue_on_step_failure

    @property
    def catch_up(self) -> str:
        return self._row.catch_up

    @property
    def stopped_reason(self) -> str | None:
        """Why it fires no runs now although Active (its pipeline was disabled or deleted), or None."""
        return self._fresh().stopped_reason

    @property
    def created_at(self) -> datetime:
        return as_utc(self._row.created_at)

    def _fresh(self) -> models.Schedule:
        self._row = _store(self.workspace).get(self._row.id)
        return self._row

    def next_fire_times(self, count: int = 5, after: datetime | None = None) -> builtins.list[datetime]:
        """The next `count` due times (aware UTC) after `after` (now) of a recurrence; [] for a watched path."""
        recurrence = self.recurrence
        if recurrence is None:
            return []
        row = self._fresh()
        moment = after or datetime.now(UTC)
        if row.last_tick is not None:
            moment = max(moment, as_utc(row.last_tick))
        times: builtins.list[datetime] = []
        while len(times) < count:
            due = next_tick(recurrence, as_utc(row.created_at), moment)
            if due is None:
                break
            times.append(due)
            moment = due
        return times

    def run_ids(self) -> builtins.list[str]:
        """The ids of the runs it started, newest first (what `get_pipeline_runs` opens)."""
        return _store(self.workspace).run_ids(self.id)

    def get_pipeline_runs(self) -> builtins.list[PipelineRun]:
        """The runs it started, newest first."""
        from duto.facade.runs import PipelineRun

        return [PipelineRun(self.workspace, run_id) for run_id in self.run_ids()]

    def get_last_pipeline_run(self) -> PipelineRun | None:
        """The run it started last, or None."""
        from duto.facade.runs import PipelineRun

        runs = self.run_ids()
        return PipelineRun(self.workspace, runs[0]) if runs else None

    def firings(self, limit: int | None = 20) -> builtins.list[models.ScheduleFiring]:
        """Its firings, newest first: each due tick (or data change) with its run, or why none was started."""
        return _store(self.workspace).firings(self.id, limit)

    # making and changing -------------------------------------------------------------------------
    @staticmethod
    def create(
        workspace: Workspace,
        name: str,
        pipeline_id: str,
        experiment_name: str,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: float = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        catch_up: str = "latest",
    ) -> Schedule:
        """A schedule that runs the published pipeline `pipeline_id` under `experiment_name`: on each due tick of
        `recurrence`, or, with `datastore` (and `path_on_datastore`, the datastore's root by default) instead, when a
        file under that path is added or its content changes, looked for every `polling_interval` minutes.

        `wait_for_provisioning` and `wait_timeout` are accepted for v1 code; a schedule is ready at once.

        Raises:
            ScheduleError: naming the field at fault (an unknown or disabled pipeline, an unknown datastore, an
                invalid recurrence, parameters the pipeline does not take); nothing is made.
        """
        published = active_pipeline(workspace, pipeline_id)
        return _create(
            workspace,
            published,
            None,
            name,
            experiment_name,
            recurrence,
            description,
            pipeline_parameters,
            datastore,
            polling_interval,
            data_path_parameter_name,
            continue_on_step_failure,
            path_on_datastore,
            catch_up,
        )

    @staticmethod
    def create_for_pipeline_endpoint(
        workspace: Workspace,
        name: str,
        pipeline_endpoint_id: str,
        experiment_name: str,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: float = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        catch_up: str = "latest",
    ) -> Schedule:
        """`create` for a pipeline endpoint: each firing runs the endpoint's default version at that moment."""
        try:
            endpoint = PipelineEndpoint.get(workspace, id=pipeline_endpoint_id)
        except PipelineEndpointNotFoundError as exc:
            raise ScheduleError("pipeline_endpoint_id", str(exc)) from None
        if endpoint.status != ACTIVE:
            why = f"pipeline endpoint {endpoint.name!r} is disabled; enable it first"
            raise ScheduleError("pipeline_endpoint_id", why)
        published = endpoint.get_pipeline()
        return _create(
            workspace,
            published,
            endpoint.id,
            name,
            experiment_name,
            recurrence,
            description,
            pipeline_parameters,
            datastore,
            polling_interval,
            data_path_parameter_name,
            continue_on_step_failure,
            path_on_datastore,
            catch_up,
        )

    @staticmethod
    def get(workspace: Workspace, id: str) -> Schedule:
        """The schedule with this id (or a unique prefix of it).

        Raises:
            ScheduleNotFoundError: none has it.
        """
        return Schedule(workspace, _store(workspace).get(id))

    @staticmethod
    def list(
        workspace: Workspace,
        active_only: bool = True,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
    ) -> builtins.list[Schedule]:
        """The workspace's schedules, newest first; the disabled ones too unless `active_only`."""
        rows = _store(workspace).schedules(active_only, pipeline_id, pipeline_endpoint_id)
        return [Schedule(workspace, row) for row in rows]

    @staticmethod
    def get_schedules_for_pipeline_id(workspace: Workspace, pipeline_id: str) -> builtins.list[Schedule]:
        return Schedule.list(workspace, active_only=False, pipeline_id=pipeline_id)

    @staticmethod
    def get_schedules_for_pipeline_endpoint_id(
        workspace: Workspace, pipeline_endpoint_id: str
    ) -> builtins.list[Schedule]:
        return Schedule.list(workspace, active_only=False, pipeline_endpoint_id=pipeline_endpoint_id)

    def enable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Let it fire again; ticks that fell while it was disabled fire nothing."""
        self._row = _store(self.workspace).update(
            self.id, status=ACTIVE, last_tick=datetime.now(UTC).replace(tzinfo=None), stopped_reason=None
        )

    def disable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Stop it from firing (its record and history stay; `enable` starts it again)."""
        self._row = _store(self.workspace).update(self.id, status=DISABLED)

    def delete(self) -> None:
        """Remove it and its firings; the runs it started stay."""
        _store(self.workspace).delete(self.id)

    def update(
        self,
        name: str | None = None,
        description: str | None = None,
        recurrence: ScheduleRecurrence | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        status: str | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: float | None = None,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        catch_up: str | None = None,
    ) -> None:
        """Change what is given; the rest stays. A new recurrence counts from now: ticks before it fire nothing.

        Raises:
            ScheduleError: naming the field at fault; nothing is changed.
        """
        row = self._fresh()
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = checked_name(name)
        if description is not None:
            values["description"] = description
        if status is not None:
            if status not in (ACTIVE, DISABLED):
                raise ScheduleError("status", f"must be {ACTIVE!r} or {DISABLED!r}")
            values["status"] = status
        if catch_up is not None:
            values["catch_up"] = checked_catch_up(catch_up)
        if continue_on_step_failure is not None:
            values["continue_on_step_failure"] = bool(continue_on_step_failure)
        if recurrence is not None:
            if row.recurrence is None:
                raise ScheduleError("recurrence", "this schedule watches a datastore path; make a new one instead")
            values["recurrence"] = checked_recurrence(recurrence).to_json()
            values["last_tick"] = datetime.now(UTC).replace(tzinfo=None)
        watching = (datastore, path_on_datastore, polling_interval, data_path_parameter_name)
        if any(v is not None for v in watching) and row.recurrence is not None:
            raise ScheduleError("datastore", "this schedule has a recurrence; make a new one to watch a datastore path")
        published = self._pipeline()
        if datastore is not None:
            values["datastore"] = checked_datastore(self.workspace, datastore)
        if path_on_datastore is not None:
            values["path_on_datastore"] = checked_path(path_on_datastore)
        if polling_interval is not None:
            values["polling_interval"] = checked_polling_interval(polling_interval)
        if data_path_parameter_name is not None:
            values["data_path_parameter_name"] = checked_data_path_parameter(published, data_path_parameter_name)
        if pipeline_parameters is not None:
            values["pipeline_parameters"] = checked_parameters(published, pipeline_parameters)
        if "datastore" in values or "path_on_datastore" in values:  # a new place: what is there now is the baseline
            from duto.facade.scheduler import watched_baseline

            store = values.get("datastore", row.datastore)
            path = values.get("path_on_datastore", row.path_on_datastore) or ""
            values["baseline"] = watched_baseline(self.workspace, str(store), path)
            values["baseline_version"] = row.baseline_version + 1
        if values:
            self._row = _store(self.workspace).update(self.id, **values)

    def _pipeline(self) -> PublishedPipeline:
        if self.pipeline_endpoint_id is not None:
            try:
                return PipelineEndpoint.get(self.workspace, id=self.pipeline_endpoint_id).get_pipeline()
            except DutoError as exc:
                raise ScheduleError("pipeline_endpoint_id", str(exc)) from None
        assert self.pipeline_id is not None
        try:
            return PublishedPipeline.get(self.workspace, self.pipeline_id)
        except PublishedPipelineNotFoundError as exc:
            raise ScheduleError("pipeline_id", str(exc)) from None

    def to_document(self) -> dict[str, Any]:
        """The schedule as JSON: what `duto schedules show --json` prints and the server answers."""
        row = self._fresh()
        recurrence = self.recurrence
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "status": row.status,
            "pipeline_id": row.pipeline_id,
            "pipeline_endpoint_id": row.pipeline_endpoint_id,
            "experiment_name": row.experiment_name,
            "recurrence": recurrence.to_json() if recurrence is not None else None,
            "recurrence_text": recurrence.describe() if recurrence is not None else None,
            "datastore": row.datastore,
            "path_on_datastore": row.path_on_datastore,
            "polling_interval": row.polling_interval,
            "data_path_parameter_name": row.data_path_parameter_name,
            "pipeline_parameters": dict(row.pipeline_parameters),
            "continue_on_step_failure": row.continue_on_step_failure,
            "catch_up": row.catch_up,
            "stopped_reason": row.stopped_reason,
            "created_at": as_utc(row.created_at).isoformat(),
            "last_tick": as_utc(row.last_tick).isoformat() if row.last_tick else None,
            "next_fire_times": [t.isoformat() for t in self.next_fire_times(3)] if row.status == ACTIVE else [],
        }

    def __repr__(self) -> str:
        return f"Schedule(id={self.id!r}, name={self.name!r}, status={self._row.status!r})"


def _create(
    workspace: Workspace,
    published: PublishedPipeline,
    endpoint_id: str | None,
    name: str,
    experiment_name: str,
    recurrence: ScheduleRecurrence | None,
    description: str | None,
    pipeline_parameters: Mapping[str, Any] | None,
    datastore: Any,
    polling_interval: float,
    data_path_parameter_name: str | None,
    continue_on_step_failure: bool | None,
    path_on_datastore: str | None,
    catch_up: str,
) -> Schedule:
    from duto.facade.experiment import Experiment

    values: dict[str, Any] = {
        "name": checked_name(name),
        "description": description,
        "pipeline_id": None if endpoint_id else published.id,
        "pipeline_endpoint_id": endpoint_id,
        "catch_up": checked_catch_up(catch_up),
        "continue_on_step_failure": continue_on_step_failure,
        "pipeline_parameters": checked_parameters(published, pipeline_parameters or {}),
    }
    try:
        Experiment(workspace, experiment_name)  # the same rules for the name as every submit
    except (ConfigError, TypeError) as exc:
        raise ScheduleError("experiment_name", str(exc)) from None
    values["experiment_name"] = experiment_name
    if recurrence is None and datastore is None:
        raise ScheduleError("recurrence", "give a ScheduleRecurrence, or a datastore (and path_on_datastore) to watch")
    if recurrence is not None and datastore is not None:
        raise ScheduleError("datastore", "a schedule has a recurrence or watches a datastore path, not both")
    if recurrence is not None:
        values["recurrence"] = checked_recurrence(recurrence).to_json()
    else:
        from duto.facade.scheduler import watched_baseline

        values["datastore"] = checked_datastore(workspace, datastore)
        values["path_on_datastore"] = checked_path(path_on_datastore or "")
        values["polling_interval"] = checked_polling_interval(polling_interval)
        if data_path_parameter_name is not None:
            values["data_path_parameter_name"] = checked_data_path_parameter(published, data_path_parameter_name)
        # What is there now is the baseline: only what lands or changes after this fires.
        values["baseline"] = watched_baseline(workspace, values["datastore"], values["path_on_datastore"])
    return Schedule(workspace, _store(workspace).add(**values))
