"""A step's attempts: retries with backoff and kept logs, and cancel within 5 s (the run-duration limit is in
tests/chaos/test_timeout.py)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from duto import Experiment, RunConfiguration
from duto.errors import ConfigError
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep, PythonScriptStep
from duto.processes import alive
from duto.storage.reuse_store import ReuseStore

# Fails until its third attempt; each attempt says which it is, and counts itself in a file outside the run.
FLAKY = """
import os, sys
counter = sys.argv[1]
n = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
open(counter, "w").write(str(n))
print(f"attempt {n}")
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "part.txt"), "w").write(f"written by attempt {n}")
sys.exit(0 if n >= 3 else 4)
"""

# Ignores SIGTERM, starts a child that ignores it too, writes their pids, and sleeps far past any limit.
STUBBORN = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
child = subprocess.Popen([sys.executable, "-c", ignore])
open(sys.argv[1], "w").write(f"{os.getpid()} {child.pid}")
time.sleep(600)
"""


def test_a_flaky_step_runs_again_after_its_backoff_and_keeps_each_attempts_log(ws, write_script, tmp_path):
    src = write_script("flaky.py", FLAKY)
    out = PipelineData("out")
    step = PythonScriptStep(
        "flaky.py",
        source_directory=src,
        arguments=[str(tmp_path / "count"), out],
        outputs=[out],
        max_retries=3,
        retry_backoff_seconds=0.2,
    )
    started = time.monotonic()
    run = Experiment(ws, "retries").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    took = time.monotonic() - started
    (step_run,) = run.get_steps()
    assert took >= 0.2 + 0.4, "the second retry waits twice the backoff"
    assert (tmp_path / "count").read_text() == "3"
    assert step_run.get_stdout_log().strip() == "attempt 3"
    for n in (1, 2):
        assert (step_run.layout.attempt(n) / "std_log.txt").read_text().strip() == f"attempt {n}"
    history = step_run._row.attempts
    assert [(a["attempt"], a["outcome"], a["reason"]) for a in history] == [
        (1, "failed", "exited with code 4"),
        (2, "failed", "exited with code 4"),
    ]
    assert step_run.reason == "finished on attempt 3"
    published = Path(step_run.get_output_data("out").download(tmp_path / "got", show_progress=False))
    assert (published / "part.txt").read_text() == "written by attempt 3"


def test_a_step_whose_retries_run_out_fails_with_its_last_attempts_reason(ws, write_script, tmp_path):
    src = write_script("flaky.py", FLAKY)
    out = PipelineData("out")
    config = RunConfiguration(max_retries=1, retry_backoff_seconds=0)
    step = PythonScriptStep(
        "flaky.py", source_directory=src, arguments=[str(tmp_path / "c"), out], outputs=[out], runconfig=config
    )
    run = Experiment(ws, "retries").submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=60) == "Failed"
    (step_run,) = run.get_steps()
    assert step_run.reason == "exited with code 4 (attempt 2; 2 failed)"
    assert step_run.get_stdout_log().strip() == "attempt 2"
    assert [a["attempt"] for a in step_run._row.attempts] == [1]
    assert ReuseStore(ws.database).entries() == [], "nothing of a failed step is reused"
    assert not list(ws.get_default_datastore().root.rglob("part.txt")), "nothing of it is published"


def test_retry_settings_are_checked_where_they_are_given():
    with pytest.raises(ConfigError, match="max_retries must be a whole number"):
        CommandStep("true", max_retries=-1)
    with pytest.raises(ConfigError, match="retry_backoff_seconds must be a number"):
        RunConfiguration(retry_backoff_seconds=-2)
    with pytest.raises(ConfigError, match="max_run_duration_seconds must be a positive number"):
        RunConfiguration(max_run_duration_seconds=0)


def test_cancel_stops_every_running_step_within_5_seconds(ws, write_script, tmp_path, wait_until):
    src = write_script("stubborn.py", STUBBORN)
    steps = [
        PythonScriptStep("stubborn.py", name=f"s{i}", source_directory=src, arguments=[str(tmp_path / f"p{i}")])
        for i in range(2)
    ]
    run = Experiment(ws, "cancel").submit(Pipeline(ws, steps))
    wait_until(lambda: all((tmp_path / f"p{i}").exists() for i in range(2)), timeout=30)
    pids = [int(p) for i in range(2) for p in (tmp_path / f"p{i}").read_text().split()]
    asked = time.monotonic()
    run.cancel()
    wait_until(lambda: run.get_status() == "Canceled", timeout=10)
    assert time.monotonic() - asked < 5.0
    assert {s.get_status() for s in run.get_steps()} == {"Canceled"}
    for pid in pids:
        wait_until(lambda pid=pid: not alive(pid), timeout=2)


def test_a_canceled_run_with_no_runner_ends_at_once_and_its_leftovers_are_stopped(
    ws, write_script, tmp_path, wait_until
):
    src = write_script("stubborn.py", STUBBORN)
    step = PythonScriptStep("stubborn.py", source_directory=src, arguments=[str(tmp_path / "p")])
    run = Experiment(ws, "cancel").submit(Pipeline(ws, [step]))
    wait_until(lambda: (tmp_path / "p").exists(), timeout=30)
    os.kill(run._row.runner_pid, signal.SIGKILL)
    wait_until(lambda: not run.driver.live(), timeout=10)
    run.cancel()
    assert run.get_status() == "Canceled"
    for pid in map(int, (tmp_path / "p").read_text().split()):
        wait_until(lambda pid=pid: not alive(pid), timeout=5)
