"""`/api/schedules`: the workspace's schedules (read to look, admin to enable, disable and delete) and the runs
they started. Schedules are made with `Schedule.create` in Python; the server fires them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from duto.facade.tokens import Scope
from duto.server.auth import requires, workspace_of
from duto.server.operations import schedules
from duto.server.schemas.common import PROBLEMS, Problem
from duto.server.schemas.runs import RunSummary
from duto.server.schemas.schedules import ScheduleDetail, ScheduleInfo

router = APIRouter(prefix="/schedules", tags=["schedules"], responses=PROBLEMS)
ScheduleId = Annotated[str, Path(min_length=1, max_length=255, description="an id, or a unique prefix of one")]
MISSING: dict[int | str, dict[str, object]] = {404: {"model": Problem, "description": "no schedule has this id"}}


@router.get("", response_model=list[ScheduleInfo], **requires(Scope.READ))
def list_schedules(
    request: Request,
    active_only: bool = True,
    pipeline_id: str | None = None,
    pipeline_endpoint_id: str | None = None,
) -> list[ScheduleInfo]:
    """The schedules, newest first; the disabled ones too with `active_only=false`; of one pipeline or endpoint."""
    return schedules.list_schedules(workspace_of(request), active_only, pipeline_id, pipeline_endpoint_id)


@router.get("/{id}", response_model=ScheduleDetail, responses=MISSING, **requires(Scope.READ))
def show_schedule(request: Request, id: ScheduleId) -> ScheduleDetail:
    """A schedule with its next due times and its last firings."""
    return schedules.show(workspace_of(request), id)


@router.get("/{id}/runs", response_model=list[RunSummary], responses=MISSING, **requires(Scope.READ))
def schedule_runs(request: Request, id: ScheduleId) -> list[RunSummary]:
    """The runs the schedule started, newest first."""
    return schedules.runs(workspace_of(request), id)


@router.post("/{id}/enable", response_model=ScheduleInfo, responses=MISSING, **requires(Scope.ADMIN))
def enable(request: Request, id: ScheduleId) -> ScheduleInfo:
    return schedules.set_enabled(workspace_of(request), id, True)


@router.post("/{id}/disable", response_model=ScheduleInfo, responses=MISSING, **requires(Scope.ADMIN))
def disable(request: Request, id: ScheduleId) -> ScheduleInfo:
    return schedules.set_enabled(workspace_of(request), id, False)


@router.delete("/{id}", response_model=ScheduleInfo, responses=MISSING, **requires(Scope.ADMIN))
def delete(request: Request, id: ScheduleId) -> ScheduleInfo:
    """Remove a schedule and its firings; the runs it started stay."""
    return schedules.delete(workspace_of(request), id)
