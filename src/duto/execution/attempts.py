"""A step's attempts: when a failed one starts again, and what of an ended one is kept.

Each attempt runs in the step run's folder. When it ends without finishing and another starts (a retry, or a
takeover after the runner driving it stopped), its log, its events and the files it uploaded move to
`attempts/<n>/` and what it wrote is thrown away, so the next attempt starts clean and never publishes a
byte of an earlier one. The step run keeps the list of its ended attempts (`step_runs.attempts`).
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duto.graph.spec import StepSpec
from duto.storage.layout import StepLayout

# The longest wait between two attempts, however many there were before.
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a step's failed attempts start again, and how long to wait before each."""

    max_retries: int
    backoff_seconds: float

    @classmethod
    def of(cls, spec: StepSpec) -> RetryPolicy:
        return cls(spec.max_retries, spec.retry_backoff_seconds)

    def allows(self, failures: int) -> bool:
        """Whether an attempt starts again after `failures` failed ones (the last one included)."""
        return failures <= self.max_retries

    def wait_before(self, retry: int) -> float:
        """Seconds before retry number `retry` (1 for the first): the backoff, doubled for each later one."""
        return min(self.backoff_seconds * 2.0 ** (retry - 1), MAX_BACKOFF_SECONDS)


def ended_attempt(
    attempt: int, outcome: str, reason: str, exit_code: int | None, started_at: float | None
) -> dict[str, Any]:
    """The record of an attempt that ended without finishing the step; `outcome` is failed or interrupted."""
    return {
        "attempt": attempt,
        "outcome": outcome,
        "reason": reason,
        "exit_code": exit_code,
        "started_at": started_at,
        "ended_at": time.time(),
        "log": f"attempts/{attempt}/std_log.txt",
    }


def failures_in(attempts: list[dict[str, Any]] | None) -> int:
    """How many ended attempts failed (an interrupted one is no failure of the step's)."""
    return sum(a.get("outcome") == "failed" for a in attempts or [])


def archive_attempt(layout: StepLayout, attempt: int) -> None:
    """Keep attempt `attempt`'s log, events and uploaded files under `attempts/<attempt>/`, and clear what
    it wrote (outputs, inputs, its copy of the code) for the next attempt."""
    kept = layout.attempt(attempt)
    kept.mkdir(parents=True, exist_ok=True)
    for path in (layout.std_log, layout.events, layout.files):
        if path.exists():
            path.replace(kept / path.name)
    for folder in (layout.outputs, layout.inputs, layout.code):
        shutil.rmtree(folder, ignore_errors=True)


def exit_reason(spec: StepSpec, log: Path, code: int) -> str:
    """Why an attempt whose process ended with `code` failed, as its step's reason says it."""
    why = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    if code != 0 and disk_full_in(log):
        names = [o.name for o in spec.outputs]
        what = f"output {names[0]!r}" if len(names) == 1 else "its outputs"
        why = f"no space left on device while writing {what} ({why})"
    return why


def disk_full_in(log: Path) -> bool:
    """Whether the last part of a step's log says a write found the disk full (the OS's own words)."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - 16384))
            tail = handle.read()
    except OSError:
        return False
    return os.strerror(errno.ENOSPC).encode() in tail or os.strerror(errno.EDQUOT).encode() in tail


def note_in_log(log: Path, note: str) -> None:
    """Add what the runner found after a step's process ended to the end of the step's log."""
    with log.open("a+b") as handle:  # appends, wherever it has read
        end = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, end - 1))
        apart = b"\n" if end and handle.read(1) != b"\n" else b""
        handle.write(apart + f"duto: {note}\n".encode())
