"""The checks of a schedule's fields, as `Schedule.create` and `update` make them: each refusal is a ScheduleError
naming the field (`pipeline_id`, `datastore`, `pipeline_parameters.rate`); nothing is made or changed."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError, PublishedPipelineNotFoundError, ScheduleError, TriggerError
from duto.facade.publishing import PublishedPipeline, resolve_trigger
from duto.graph.datasets import DataPath
from duto.scheduling.recurrence import ScheduleRecurrence
from duto.storage.publishing_store import ACTIVE

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

# What the ticks missed while no server ran become when one comes back: one run for the latest of them (as a
# late run of a nightly job should be: once, not a burst), none, or one run each.
CATCH_UP = ("latest", "skip", "all")
MAX_NAME = 255


def active_pipeline(workspace: Workspace, pipeline_id: str) -> PublishedPipeline:
    if not isinstance(pipeline_id, str) or not pipeline_id:
        raise ScheduleError("pipeline_id", "must be the id of a published pipeline (`duto pipelines list`)")
    try:
        published = PublishedPipeline.get(workspace, pipeline_id)
    except PublishedPipelineNotFoundError as exc:
        raise ScheduleError("pipeline_id", str(exc)) from None
    if published.status != ACTIVE:
        raise ScheduleError("pipeline_id", f"published pipeline {published.id} is disabled; enable it first")
    return published


def checked_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ScheduleError("name", f"must be a non-empty string of at most {MAX_NAME} characters")
    return name


def checked_catch_up(value: Any) -> str:
    if value not in CATCH_UP:
        raise ScheduleError("catch_up", f"must be one of {', '.join(CATCH_UP)}")
    return str(value)


def checked_recurrence(value: Any) -> ScheduleRecurrence:
    if not isinstance(value, ScheduleRecurrence):
        raise ScheduleError("recurrence", "must be a ScheduleRecurrence(frequency=..., interval=...) or (cron=...)")
    return value


def checked_datastore(workspace: Workspace, datastore: Any) -> str:
    name = getattr(datastore, "name", datastore)
    workspace.reload()
    known = sorted(workspace.config.datastores)
    if not isinstance(name, str) or name not in known:
        raise ScheduleError("datastore", f"no datastore {name!r} in this workspace; known: {', '.join(known)}")
    kind = workspace.config.datastores[name].get("kind", "local")
    if kind != "local":
        raise ScheduleError(
            "datastore",
            f"datastore {name!r} is of kind {kind}; a schedule watches a local datastore's folder (an object store "
            "is not watched yet): trigger the pipeline from what writes the data, or watch a local datastore",
        )
    return name


def checked_path(path: Any) -> str:
    if not isinstance(path, str):
        raise ScheduleError("path_on_datastore", "must be a path relative to the datastore's root")
    try:
        return DataPath("x", path).path_on_datastore if path.strip("/") else ""
    except ConfigError as exc:
        raise ScheduleError("path_on_datastore", str(exc)) from None


def checked_polling_interval(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ScheduleError("polling_interval", "must be a number of minutes above 0 (0.05 is 3 seconds)")
    return float(value)


def checked_data_path_parameter(published: PublishedPipeline, name: Any) -> str:
    defaults = published.parameters
    if not isinstance(name, str) or not isinstance(defaults.get(name), dict):
        kinds = ", ".join(sorted(n for n, v in defaults.items() if isinstance(v, dict))) or "none"
        raise ScheduleError("data_path_parameter_name", f"must name a DataPath parameter of the pipeline: {kinds}")
    return name


def checked_parameters(published: PublishedPipeline, parameters: Any) -> dict[str, Any]:
    """The assignments as kept: values as given, a DataPath as {"DataStoreName", "RelativePath"}; checked now."""
    if not isinstance(parameters, Mapping):
        raise ScheduleError("pipeline_parameters", "must be a mapping of parameter names to values")
    kept: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, DataPath):
            kept[name] = {"DataStoreName": value.datastore_name, "RelativePath": value.path_on_datastore}
        else:
            kept[name] = value
    try:
        resolve_trigger(published, *split_assignments(kept))
    except TriggerError as exc:
        field = exc.field.split(".", 1)[1] if "." in exc.field else exc.field
        raise ScheduleError(f"pipeline_parameters.{field}", str(exc).removeprefix(f"{exc.field}: ")) from None
    return kept


def split_assignments(kept: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A schedule's kept assignments as a trigger's (ParameterAssignments, DataPathAssignments)."""
    values = {k: v for k, v in kept.items() if not (isinstance(v, dict) and "DataStoreName" in v)}
    paths = {k: v for k, v in kept.items() if k not in values}
    return values, paths
