"""Chaos (f): a script submits a pipeline and exits at once, as several v1 samples do, while nothing else holds
the workspace's DB open. Whichever way its runner is born (a fork of the submitter, a fork of a command server, a
new interpreter), the run and every step end Finished in the DB, read by a fresh process afterwards.

A forked runner once lost its whole run here: SQLite state inherited across the fork let the exiting submitter
delete the WAL the runner was still committing to (see duto.storage.db).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from chaos.conftest import new_workspace
from conftest import poll, run_duto
from duto.resident import SERVER_ENV
from duto.storage.db import dispose_all

SUBMIT = """
from duto import Experiment, Workspace
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep

ws = Workspace.from_config()
out = PipelineData("out")
first = CommandStep('sleep 0.8; mkdir -p "$DUTO_OUTPUT_out"; echo done > "$DUTO_OUTPUT_out/f"', name="first",
                    outputs=[out], allow_reuse=False)
second = CommandStep('sleep 0.3; cat "$DUTO_INPUT_out/f"', name="second", inputs=[out.as_input("out")],
                     allow_reuse=False)
run = Experiment(ws, "submit-and-exit").submit(Pipeline(ws, [second]))
print(run.id)
"""

# Run in a new interpreter, after the runner has ended and nothing has the DB open.
STATUSES = """
import json
from duto import Workspace
run = Workspace.from_config().get_run({run_id!r})
print(json.dumps({{"run": run.get_status(), "steps": sorted(s.get_status() for s in run.get_steps())}}))
"""

BIRTHS = {
    "fork-of-submitter": {SERVER_ENV: "off"},
    "fork-of-command-server": {},
    "new-interpreter": {"DUTO_RUNNER": "spawn", SERVER_ENV: "off"},
}


@pytest.mark.parametrize("birth", list(BIRTHS))
def test_a_run_submitted_by_a_script_that_exits_at_once_is_recorded_to_its_end(
    birth, tmp_path, workspaces, server_folder, figures
):
    ws = new_workspace(workspaces, tmp_path / "ws")
    root = ws.root
    dispose_all()  # this test's process must hold no connection: one would hide the loss
    (root / "submit.py").write_text(textwrap.dedent(SUBMIT))
    env = {k: v for k, v in os.environ.items() if k not in ("DUTO_WORKSPACE", "DUTO_RUNNER", SERVER_ENV)}
    env.update(BIRTHS[birth])
    if birth == "fork-of-command-server":
        started = run_duto("command-server", "status", cwd=root, env=env)  # any command starts a server
        assert started.returncode == 0, started.stderr

    submitted = subprocess.run(
        [sys.executable, "submit.py"], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert submitted.returncode == 0, submitted.stderr
    run_id = submitted.stdout.strip().splitlines()[-1]
    runner_log = root / ".duto" / "runs" / run_id / "runner.log"
    began = time.monotonic()
    poll(lambda: runner_log.is_file() and "ended" in runner_log.read_text(), timeout=60)
    took = time.monotonic() - began

    fresh = subprocess.run(
        [sys.executable, "-c", STATUSES.format(run_id=run_id)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == {"run": "Finished", "steps": ["Finished", "Finished"]}, runner_log.read_text()
    figures.append(f"{birth}: submitter exited at once; run and 2 steps Finished in the DB, {took:.1f} s after")


def test_no_connection_is_open_in_a_process_when_it_forks(tmp_path, workspaces):
    """The rule the fix rests on, checked directly: a fork closes every pooled connection first."""
    from duto.storage.db import _engines

    ws = new_workspace(workspaces, tmp_path / "ws")
    ws.runs_store.pipeline_runs()
    engine = _engines[ws.database.url]
    assert engine.pool.checkedin() >= 1
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert engine.pool.checkedin() == 0
