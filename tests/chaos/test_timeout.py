"""Chaos (e): a step that ignores SIGTERM, and whose children do too (one in a session of its own), runs past its
max_run_duration_seconds. Its whole process tree is gone and it ends Failed, "timed out", never left Running.
"""

from __future__ import annotations

from datetime import datetime

from chaos.conftest import new_workspace
from duto import Experiment, RunConfiguration
from duto.execution.running import STOP_GRACE_SECONDS
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from duto.processes import alive

LIMIT = 1.0
# Ignores SIGTERM; so do its two children, the second of which leaves the step's process group.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", ignore])
loner = subprocess.Popen([sys.executable, "-c", ignore], start_new_session=True)
open(sys.argv[1], "w").write(f"{os.getpid()} {child.pid} {loner.pid}")
time.sleep(600)
"""


def test_a_step_that_ignores_sigterm_and_overruns_its_limit_is_killed_whole(tmp_path, workspaces, figures):
    ws = new_workspace(workspaces, tmp_path / "ws")
    code = tmp_path / "code"
    code.mkdir()
    (code / "stubborn.py").write_text(STUBBORN)
    pids_file = tmp_path / "pids"
    step = PythonScriptStep(
        "stubborn.py",
        source_directory=str(code),
        arguments=[str(pids_file)],
        runconfig=RunConfiguration(max_run_duration_seconds=LIMIT),
    )
    run = Experiment(ws, "timeout").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=60) == "Failed"
    (step_run,) = run.get_steps()
    pids = [int(p) for p in pids_file.read_text().split()]
    assert step_run.get_status() == "Failed"
    assert step_run.reason == f"timed out after {LIMIT:g} s (max_run_duration_seconds)"
    assert [pid for pid in pids if alive(pid)] == [], "every process of the step's tree is gone"
    details = step_run.get_details()
    ran = (
        datetime.fromisoformat(details["endTimeUtc"]) - datetime.fromisoformat(details["startTimeUtc"])
    ).total_seconds()
    assert LIMIT + STOP_GRACE_SECONDS <= ran < LIMIT + STOP_GRACE_SECONDS + 2
    figures.append(f"limit {LIMIT:g} s, SIGTERM ignored by 3 processes (one in its own session)")
    late = ran - LIMIT - STOP_GRACE_SECONDS
    figures.append(
        f"Failed 'timed out' {ran:.2f} s after it started: limit + {STOP_GRACE_SECONDS:g} s grace + {late:.2f} s"
    )
    figures.append(f"{len(pids)} processes of its tree gone, by SIGKILL")
