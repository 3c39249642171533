"""Schedules: list, show, enable, disable, delete and their runs, through the facade (`duto.facade.schedules`)."""

from __future__ import annotations

from duto.facade import documents
from duto.facade.schedules import Schedule
from duto.facade.workspace import Workspace
from duto.server.schemas.runs import RunSummary
from duto.server.schemas.schedules import ScheduleDetail, ScheduleFiringInfo, ScheduleInfo

FIRINGS_SHOWN = 20


def list_schedules(
    workspace: Workspace, active_only: bool, pipeline_id: str | None, pipeline_endpoint_id: str | None
) -> list[ScheduleInfo]:
    found = Schedule.list(workspace, active_only, pipeline_id, pipeline_endpoint_id)
    return [ScheduleInfo(**s.to_document()) for s in found]


def show(workspace: Workspace, id: str) -> ScheduleDetail:
    schedule = Schedule.get(workspace, id)
    firings = [
        ScheduleFiringInfo(tick=f.tick, run_id=f.run_id, outcome=f.outcome, fired_at=f.fired_at.isoformat() + "Z")
        for f in schedule.firings(FIRINGS_SHOWN)
    ]
    return ScheduleDetail(**schedule.to_document(), firings=firings)


def set_enabled(workspace: Workspace, id: str, enabled: bool) -> ScheduleInfo:
    schedule = Schedule.get(workspace, id)
    if enabled:
        schedule.enable()
    else:
        schedule.disable()
    return ScheduleInfo(**schedule.to_document())


def delete(workspace: Workspace, id: str) -> ScheduleInfo:
    schedule = Schedule.get(workspace, id)
    info = ScheduleInfo(**schedule.to_document())
    schedule.delete()
    return info


def runs(workspace: Workspace, id: str) -> list[RunSummary]:
    return [RunSummary(**d) for d in documents.runs_by_id(workspace, Schedule.get(workspace, id).run_ids())]
