"""The detached runner: a run goes on after its submitter exits, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import run_duto
from duto.pipeline import PipelineRun
from duto.processes import alive
from duto.resident import SERVER_ENV

THREAD = "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()"


# A command server that runs already forks the runner: it has everything imported and none of the submitter's
# memory. With none running, a submitter with no other thread forks the runner itself; one with a thread must
# not fork (the thread may hold a lock the child would wait on for ever), so a command server is started to
# fork it. With command servers off, the runner is a new interpreter. Its process title says which.
@pytest.mark.parametrize(
    ("before_submit", "server", "started_by"),
    [
        ("", "running", "forked from the command server"),
        ("", "none yet", "forked from its submitter"),
        (THREAD, "none yet", "forked from the command server"),
        (THREAD, "off", "a new interpreter"),
    ],
    ids=[
        "fork of a running command server",
        "fork of the submitter",
        "fork of a new command server",
        "new interpreter",
    ],
)
def test_a_run_submitted_by_a_process_that_exits_at_once_still_finishes(
    ws, write_script, tmp_path, wait_until, server_folder, before_submit, server, started_by
):
    if server == "running":
        assert run_duto("--version", cwd=ws.root).returncode == 0
    src = write_script("slow.py", "import time\ntime.sleep(1.0)\nprint('done')\n")
    id_file = tmp_path / "run_id"
    submitter = textwrap.dedent(
        f"""
        import os, threading, time
        {before_submit}
        from duto import Experiment, Workspace
        from duto.pipeline import Pipeline
        from duto.pipeline.steps import PythonScriptStep
        ws = Workspace.from_config({str(ws.root)!r})
        run = Experiment(ws, "detached").submit(Pipeline(ws, [PythonScriptStep("slow.py", source_directory={src!r})]))
        open({str(id_file)!r}, "w").write(run.id)
        os._exit(0)
        """
    )
    # Pipes for the child's streams: if the runner kept them open, this call would not return.
    child = subprocess.Popen(
        [sys.executable, "-c", submitter],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DUTO_RUNNER": "", SERVER_ENV: "off" if server == "off" else ""},
    )
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr.decode()

    run = PipelineRun.get(ws, id_file.read_text())
    runner_pid = wait_until(lambda: ws.runs_store.pipeline_run(run.id).runner_pid, timeout=15)
    assert runner_pid not in (child.pid, os.getpid())
    assert os.getsid(runner_pid) == runner_pid, "the runner leads a session of its own"
    assert os.getsid(runner_pid) != os.getsid(0)
    streams = [os.readlink(f"/proc/{runner_pid}/fd/{fd}") for fd in (0, 1, 2)]
    assert streams[0] == "/dev/null"
    assert streams[1] == streams[2] == str(run.layout.runner_log)
    title = Path(f"/proc/{runner_pid}/cmdline").read_bytes().rstrip(b"\0").decode()  # as `ps` shows it
    assert title == f"duto runner {run.id} (workspace {ws.name}; {started_by})"

    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.get_steps()[0].get_stdout_log().strip() == "done"
    wait_until(lambda: not alive(runner_pid), timeout=10)
