"""`wait_for_completion` from a Python program: Ctrl-C stops the waiting, says how to go on, and the run goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import poll
from duto import Workspace

pytestmark = pytest.mark.timeout(90)

# A program started in a terminal's foreground takes Ctrl-C as KeyboardInterrupt. The test suite may itself run
# with SIGINT ignored (a shell without job control ignores it in a job it puts in the background, and a child
# inherits that), so the program takes Python's own handler back first, as a terminal's foreground program has it.
PROGRAM = """
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from duto import Experiment, Workspace
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

ws = Workspace.from_config(".")
(Path("steps")).mkdir(exist_ok=True)
Path("steps/slow.py").write_text("import time\\nprint('sleeping', flush=True)\\ntime.sleep(60)\\n")
step = PythonScriptStep("slow.py", name="slow", source_directory="steps")
run = Experiment(ws, "waited").submit(Pipeline(ws, [step]))
print(run.id, flush=True)
run.wait_for_completion(show_output=False)
"""


def test_ctrl_c_in_wait_for_completion_says_the_run_goes_on_and_raises_keyboard_interrupt(ws: Workspace) -> None:
    (ws.root / "program.py").write_text(textwrap.dedent(PROGRAM))
    environ = {k: v for k, v in os.environ.items() if k not in ("DUTO_WORKSPACE", "DUTO_RUNNER")}
    # `with`: the pipes are closed and the program reaped whatever happens, a kill below included.
    with subprocess.Popen(
        [sys.executable, "program.py"],
        cwd=ws.root,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as program:
        try:
            assert program.stdout is not None
            run = ws.get_run(program.stdout.readline().strip())
            poll(lambda: "sleeping" in run.get_steps()[0].get_stdout_log(), timeout=30)

            program.send_signal(signal.SIGINT)
            _, stderr = program.communicate(timeout=30)
        finally:
            if program.poll() is None:
                program.kill()

    assert program.returncode == -signal.SIGINT, stderr
    lines = stderr.rstrip("\n").splitlines()
    assert lines[-1] == "KeyboardInterrupt"
    said = (
        f"stopped following; run {run.id} goes on: `duto logs {run.id} --follow` follows it again, "
        f"`duto runs cancel {run.id}` stops it (from Python: `run.wait_for_completion()`, `run.cancel()`)"
    )
    assert said in lines, stderr
    assert run.get_status() == "Running", "only the waiting stopped; the run goes on"
    assert run.driver.live()

    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=30) == "Canceled"
