"""The local compute target: each step is a subprocess in its own session on this machine."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from duto.execution.materialize import PreparedStep
from duto.processes import signal_tree, wait_gone
from duto.storage.layout import StepLayout

# How long a step sent SIGKILL may take to be torn down before its end is recorded anyway.
KILLED_TREE_WAIT_SECONDS = 2.0


@dataclass
class LocalProcess:
    """A running step: its process (the leader of its own process group), and a descriptor that becomes
    readable when it exits."""

    popen: subprocess.Popen[bytes]
    exit_fd: int | None = field(default=None)
    reason: str | None = None
    _kill_at: float | None = None  # time.monotonic() at which a stopping step gets SIGKILL
    _killed: list[int] = field(default_factory=list)  # processes below the step sent SIGKILL

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        """The exit code once the step's process has ended; a step being stopped gets SIGKILL when its grace
        period is over. Once it has ended, what it left running in its tree is killed."""
        code = self.popen.poll()
        if code is None:
            if self._kill_at is not None and time.monotonic() >= self._kill_at:
                self._killed += signal_tree(self.popen.pid, signal.SIGKILL)
            return None
        # Children that outlived the step are killed: the step is over. A step ends once its tree is gone,
        # not while the kernel is still tearing it down.
        killed = self._killed + signal_tree(self.popen.pid, signal.SIGKILL)
        if killed:
            wait_gone(killed, KILLED_TREE_WAIT_SECONDS)
            self._killed = []
        return code

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM the step's process tree now; `poll()` sends SIGKILL after the grace period."""
        if self._kill_at is None:
            self._kill_at = time.monotonic() + grace_seconds
            signal_tree(self.popen.pid, signal.SIGTERM)

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        """Stop the step's process tree and wait for it: SIGTERM, then SIGKILL after the grace period."""
        self.stop(grace_seconds)
        while self.poll() is None:
            time.sleep(0.02)

    def close(self) -> None:
        if self.exit_fd is not None:
            os.close(self.exit_fd)
            self.exit_fd = None


def start(prepared: PreparedStep, layout: StepLayout) -> LocalProcess:
    """Start the step with its stdout and stderr going to its `std_log.txt`."""
    with layout.std_log.open("ab") as log:
        popen = subprocess.Popen(
            prepared.command,
            cwd=prepared.cwd,
            env=prepared.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    exit_fd: int | None = None
    try:
        exit_fd = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):
        exit_fd = None  # no pidfd here: the runner falls back to polling on a short interval
    return LocalProcess(popen, exit_fd)
