"""Starting a runner for a submitted run: a detached process by default, so the run outlives its submitter.

The detached runner is a fork of the submitting process when that is safe (no other thread, on Linux): it
has everything imported already and starts in milliseconds. From a process with threads (a notebook, a
service), the command server forks it (see duto.resident), and only where none can serve is it a new
interpreter. `DUTO_RUNNER=thread`
runs it on a thread of the submitting process instead (for tests and notebooks that want everything in one
process); `DUTO_RUNNER=spawn` always starts a new interpreter.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from duto.processes import can_fork_safely, fork_detached, set_title
from duto.resident import request_runner
from duto.storage.db import connections_in_use
from duto.storage.layout import RunLayout

RUNNER_MODE_ENV = "DUTO_RUNNER"
# Where a detached runner came from, as its process title says (`ps`): a fork has its parent's memory.
FORKED_FROM_SUBMITTER = "forked from its submitter"
FORKED_FROM_SERVER = "forked from the command server"
FORKED_FROM_DAEMON = "forked from the runner daemon"
STARTED_ANEW = "a new interpreter"

# Runs in a short-lived middle process: it starts the runner in a new session and exits at once, so the
# runner is adopted by init and never lingers as a zombie child of a long-lived submitter.
_SPAWN = (
    "import subprocess, sys\n"
    "log = open(sys.argv[1], 'ab')\n"
    "subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,"
    " start_new_session=True, close_fds=True)\n"
)


def uses_dask(compute_targets: dict[str, dict[str, Any]], spec: dict[str, Any]) -> bool:
    """Whether any step of a run's spec runs on a Dask target (its runner then needs dask imported)."""
    return any(compute_targets.get(s["compute_target"], {}).get("kind") == "dask" for s in spec.get("steps", []))


def start_runner(root: Path, layout: RunLayout, uses_dask: bool = False) -> threading.Thread | None:
    """Hand a run to a new runner; returns the thread when the runner runs in this process.

    A command server that runs already forks it: it has everything imported, dask too where installed, and
    none of this process's memory. Else this process forks it, if that is safe and it has what the run needs
    (a run with Dask steps needs dask imported). Else a command server is started for it, and only where none
    can serve is the runner a new interpreter.
    """
    if os.environ.get(RUNNER_MODE_ENV) == "thread":
        from duto.execution.runner import Runner

        thread = threading.Thread(target=Runner(root, layout.run_id).run, name=f"duto-runner-{layout.run_id[:8]}")
        thread.start()
        return thread
    layout.root.mkdir(parents=True, exist_ok=True)
    if os.environ.get(RUNNER_MODE_ENV) != "spawn":
        if request_runner(root, layout.run_id, layout.runner_log, start=False) is not None:
            return None
        lacking = uses_dask and "distributed" not in sys.modules
        # A connection still checked out would carry SQLite's state into the fork (see storage.db).
        if not lacking and connections_in_use() == 0 and can_fork_safely():
            fork_detached(lambda: run_detached(root, layout.run_id, FORKED_FROM_SUBMITTER), layout.runner_log)
            return None
        if request_runner(root, layout.run_id, layout.runner_log) is not None:
            return None
    command = [sys.executable, "-m", "duto.execution.launcher", str(root), layout.run_id]
    subprocess.run(
        [sys.executable, "-c", _SPAWN, str(layout.runner_log), *command],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return None


def _terminated(signum: int, _frame: FrameType | None) -> None:
    from duto.execution.runner import RunnerStopped

    raise RunnerStopped(f"the runner received {signal.Signals(signum).name}")


def run_detached(root: Path, run_id: str, origin: str) -> int:
    """The body of a detached runner process, forked or started anew; `origin` says which, in its title."""
    # A forked runner's __main__ is its submitter's (a user's script, say). Processes it starts by spawning
    # (a process-based Dask cluster's workers) import __main__ again: it must be this module, as it is when
    # the runner starts anew, whose main() does not run on import.
    sys.modules["__main__"] = sys.modules[__name__]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _terminated)
    from duto.execution.runner import Runner

    runner = Runner(root, run_id)
    set_title(f"duto runner {run_id} (workspace {runner.config.name}; {origin})")
    status = runner.run()
    logging.getLogger("duto.runner").info("run %s ended %s", run_id, status.value)
    return 0


def main(argv: list[str]) -> int:
    """Entry point of a detached runner: `python -m duto.execution.launcher ROOT RUN_ID`."""
    return run_detached(Path(argv[0]), argv[1], STARTED_ANEW)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
