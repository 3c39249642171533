"""Pipeline endpoints, by v1's name: a unique name, and a stable URL, over versions "0", "1", ... of published
pipelines, one of them the default, so callers keep one URL while the pipeline behind it changes."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError, PipelineDisabledError, PipelineEndpointExistsError, TriggerError
from duto.facade.publishing import (
    ENDPOINT,
    PublishedPipeline,
    _check_name,
    _iso,
    _store,
    publish_pipeline,
)
from duto.storage import models
from duto.storage.publishing_store import ACTIVE, DISABLED
from duto.storage.server_record import base_url

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from duto.facade.runs import PipelineRun
    from duto.facade.workspace import Workspace


@dataclass(frozen=True)
class PipelineIdVersion:
    """One version of a pipeline endpoint: the published pipeline it names."""

    pipeline_id: str
    version: str


def _as_published(workspace: Workspace, pipeline: Any, name: str, description: str | None) -> PublishedPipeline:
    """A PublishedPipeline as given, or a Pipeline published under the endpoint's name (as v1 accepts both)."""
    from duto.facade.submission import Pipeline

    if isinstance(pipeline, PublishedPipeline):
        return PublishedPipeline.get(workspace, pipeline.id)  # it must be of this workspace
    if isinstance(pipeline, Pipeline):
        return publish_pipeline(pipeline, name, description)
    raise ConfigError(f"expected a PublishedPipeline or a Pipeline, not {type(pipeline).__name__}")


