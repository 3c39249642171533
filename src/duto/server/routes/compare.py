"""`/api/compare`: runs side by side, each against the first (read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import compare as operations
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.compare import Comparison

router = APIRouter(
    prefix="/compare",
    tags=["runs"],
    responses={
        **PROBLEMS,
        404: {"model": Problem, "description": "no such run"},
        409: {"model": Problem, "description": "a run-id prefix that several runs share; the answer lists them"},
    },
)


@router.get("", response_model=Comparison, **requires(Scope.READ))
def compare(
    request: Request,
    runs: Annotated[list[str], Query(description="2 to 10 run ids (or unique prefixes), separated by commas")],
) -> Comparison:
    """Runs side by side, as `duto runs diff` compares two: parameters, the last value of each metric, and per
    step what differs from the first run (code, data, environment, arguments), with the first run's graph."""
    return operations.compare(workspace_of(request), runs)
