"""Run and step statuses, with the v1 names."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    RUNNING = "Running"
    FINISHED = "Finished"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELED)


TERMINAL = frozenset(s.value for s in RunStatus if s.is_terminal)
ACTIVE = frozenset({RunStatus.PREPARING.value, RunStatus.RUNNING.value})
