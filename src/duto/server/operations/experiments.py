"""Experiments: the list with run counts and last runs, and an experiment's runs with their final metrics,
through the facade (`duto.facade.experiment_tables`)."""

from __future__ import annotations

from duto.facade import experiment_tables
from duto.facade.workspace import Workspace
from duto.server.schemas.experiments import ExperimentInfo, ExperimentRuns


def list_experiments(workspace: Workspace, archived: bool) -> list[ExperimentInfo]:
    found = experiment_tables.list_experiments(workspace, None if archived else False)
    return [ExperimentInfo(**e) for e in found]


def runs(workspace: Workspace, name: str, limit: int) -> ExperimentRuns:
    return ExperimentRuns(**experiment_tables.experiment_runs(workspace, name, limit))
