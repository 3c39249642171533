"""The runner makes the folder of the next step while the step it waits on runs, and removes it when that step
ends without starting."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

# The first link waits for a file the test writes (so the test sees the run while it runs), then writes a number.
FIRST = """
import os, sys, time
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "n.txt"), "w").write(sys.argv[3])
"""
# The next link adds one, and says what it found in its own folder.
NEXT = """
import os, sys
n = int(open(os.path.join(sys.argv[1], "n.txt")).read())
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "n.txt"), "w").write(str(n + 1))
print("code:", sorted(os.listdir(".")))
"""


def chain(ws, write_script, go, first_exit: str = "0"):
    """first -> second: the first waits for `go` and writes its number (exits with `first_exit` when not 0)."""
    first_src = write_script("first.py", FIRST + f"sys.exit({first_exit})\n", "first")
    next_src = write_script("next.py", NEXT, "next")
    a, b = PipelineData("a"), PipelineData("b")
    return Pipeline(
        ws,
        [
            PythonScriptStep(
                "first.py",
                name="first",
                arguments=[a, str(go), "41"],
                outputs=[a],
                source_directory=first_src,
                allow_reuse=False,
            ),
            PythonScriptStep(
                "next.py",
                name="second",
                arguments=[a, b],
                inputs=[a],
                outputs=[b],
                source_directory=next_src,
                allow_reuse=False,
            ),
        ],
    )


def step_folder(run, name):
    step = next(s for s in step_runs(run) if s.name == name)
    return run.layout.step(step.id).root


def step_runs(run):
    return run.workspace.runs_store.step_runs(run.id)


@pytest.mark.timeout(60)
def test_the_next_steps_folder_and_code_are_made_while_the_step_it_waits_on_runs(
    ws, write_script, tmp_path, wait_until
):
    go = tmp_path / "go"
    run = Experiment(ws, "ahead").submit(chain(ws, write_script, go))
    second = step_folder(run, "second")
    wait_until(lambda: (second / "code" / "next.py").is_file(), timeout=30)
    assert run.get_status() == "Running" and not (second / "inputs.json").exists(), "inputs wait for the start"
    assert (second / "std_log.txt").stat().st_size == 0 and (second / "outputs").is_dir()
    go.touch()
    assert run.wait_for_completion(show_output=False) == "Finished"
    final = run.find_step_run("second")[0]
    assert (final.get_output_data("b").local_path / "n.txt").read_text() == "42"
    assert "code: ['next.py']" in (second / "std_log.txt").read_text(), "the step ran in the folder made ahead"


@pytest.mark.timeout(60)
def test_a_folder_made_ahead_for_a_step_that_never_starts_is_removed(ws, write_script, tmp_path, wait_until):
    go = tmp_path / "go"
    run = Experiment(ws, "ahead").submit(chain(ws, write_script, go, first_exit="3"))
    second = step_folder(run, "second")
    wait_until(lambda: (second / "code" / "next.py").is_file(), timeout=30)
    go.touch()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    assert {s.name: s.status for s in step_runs(run)} == {"first": "Failed", "second": "Canceled"}
    assert not second.exists(), "the canceled step's folder, made ahead, is gone"
