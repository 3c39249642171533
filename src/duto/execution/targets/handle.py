"""What the runner holds for a started step, whatever target it runs on."""

from __future__ import annotations

from typing import Protocol


class StepHandle(Protocol):
    """A step started on a compute target."""

    reason: str | None
    """Why the step ended, when its target knows better than the exit code (a lost worker)."""

    @property
    def pid(self) -> int | None:
        """The step's process id where the runner can see it (None on a remote worker)."""

    @property
    def exit_fd(self) -> int | None:
        """A descriptor that becomes readable when the step ends, or None: the runner then polls."""

    def poll(self) -> int | None:
        """The step's exit code once it has ended (negative: killed by that signal), else None."""

    def stop(self, grace_seconds: float) -> None:
        """Start stopping the step and every process it started: SIGTERM now, SIGKILL after the grace
        period (which `poll()` sends when it is over). Returns at once."""

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        """Stop the step and every process it started, and wait until they are gone."""

    def close(self) -> None:
        """Release what the handle holds (descriptors, futures)."""
