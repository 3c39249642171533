"""Published pipelines and pipeline endpoints, by v1's names: a pipeline frozen to be run again without its code.

`Pipeline.publish` freezes a pipeline as `submit` would (its code snapshots go into the content store) and keeps
the spec and its parameters' defaults; a `PublishedPipeline` starts runs of that spec, so later edits to the
source folders change nothing in it. Pipeline endpoints, names over versions of published pipelines, are in
`pipeline_endpoints.py`.

`trigger` is the one path that starts a run of a published pipeline: the SDK's `submit`, the CLI and the
server's REST routes all go through it, and `resolve_trigger` is the one check of what a caller assigns.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError, PipelineDisabledError, TriggerError
from duto.facade.submission import freeze_pipeline, start_run
from duto.graph.datasets import DataPath
from duto.graph.params import ParameterValue, coerce_parameter, parameter_type, parse_parameter_text
from duto.graph.spec import PipelineSpec
from duto.storage import models
from duto.storage.publishing_store import ACTIVE, DISABLED, PublishingStore
from duto.storage.server_record import base_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from duto.facade.runs import PipelineRun
    from duto.facade.submission import Pipeline
    from duto.facade.workspace import Workspace

PUBLISHED = "published pipeline"
ENDPOINT = "pipeline endpoint"
MAX_NAME = 255
PIPELINE_TAG = "pipeline_id"  # the tag naming the published pipeline a run was started from
ENDPOINT_TAG = "pipeline_endpoint_id"  # the tag naming the pipeline endpoint a run was triggered through
ENDPOINT_VERSION_TAG = "pipeline_endpoint_version"  # and the endpoint's version it ran


def _store(workspace: Workspace) -> PublishingStore:
    return PublishingStore(workspace.database)


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ConfigError(f"{what} name {name!r} must be a non-empty string of at most {MAX_NAME} characters")
    return name


def _iso(row: models.PublishedPipeline | models.PipelineEndpoint) -> str:
    return row.created_at.replace(tzinfo=UTC).isoformat()


# publishing ------------------------------------------------------------------------------------------
def publish_pipeline(
    pipeline: Pipeline,
    name: str,
    description: str | None = None,
    version: str | None = None,
    continue_on_step_failure: bool | None = None,
) -> PublishedPipeline:
    """Validate and freeze `pipeline` (its code snapshots stored), and record it as a new published pipeline.

    Raises:
        PipelineValidationError: with every problem of the pipeline; nothing is recorded.
    """
    _check_name(name, "published pipeline")
    frozen = freeze_pipeline(pipeline, None, snapshots="store")
    row = _store(pipeline.workspace).add_pipeline(
        name,
        description if description is not None else frozen.spec.description,
        version,
        frozen.spec.to_json(),
        frozen.parameters,
        bool(continue_on_step_failure),
    )
    return PublishedPipeline(pipeline.workspace, row)


def publish_run(
    run: PipelineRun,
    name: str,
    description: str | None = None,
    version: str | None = None,
    continue_on_step_failure: bool | None = None,
) -> PublishedPipeline:
    """Record a run's own spec and parameter values (its snapshots are stored already) as a published pipeline.

    `continue_on_step_failure` defaults to the run's.
    """
    _check_name(name, "published pipeline")
    row = run._row
    spec = PipelineSpec.from_json(row.spec)  # checks the run's spec is one this duto can run
    keep_going = row.continue_on_step_failure if continue_on_step_failure is None else continue_on_step_failure
    published = _store(run.workspace).add_pipeline(
        name,
        description if description is not None else spec.description,
        version,
        row.spec,
        dict(row.parameters),
        bool(keep_going),
        source_run_id=row.id,
    )
    return PublishedPipeline(run.workspace, published)


# the check of a trigger ------------------------------------------------------------------------------
def _default_value(spec_value: Any) -> ParameterValue:
    """A parameter's default as the Python value `coerce_parameter` compares against."""
    if isinstance(spec_value, dict):
        return DataPath(spec_value["datastore"], spec_value["path"])
    return spec_value  # type: ignore[no-any-return]  # a str, int, float or bool, as frozen


