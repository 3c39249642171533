"""Experiments: named groups of runs, and the place runs are submitted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from duto.errors import ConfigError

if TYPE_CHECKING:
    from duto.runs import PipelineRun
    from duto.submission import Pipeline
    from duto.workspace import Workspace


class Experiment:
    """`Experiment(ws, "name")`: the runs submitted under one name."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise ConfigError(f"experiment name {name!r} must be a non-empty string of at most 255 characters")
        self.workspace = workspace
        self.name = name

    def submit(
        self,
        config: Pipeline,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> PipelineRun:
        """Submit a pipeline; returns its PipelineRun at once while a runner process executes it.

        Raises:
            PipelineValidationError: listing every problem of the pipeline, before anything runs.
        """
        from duto.submission import Pipeline, submit_pipeline

        if not isinstance(config, Pipeline):
            raise ConfigError(f"Experiment.submit takes a Pipeline, not {type(config).__name__}")
        return submit_pipeline(
            config, self.name, pipeline_parameters, continue_on_step_failure, regenerate_outputs, tags
        )

    def get_runs(self) -> Iterator[PipelineRun]:
        """The experiment's runs, newest first."""
        from duto.runs import PipelineRun

        for row, _ in self.workspace.runs_store.pipeline_runs(experiment=self.name):
            yield PipelineRun(self.workspace, row.id)

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"