class PipelineEndpoint:
    """A unique name, and a stable URL, over versions "0", "1", ... of published pipelines; one is the default.

    `PipelineEndpoint.publish(ws, name, description, pipeline)` makes one; `PipelineEndpoint.get(ws, name=...)`
    finds it again.
    """

    def __init__(self, workspace: Workspace, row: models.PipelineEndpoint) -> None:
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

    def _fresh(self) -> models.PipelineEndpoint:
        self._row = _store(self.workspace).endpoint(id=self.id)
        return self._row

    @property
    def status(self) -> str:
        """Its status as the DB says now: "Active" or "Disabled"."""
        return self._fresh().status

    @property
    def default_version(self) -> str:
        return self._fresh().default_version

    @property
    def endpoint(self) -> str:
        """The URL of its trigger route on the workspace's server (the running one's, else the default)."""
        return f"{base_url(self.workspace.config.duto_dir)}/api/endpoints/{self.id}/runs"

    @staticmethod
    def publish(workspace: Workspace, name: str, description: str | None, pipeline: Any) -> PipelineEndpoint:
        """Make an endpoint whose version "0", its default, is `pipeline` (a PublishedPipeline, or a Pipeline,
        which is published first).

        Raises:
            PipelineEndpointExistsError: an endpoint of that name exists (add to it instead).
        """
        _check_name(name, "pipeline endpoint")
        store = _store(workspace)
        if any(row.name == name for row in store.endpoints(active_only=False)):
            raise PipelineEndpointExistsError(name)  # before a Pipeline given is published for nothing
        published = _as_published(workspace, pipeline, name, description)
        return PipelineEndpoint(workspace, store.add_endpoint(name, description, published.id))

    @staticmethod
    def get(workspace: Workspace, id: str | None = None, name: str | None = None) -> PipelineEndpoint:
        """The endpoint with this id (or unique prefix of it), or of this name.

        Raises:
            PipelineEndpointNotFoundError: there is none.
        """
        return PipelineEndpoint(workspace, _store(workspace).endpoint(id=id, name=name))

    @staticmethod
    def list(workspace: Workspace, active_only: bool = True) -> builtins.list[PipelineEndpoint]:
        """The workspace's endpoints by name; the disabled ones too unless `active_only`."""
        return [PipelineEndpoint(workspace, row) for row in _store(workspace).endpoints(active_only)]

    def add(self, pipeline: Any) -> str:
        """Add `pipeline` as the next version; the default stays. Returns the new version."""
        published = _as_published(self.workspace, pipeline, self.name, self.description)
        return _store(self.workspace).add_version(self.id, published.id, make_default=False)

    def add_default(self, pipeline: Any) -> str:
        """Add `pipeline` as the next version and make it the default. Returns the new version."""
        published = _as_published(self.workspace, pipeline, self.name, self.description)
        version = _store(self.workspace).add_version(self.id, published.id, make_default=True)
        self._fresh()
        return version

    def set_default_version(self, version: str | int) -> None:
        """Make an existing version the default.

        Raises:
            ConfigError: the endpoint has no such version (it lists those it has).
        """
        _store(self.workspace).set_default_version(self.id, str(version))
        self._fresh()

    def set_default(self, pipeline: PublishedPipeline) -> None:
        """Make the version that names `pipeline` the default (adding it as a new version when none does)."""
        for entry in self.list_versions():
            if entry.pipeline_id == pipeline.id:
                self.set_default_version(entry.version)
                return
        self.add_default(pipeline)

    def get_default_version(self) -> str:
        return self.default_version

    def list_versions(self) -> builtins.list[PipelineIdVersion]:
        """Every version, "0" first, with the published pipeline it names."""
        return [
            PipelineIdVersion(row.published_pipeline_id, row.version)
            for row in _store(self.workspace).versions(self.id)
        ]

    def get_pipeline(self, version: str | int | None = None) -> PublishedPipeline:
        """The published pipeline of `version` (the default when None).

        Raises:
            ConfigError: the endpoint has no such version (it lists those it has).
        """
        wanted = self.default_version if version is None else str(version)
        versions = self.list_versions()
        for entry in versions:
            if entry.version == wanted:
                return PublishedPipeline.get(self.workspace, entry.pipeline_id)
        raise ConfigError(
            f"pipeline endpoint {self.name!r} has no version {wanted!r}; its versions: "
            f"{', '.join(v.version for v in versions)}"
        )

    def list_pipelines(self, active_only: bool = True) -> builtins.list[PublishedPipeline]:
        """The published pipelines of its versions, in version order; the disabled ones too unless `active_only`."""
        found = [PublishedPipeline.get(self.workspace, v.pipeline_id) for v in self.list_versions()]
        return [p for p in found if not active_only or p._row.status == ACTIVE]

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        pipeline_version: str | int | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> PipelineRun:
        """Start a run of the default version (or `pipeline_version`); returns at once while it goes on.

        Raises:
            PipelineDisabledError: the endpoint, or the published pipeline of that version, is disabled.
            TriggerError: naming what is wrong; nothing is started.
        """
        return self.trigger(experiment_name, pipeline_parameters, None, None, tags, description, pipeline_version)

    def trigger(
        self,
        experiment_name: Any,
        parameter_assignments: Mapping[str, Any] | None = None,
        data_path_assignments: Mapping[str, Any] | None = None,
        continue_on_step_failure: Any = None,
        tags: Any = None,
        description: Any = None,
        pipeline_version: Any = None,
        *,
        decide_reuse: bool = True,
        record_with: Callable[[Session, str], None] | None = None,
    ) -> PipelineRun:
        """`PublishedPipeline.trigger` on the default version, or on `pipeline_version` (REST's
        `?pipelineVersion=V`; an unknown one is a TriggerError on field "pipelineVersion"). The endpoint too is
        checked active in the transaction that records the run, which is tagged `pipeline_endpoint_id` and
        `pipeline_endpoint_version` (beside `pipeline_id`), so the endpoint's runs are a tag filter away."""
        if self.status != ACTIVE:
            raise PipelineDisabledError(ENDPOINT, self.id, self.name)
        version = self.default_version if pipeline_version is None else str(pipeline_version)
        try:
            published = self.get_pipeline(version)
        except ConfigError as exc:
            raise TriggerError("pipelineVersion", str(exc)) from None
        return published.trigger(
            experiment_name,
            parameter_assignments,
            data_path_assignments,
            continue_on_step_failure,
            tags,
            description,
            decide_reuse=decide_reuse,
            endpoint_id=self.id,
            endpoint_version=version,
            record_with=record_with,
        )

    def enable(self) -> None:
        """Let it start runs again."""
        _store(self.workspace).set_endpoint_status(self.id, ACTIVE)
        self._fresh()

    def disable(self) -> None:
        """Stop it from starting runs; its versions stay."""
        _store(self.workspace).set_endpoint_status(self.id, DISABLED)
        self._fresh()

    def to_document(self) -> dict[str, Any]:
        """The endpoint as JSON: what `duto endpoints show --json` prints and the server answers."""
        row = self._fresh()
        return {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "status": row.status,
            "default_version": row.default_version,
            "endpoint": self.endpoint,
            "created": _iso(row),
            "versions": [{"version": v.version, "pipeline_id": v.pipeline_id} for v in self.list_versions()],
        }

    def __repr__(self) -> str:
        return f"PipelineEndpoint(id={self.id!r}, name={self.name!r}, status={self._row.status!r})"


def find_endpoint(workspace: Workspace, key: str) -> PipelineEndpoint:
    """The endpoint named `key`, else the one whose id is (or uniquely starts with) `key`: how the CLI and the
    server take an endpoint.

    Raises:
        PipelineEndpointNotFoundError: none is named so or has such an id.
    """
    return PipelineEndpoint(workspace, _store(workspace).endpoint_by_key(key))
