"""`duto runner`: a daemon that runs the runs submitted to its workspace and takes over orphaned ones."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from conftest import run_duto
from duto import Experiment
from duto.execution.daemon import live_daemons
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from duto.processes import alive


def title(pid: int | None) -> str:
    """A process's title, as `ps -o args` shows it."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ").decode()


def test_a_submit_hands_its_run_to_the_daemon_which_also_takes_over_orphans(ws, tmp_path, wait_until):
    started = run_duto("runner", "start", cwd=ws.root)
    assert started.returncode == 0, started.stderr
    assert "runner daemon started" in started.stdout
    (daemon,) = live_daemons(ws.database)
    assert "serves" in run_duto("runner", "status", cwd=ws.root).stdout
    again = run_duto("runner", "start", cwd=ws.root)
    assert "already serves" in again.stdout and len(live_daemons(ws.database)) == 1

    flag = tmp_path / "flag"
    step = CommandStep(f"echo started; while [ ! -e {flag} ]; do sleep 0.05; done", name="wait")
    run = Experiment(ws, "daemon").submit(Pipeline(ws, [step]))
    wait_until(lambda: "started" in run.get_steps()[0].get_stdout_log(), timeout=30)
    log = (ws.config.duto_dir / "runner-daemon.log").read_text()
    (forked,) = re.findall(rf"run {run.id}: started runner pid (\d+)", log)
    assert run._row.runner_pid == int(forked), "the daemon's runner drives it: submit started none"
    assert title(daemon.pid) == f"duto runner daemon (workspace {ws.name}, {ws.root})"
    assert title(int(forked)) == f"duto runner {run.id} (workspace {ws.name}; forked from the runner daemon)"

    os.kill(int(forked), signal.SIGKILL)  # the daemon notices the run has no runner, and gives it one
    wait_until(lambda: run._row.takeovers == 1 and run.driver.live(), timeout=30)
    flag.write_text("go")
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"

    stopped = run_duto("runner", "stop", cwd=ws.root)
    assert stopped.returncode == 0 and "stopped 1 runner daemon" in stopped.stdout
    wait_until(lambda: not alive(daemon.pid, daemon.start_ticks), timeout=15)
    assert live_daemons(ws.database) == []
