"""The local compute target: each step is a subprocess in its own session on this machine."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from duto.execution.materialize import PreparedStep
from duto.storage.layout import StepLayout


@dataclass
class LocalProcess:
    """A running step: its process, and a descriptor that becomes readable when it exits."""

    popen: subprocess.Popen[bytes]
    exit_fd: int | None = field(default=None)
    reason: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        """SIGTERM the step's whole process group, then SIGKILL what is left after the grace period."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + grace_seconds
            while time.monotonic() < deadline and self.popen.poll() is None:
                time.sleep(0.02)
            if self.popen.poll() is not None and sig == signal.SIGTERM:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)  # children that outlived their parent
                return

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
