"""Experiments: named groups of runs, and the place runs are submitted; archived ones are hidden from lists.

Archiving follows v1's `Experiment.archive()`: the experiment and its runs leave the lists (`ws.experiments`,
`Experiment.list`, `duto runs list`) but stay whole, reachable by name and run id, until reactivated. Where v1
makes a new experiment of the same name when one submits to an archived one, duto refuses, so that a name
always means one experiment: reactivate it, or reactivate it under a new name to free the old one.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from datetime import UTC
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError, ExperimentNotFoundError

if TYPE_CHECKING:
    from duto.facade.run_deletion import RunDeletion
    from duto.facade.runs import PipelineRun
    from duto.facade.submission import Pipeline
    from duto.facade.workspace import Workspace
    from duto.graph.script_run_config import ScriptRunConfig


class ViewType(StrEnum):
    """Which experiments `Experiment.list` gives, by v1's names."""

    ACTIVE_ONLY = "ActiveOnly"
    ARCHIVED_ONLY = "ArchivedOnly"
    ALL = "All"


class Experiment:
    """`Experiment(ws, "name")`: the runs submitted under one name."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ConfigError(f"experiment name {name!r} must be a non-empty string of at most 255 characters")
        self.workspace = workspace
        self.name = name

    def submit(
        self,
        config: Pipeline | ScriptRunConfig,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> PipelineRun:
        """Submit a pipeline, or one script (a ScriptRunConfig); returns its run at once while a runner executes it.

        A ScriptRunConfig gives a ScriptRun (a PipelineRun of one step, never reused, as each v1 submission
        runs); `pipeline_parameters`, `continue_on_step_failure` and `regenerate_outputs` are for pipelines.

        Raises:
            PipelineValidationError: listing every problem of the pipeline, before anything runs.
        """
        from duto.facade.submission import Pipeline, submit_pipeline
        from duto.graph.script_run_config import ScriptRunConfig

        if isinstance(config, ScriptRunConfig):
            from duto.facade.script_runs import submit_script_run

            return submit_script_run(self.workspace, config, self.name, tags)
        if not isinstance(config, Pipeline):
            raise ConfigError(f"Experiment.submit takes a Pipeline or a ScriptRunConfig, not {type(config).__name__}")
        return submit_pipeline(
            config, self.name, pipeline_parameters, continue_on_step_failure, regenerate_outputs, tags
        )

    def get_runs(self) -> Iterator[PipelineRun]:
        """The experiment's runs, newest first."""
        from duto.facade.runs import PipelineRun

        for row, _ in self.workspace.runs_store.pipeline_runs(experiment=self.name):
            yield PipelineRun(self.workspace, row.id)

    @staticmethod
    def list(
        workspace: Workspace, experiment_name: str | None = None, view_type: str = ViewType.ACTIVE_ONLY
    ) -> builtins.list[Experiment]:
        """The experiments of a workspace by name: the active ones, the archived ones ("ArchivedOnly") or all."""
        archived = {ViewType.ACTIVE_ONLY: False, ViewType.ARCHIVED_ONLY: True, ViewType.ALL: None}
        if view_type not in archived:
            raise ConfigError(f"view_type {view_type!r} must be one of {', '.join(ViewType)}")
        names = workspace.runs_store.experiment_names(archived=archived[ViewType(view_type)])
        return [Experiment(workspace, n) for n in names if experiment_name in (None, n)]

    @property
    def archived_time(self) -> str | None:
        """When the experiment was archived (ISO 8601, UTC), or None while it is active (or not made yet)."""
        try:
            row = self.workspace.runs_store.experiment(self.name)
        except ExperimentNotFoundError:
            return None
        return None if row.archived_at is None else row.archived_at.replace(tzinfo=UTC).isoformat()

    def archive(self, delete_runs: bool = False, force: bool = False) -> builtins.list[RunDeletion]:
        """Hide the experiment and its runs from lists; submitting to it is refused until `reactivate()`.

        Args:
            delete_runs: also delete its runs for real (see `PipelineRun.delete`); returns what each removed.
            force: with `delete_runs`, cancel its runs that have not ended first.

        Raises:
            ExperimentNotFoundError: when the workspace has no experiment of this name.
            RunNotEndedError: with `delete_runs`, when a run has not ended and `force` is False; nothing changes.
        """
        store = self.workspace.runs_store
        store.experiment(self.name)
        deleted: builtins.list[RunDeletion] = []
        if delete_runs:
            from duto.facade.run_deletion import delete_runs as delete

            deleted = delete(self.workspace, [row.id for row, _ in store.pipeline_runs(experiment=self.name)], force)
        store.set_archived(self.name, True)
        return deleted

    def reactivate(self, new_name: str | None = None) -> None:
        """Bring an archived experiment back into lists; with `new_name`, under that name (which must be free).

        Raises:
            ExperimentNotFoundError: when the workspace has no experiment of this name.
            ConfigError: when `new_name` is taken by another experiment.
        """
        if new_name is not None:
            Experiment(self.workspace, new_name)  # the same rules as any name
        row = self.workspace.runs_store.set_archived(self.name, False, new_name)
        self.name = row.name

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"
