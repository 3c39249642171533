"""Steps of duto's own kinds, run on a thread of the runner rather than in a process (a data transfer).

Such a step needs no venv and no code snapshot: the runner does the work itself. It is seen by the runner like
any started step (a `StepHandle`): it ends with an exit code, and stopping it asks it to stop between two
chunks. A runner that dies takes the thread with it, so nothing of the step outlives its runner.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import traceback

from duto.errors import DutoError
from duto.execution.transfer import RESULT_FILE, TransferError, TransferPlan, TransferStopped, run_transfer


class InRunnerStep:
    """A transfer running on a thread; `poll()` gives its exit code once it has ended (0: its result is in
    `RESULT_FILE` in the step's folder)."""

    def __init__(self, plan: TransferPlan) -> None:
        self.plan = plan
        self.reason: str | None = None
        self._stop = threading.Event()
        self._code: int | None = None
        self._fd: int | None = os.eventfd(0, os.EFD_CLOEXEC) if hasattr(os, "eventfd") else None
        self._thread = threading.Thread(target=self._work, name=f"duto-transfer-{plan.spec.key}", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        return None  # no process of its own: it is the runner's

    @property
    def exit_fd(self) -> int | None:
        return self._fd

    def poll(self) -> int | None:
        return self._code

    def stop(self, grace_seconds: float) -> None:
        del grace_seconds  # the thread stops between two chunks, well within any grace period
        self._stop.set()

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(grace_seconds + 5.0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _work(self) -> None:
        code = 1
        try:
            result = run_transfer(self.plan, self._stop)
            (self.plan.layout.root / RESULT_FILE).write_text(json.dumps(result))
            code = 0
        except TransferStopped:
            code = -signal.SIGTERM
            self._note("stopped; what was copied and verified stays staged for the next attempt")
        except (TransferError, DutoError, OSError) as exc:
            self.reason = f"transfer failed: {exc}"
            self._note(self.reason)
        except Exception as exc:  # a bug of duto's: said in full in the step's log
            self.reason = f"transfer failed: {exc.__class__.__name__}: {exc}"
            self._note(f"{self.reason}\n{traceback.format_exc()}")
        finally:
            # The descriptor is written before the code is set: once the code is set the runner may close it.
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.eventfd_write(self._fd, 1)
            self._code = code

    def _note(self, line: str) -> None:
        with contextlib.suppress(OSError), self.plan.layout.std_log.open("a") as log:
            log.write(f"duto: transfer: {line}\n")
