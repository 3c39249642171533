"""Schedules over the wire: what they fire, when, and what they fired."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ScheduleInfo(BaseModel):
    id: str
    name: str
    description: str | None
    status: Literal["Active", "Disabled"]
    pipeline_id: str | None = Field(description="the published pipeline it runs (or None: an endpoint's default)")
    pipeline_endpoint_id: str | None
    experiment_name: str
    recurrence: dict[str, Any] | None = Field(description="its ScheduleRecurrence, or None for a watched path")
    recurrence_text: str | None = Field(description='the recurrence in words: "every day at 02:00 (UTC)"')
    datastore: str | None
    path_on_datastore: str | None
    polling_interval: float | None = Field(description="minutes between looks at a watched path")
    data_path_parameter_name: str | None
    pipeline_parameters: dict[str, Any]
    continue_on_step_failure: bool | None
    catch_up: Literal["latest", "skip", "all"]
    stopped_reason: str | None = Field(description="why it fires no runs now although Active, or None")
    created_at: str
    last_tick: str | None
    next_fire_times: list[str] = Field(description="its next due times (UTC), for an active recurrence")


class ScheduleFiringInfo(BaseModel):
    tick: str = Field(description='a due time (UTC), or "data:N" for the Nth change of a watched path')
    run_id: str | None
    outcome: str | None = Field(description="why no run was started, when none was")
    fired_at: str


class ScheduleDetail(ScheduleInfo):
    firings: list[ScheduleFiringInfo] = Field(description="its last firings, newest first")
