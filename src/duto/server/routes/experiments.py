"""`/api/experiments`: the experiments with their run counts and last runs, and one experiment's runs with their
final metrics, for a table (read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import experiments
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.experiments import ExperimentInfo, ExperimentRuns

router = APIRouter(prefix="/experiments", tags=["experiments"], responses=PROBLEMS)
ExperimentName = Annotated[str, Path(min_length=1, max_length=255, description="the experiment's name")]
RUNS_MAX = 10_000


@router.get("", response_model=list[ExperimentInfo], **requires(Scope.READ))
def list_experiments(request: Request, archived: bool = False) -> list[ExperimentInfo]:
    """The experiments by name, each with its run count and newest run; the archived ones too with `archived`."""
    return experiments.list_experiments(workspace_of(request), archived)


@router.get(
    "/{name}/runs",
    response_model=ExperimentRuns,
    responses={404: {"model": Problem, "description": "no experiment has this name"}},
    **requires(Scope.READ),
)
def experiment_runs(
    request: Request, name: ExperimentName, limit: Annotated[int, Query(ge=1, le=RUNS_MAX)] = 5000
) -> ExperimentRuns:
    """The experiment's newest `limit` runs, each with the last value of every scalar metric it and its steps
    logged, in one answer."""
    return experiments.runs(workspace_of(request), name, limit)
