"""`azureml.pipeline.core.schedule`'s names: schedules and their recurrences."""

from __future__ import annotations

from duto.facade.schedules import Schedule
from duto.scheduling.recurrence import ScheduleRecurrence, TimeZone

__all__ = ["Schedule", "ScheduleRecurrence", "TimeZone"]