def _assigned_value(name: str, default: ParameterValue, value: Any, field: str) -> Any:
    """A ParameterAssignments value checked against the parameter's type; text stands for numbers and booleans
    as on a command line, since REST callers often send every value as a string."""
    if isinstance(default, DataPath) and not isinstance(value, DataPath):
        raise TriggerError(
            field,
            f"{name!r} is a DataPath parameter; assign it in DataPathAssignments as "
            '{"DataStoreName": ..., "RelativePath": ...}',
        )
    if isinstance(value, str) and isinstance(default, bool | int | float):
        value = parse_parameter_text(value)
    try:
        return coerce_parameter(name, default, value)
    except ConfigError as exc:
        raise TriggerError(field, str(exc)) from None


def _data_path(name: str, value: Any, datastores: builtins.list[str]) -> dict[str, str]:
    """A DataPathAssignments value ({"DataStoreName", "RelativePath"}) as the run records it."""
    field = f"DataPathAssignments.{name}"
    if not isinstance(value, Mapping):
        raise TriggerError(field, 'must be an object {"DataStoreName": ..., "RelativePath": ...}')
    for key in ("DataStoreName", "RelativePath"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise TriggerError(f"{field}.{key}", "is missing or not a non-empty string")
    _check_datastore(f"{field}.DataStoreName", value["DataStoreName"], datastores)
    try:
        return DataPath(value["DataStoreName"], value["RelativePath"]).to_spec()
    except ConfigError as exc:
        raise TriggerError(f"{field}.RelativePath", str(exc)) from None


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TriggerError(field, "must be an object of names to values")
    return value


def resolve_trigger(
    published: PublishedPipeline,
    parameter_assignments: Mapping[str, Any] | None,
    data_path_assignments: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameter values a run of `published` gets: its defaults, overridden by what the caller assigns.

    Args:
        published: the published pipeline to run.
        parameter_assignments: {name: value}, as REST's `ParameterAssignments` or the SDK's `pipeline_parameters`
            (a DataPath object may stand for a DataPath parameter there).
        data_path_assignments: {name: {"DataStoreName": ..., "RelativePath": ...}} for DataPath parameters, as
            REST's `DataPathAssignments`.

    Raises:
        TriggerError: naming the field at fault (`ParameterAssignments.lr`, `DataPathAssignments.raw.DataStoreName`)
            for an unknown parameter, a value of the wrong type, an unknown datastore or a malformed body.
    """
    return resolve_assignments(published.workspace, published.parameters, parameter_assignments, data_path_assignments)


def resolve_assignments(
    workspace: Workspace,
    defaults: Mapping[str, Any],
    parameter_assignments: Mapping[str, Any] | None,
    data_path_assignments: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`defaults` (parameter values as a spec or a run records them) overridden by what a caller assigns, each
    checked as `resolve_trigger` says: the one check behind a trigger and a re-submitted run.

    Raises:
        TriggerError: naming the field at fault.
    """
    assigned = _mapping(parameter_assignments, "ParameterAssignments")
    paths = _mapping(data_path_assignments, "DataPathAssignments")
    known = ", ".join(sorted(defaults)) or "none"
    for section, names in (("ParameterAssignments", assigned), ("DataPathAssignments", paths)):
        for name in names:
            if name not in defaults:
                raise TriggerError(f"{section}.{name}", f"no such parameter; this pipeline's parameters: {known}")
    workspace.reload()
    datastores = builtins.list(workspace.config.datastores)
    values = dict(defaults)
    for name, value in assigned.items():
        field = f"ParameterAssignments.{name}"
        if name in paths:
            raise TriggerError(field, "is assigned in DataPathAssignments too; assign it once")
        if isinstance(value, DataPath):
            _check_datastore(field, value.datastore_name, datastores)
        values[name] = _assigned_value(name, _default_value(defaults[name]), value, field)
    for name, value in paths.items():
        if not isinstance(defaults[name], dict):
            why = f"{name!r} is not a DataPath parameter; assign it in ParameterAssignments"
            raise TriggerError(f"DataPathAssignments.{name}", why)
        values[name] = _data_path(name, value, datastores)
    return values


def _check_datastore(field: str, name: str, datastores: builtins.list[str]) -> None:
    if name not in datastores:
        raise TriggerError(field, f"no datastore {name!r} in this workspace; known: {', '.join(sorted(datastores))}")


def _experiment_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise TriggerError("ExperimentName", f"must be a non-empty string of at most {MAX_NAME} characters")
    return value


def _tags(value: Any) -> dict[str, str]:
    tags = _mapping(value, "tags")
    if not all(isinstance(v, str | int | float | bool) for v in tags.values()):
        raise TriggerError("tags", "must be an object of names to text values")
    return {k: str(v) for k, v in tags.items()}


def _optional(value: Any, kind: type, field: str) -> Any:
    if value is not None and not isinstance(value, kind):
        raise TriggerError(field, f"must be a {kind.__name__} or left out")
    return value


# published pipelines ---------------------------------------------------------------------------------
class PublishedPipeline:
    """A pipeline frozen when it was published: `PublishedPipeline.get(ws, id)`, or what `Pipeline.publish` gives.

    Its spec, code snapshots and parameter defaults were fixed at publish time. `status` is "Active" or
    "Disabled"; a disabled one starts no runs until enabled again.
    """

    def __init__(self, workspace: Workspace, row: models.PublishedPipeline) -> None:
        self.workspace = workspace
        self._row = row

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
    def version(self) -> str | None:
        return self._row.version

    @property
    def continue_on_step_failure(self) -> bool:
        return bool(self._row.continue_on_step_failure)

    @property
    def status(self) -> str:
        """Its status as the DB says now: "Active" or "Disabled"."""
        self._row = _store(self.workspace).pipeline(self.id)
        return self._row.status

    @property
    def parameters(self) -> dict[str, Any]:
        """Parameter name -> default, as frozen (a DataPath's as {"datastore", "path"})."""
        return dict(self._row.parameters)

    @property
    def spec(self) -> PipelineSpec:
        return PipelineSpec.from_json(self._row.spec)

    @property
    def total_run_steps(self) -> int:
        return len(self._row.spec.get("steps", []))

    @property
    def source_run_id(self) -> str | None:
        """The run it was published from (`PipelineRun.publish_pipeline`), if it was."""
        return self._row.source_run_id

    @property
    def endpoint(self) -> str:
        """The URL of its trigger route on the workspace's server (the running one's, else the default)."""
        return f"{base_url(self.workspace.config.duto_dir)}/api/pipelines/{self.id}/runs"

    @staticmethod
    def get(workspace: Workspace, id: str) -> PublishedPipeline:
        """The published pipeline with this id (or a unique prefix of it).

        Raises:
            PublishedPipelineNotFoundError: none has it (or several ids start with it).
        """
        return PublishedPipeline(workspace, _store(workspace).pipeline(id))

    @staticmethod
    def list(workspace: Workspace, active_only: bool = True) -> builtins.list[PublishedPipeline]:
        """The workspace's published pipelines, newest first; the disabled ones too unless `active_only`."""
        return [PublishedPipeline(workspace, row) for row in _store(workspace).pipelines(active_only)]

    def submit(
        self,
        workspace: Workspace,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> PipelineRun:
        """Start a run of the published spec under `experiment_name`; returns at once while the run goes on.

        `pipeline_parameters` override the published defaults (a DataPath object for a DataPath parameter);
        `continue_on_step_failure` defaults to the one published.

        Raises:
            PipelineDisabledError: it is disabled; nothing is started.
            TriggerError: an unknown parameter, a value of the wrong type or an unknown datastore; nothing is started.
        """
        if workspace is not self.workspace and workspace.root != self.workspace.root:
            raise ConfigError(
                f"published pipeline {self.id} belongs to the workspace in {self.workspace.root}, not {workspace.root}"
            )
        return self.trigger(experiment_name, pipeline_parameters, None, continue_on_step_failure, tags, description)

    def trigger(
        self,
        experiment_name: Any,
        parameter_assignments: Mapping[str, Any] | None = None,
        data_path_assignments: Mapping[str, Any] | None = None,
        continue_on_step_failure: Any = None,
        tags: Any = None,
        description: Any = None,
        *,
        decide_reuse: bool = True,
        endpoint_id: str | None = None,
        endpoint_version: str | None = None,
        record_with: Callable[[Session, str], None] | None = None,
    ) -> PipelineRun:
        """Start a run as a REST trigger asks (Azure's body: ExperimentName, ParameterAssignments,
        DataPathAssignments, ContinueRunOnStepFailure, tags, Description), checking each field first.

        The pipeline (and `endpoint_id`, the endpoint it is triggered through, as its `endpoint_version`) is
        checked active again in the transaction that records the run, so a disable that lands meanwhile starts
        nothing. With `decide_reuse`
        False the call returns once the run is recorded, leaving its reuse decisions to the workspace's runner
        daemon when one is live (what the server does; see `start_run`). `record_with(session, run_id)` writes
        what must be written with the run or not at all (a schedule's firing), in the same transaction.

        Raises:
            PipelineDisabledError: it is disabled; nothing is started.
            TriggerError: naming the field at fault; nothing is started.
            ExperimentArchivedError: the experiment is archived; nothing is started.
        """
        if self._row.status != ACTIVE:  # as last read; the transaction that records the run checks it again
            raise PipelineDisabledError(PUBLISHED, self.id, self.name)
        experiment = _experiment_name(experiment_name)
        values = resolve_trigger(self, parameter_assignments, data_path_assignments)
        keep_going = _optional(continue_on_step_failure, bool, "ContinueRunOnStepFailure")
        pipeline_id = self.id
        # The run says which published pipeline started it, as a schedule's runs name their schedule, so the
        # pipeline's runs are a tag filter away (`duto runs list --tag pipeline_id=ID`, `/api/runs?tag=...`).
        run_tags = {**_tags(tags), PIPELINE_TAG: pipeline_id}
        if endpoint_id is not None:  # and the endpoint's runs too, each with the version it ran
            run_tags |= {ENDPOINT_TAG: endpoint_id, ENDPOINT_VERSION_TAG: str(endpoint_version)}
        text = _optional(description, str, "Description")

        def guard(session: Session, run_id: str) -> None:
            PublishingStore.ensure_active(session, pipeline_id, endpoint_id)
            if record_with is not None:
                record_with(session, run_id)

        return start_run(
            self.workspace,
            self.spec,
            values,
            experiment,
            self.continue_on_step_failure if keep_going is None else keep_going,
            False,
            run_tags,
            description=text,
            decide_reuse=decide_reuse,
            guard=guard,
        )

    def enable(self) -> None:
        """Let it start runs again."""
        self._set_status(ACTIVE)

    def disable(self) -> None:
        """Stop it from starting runs (its record and snapshots stay, and it can be enabled again)."""
        self._set_status(DISABLED)

    def _set_status(self, status: str) -> None:
        store = _store(self.workspace)
        store.set_pipeline_status(self.id, status)
        self._row = store.pipeline(self.id)

    def delete(self) -> None:
        """Remove it for good; `cache gc` then frees the snapshots that no run or other record names.

        Raises:
            PublishedPipelineInUseError: a version of a pipeline endpoint names it (disable it instead; a
                ConfigError); nothing is removed.
        """
        _store(self.workspace).delete_pipeline(self.id)

    def to_document(self) -> dict[str, Any]:
        """The published pipeline as JSON: what `duto pipelines show --json` prints and the server answers.

        It says what was read by `get`, `list` or the last change made through this object.
        """
        row = self._row
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "version": row.version,
            "status": row.status,
            "endpoint": self.endpoint,
            "parameters": dict(row.parameters),
            "parameter_types": {name: parameter_type(value) for name, value in row.parameters.items()},
            "continue_on_step_failure": bool(row.continue_on_step_failure),
            "created": _iso(row),
            "source_run_id": row.source_run_id,
            "steps": [step["name"] for step in row.spec.get("steps", [])],
        }

    def __repr__(self) -> str:
        return f"PublishedPipeline(id={self.id!r}, name={self.name!r}, status={self._row.status!r})"
