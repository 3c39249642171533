"""Runs outlive their runner: a run whose runner was killed is taken over and goes on from where it was."""

from __future__ import annotations

import os
import signal

from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.processes import alive
from duto.storage import models

# Logs m=1, waits for a flag file, logs m=2; counts its starts in a file outside the run.
WAITER = """
import os, sys, time
from duto import Run
starts, flag, out = sys.argv[1], sys.argv[2], sys.argv[3]
open(starts, "a").write("start\\n")
run = Run.get_context()
run.log("m", 1)
while not os.path.exists(flag):
    time.sleep(0.02)
run.log("m", 2)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "done.txt"), "w").write("done")
"""
QUICK = """
import os, sys
open(sys.argv[1], "a").write("start\\n")
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "f.txt"), "w").write(sys.argv[3])
"""


def two_steps(ws, src, tmp_path):
    first_out, second_out = PipelineData("first"), PipelineData("second")
    first = PythonScriptStep(
        "quick.py",
        name="first",
        source_directory=src,
        arguments=[str(tmp_path / "first"), first_out, "one"],
        outputs=[first_out],
    )
    second = PythonScriptStep(
        "waiter.py",
        name="second",
        source_directory=src,
        arguments=[str(tmp_path / "second"), str(tmp_path / "flag"), second_out],
        inputs=[first_out],
        outputs=[second_out],
    )
    return Pipeline(ws, [first, second])


def metric_values(ws, step_run_id):
    with ws.database.reading() as s:
        return [m.value for m in s.query(models.Metric).filter_by(run_id=step_run_id).order_by(models.Metric.id)]


def started(ws, write_script, tmp_path, wait_until):  # type: ignore[no-untyped-def]
    """The two-step run, submitted and waiting in its second step (which has logged m=1) for the flag."""
    src = write_script("waiter.py", WAITER)
    write_script("quick.py", QUICK)
    run = Experiment(ws, "takeover").submit(two_steps(ws, src, tmp_path))
    second = run.find_step_run("second")[0]
    wait_until(lambda: metric_values(ws, second.id) == [1], timeout=30)
    return run, second


def test_a_run_whose_runner_was_killed_resumes_where_it_stopped(ws, write_script, tmp_path, wait_until):
    run, second = started(ws, write_script, tmp_path, wait_until)
    runner = run._row.runner_pid
    step_pid = second._row.pid
    os.kill(runner, signal.SIGKILL)
    wait_until(lambda: not alive(runner), timeout=10)
    (tmp_path / "flag").write_text("go")  # the orphaned step logs m=2 and ends, with nobody to see it
    wait_until(lambda: not alive(step_pid), timeout=10)
    assert run.get_status() == "Running" and not run.driver.live()

    assert run.resume()
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    assert (tmp_path / "first").read_text() == "start\n", "a finished step never runs again"
    assert (tmp_path / "second").read_text() == "start\nstart\n", "the interrupted one ran again"
    assert metric_values(ws, second.id) == [1, 2, 1, 2], "what the orphan logged is stored, once"
    history = second._row.attempts
    assert [(a["attempt"], a["outcome"]) for a in history] == [(1, "interrupted")]
    assert (second.layout.attempt(1) / "events.jsonl").exists()
    assert run._row.takeovers == 1
    assert not run.resume(), "a finished run has nothing to resume"


def test_a_follower_takes_over_a_run_whose_runner_is_gone(ws, write_script, tmp_path, wait_until):
    run, _ = started(ws, write_script, tmp_path, wait_until)
    os.kill(run._row.runner_pid, signal.SIGKILL)
    (tmp_path / "flag").write_text("go")
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    assert run._row.takeovers == 1


def test_a_runner_told_to_stop_stops_its_steps_and_hands_the_run_back(ws, write_script, tmp_path, wait_until):
    run, second = started(ws, write_script, tmp_path, wait_until)
    step_pid = second._row.pid
    runner = run._row.runner_pid
    os.kill(runner, signal.SIGTERM)
    wait_until(lambda: not alive(runner), timeout=15)
    assert not alive(step_pid)
    assert second.get_status() == "NotStarted" and second.reason == "its runner stopped; it runs again"
    assert run._row.lease_owner is None, "the run is free for the next runner at once"
    (tmp_path / "flag").write_text("go")
    assert run.resume()
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"


def test_a_runner_that_lost_its_lease_stops_its_steps_and_writes_nothing(
    ws, write_script, tmp_path, wait_until, monkeypatch
):
    monkeypatch.setenv("DUTO_LEASE_SECONDS", "2")  # renewed every 1/6 of that: the loss is seen fast
    run, second = started(ws, write_script, tmp_path, wait_until)
    runner, step_pid = run._row.runner_pid, second._row.pid
    with ws.database.writing() as s:  # another runner, elsewhere, took the run after a lapse it saw
        row = s.get(models.PipelineRun, run.id)
        row.lease_owner, row.lease_machine, row.runner_pid = "someone-else", "elsewhere/boot", 1
        row.lease_expires_at = 2e9
    wait_until(lambda: not alive(step_pid) and not alive(runner), timeout=15)
    assert second.get_status() == "Running", "the old runner wrote nothing after it lost the run"
    assert "another runner took it over" in run.layout.runner_log.read_text()
