"""The `duto` command, run as a real subprocess against a workspace in a temporary folder."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from conftest import run_duto
from duto import Workspace
from duto.pipeline import PipelineRun

FIRST = """
import sys
from duto import Run
print("greeting is", sys.argv[2])
Run.get_context().log("x", 1)
"""
SECOND = """
print("second step done")
"""
FAILING = """
import sys
print("about to fail")
sys.exit(3)
"""
SLOW = """
import time
print("sleeping", flush=True)
time.sleep(60)
"""

# The file opens its workspace as user code does; step folders are found relative to the file itself.
HEADER = """
from pathlib import Path
from duto import Workspace
from duto.pipeline import Pipeline, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

ws = Workspace.from_config()
steps = str(Path(__file__).parent / "steps")
"""
TWO_STEPS = """
greeting = PipelineParameter("greeting", default_value="hello")
first = PythonScriptStep("first.py", name="first", source_directory=steps, arguments=["--greeting", greeting])
second = PythonScriptStep("second.py", name="second", source_directory=steps)
second.run_after(first)
"""


def duto(*args: str, cwd: Path, workspace: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, workspace=workspace, timeout=timeout)


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit code 1, one `error: ...` line on stderr naming the fragments, and no traceback."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def write_project(root: Path, body: str, scripts: dict[str, str] | None = None, name: str = "pipe.py") -> Path:
    """A pipeline file in `root` and its step scripts in `root/steps`; returns the file."""
    (root / "steps").mkdir(exist_ok=True)
    for script, code in (scripts or {"first.py": FIRST, "second.py": SECOND}).items():
        (root / "steps" / script).write_text(textwrap.dedent(code))
    path = root / name
    path.write_text(textwrap.dedent(HEADER) + textwrap.dedent(body))
    return path


def test_init_makes_a_workspace_once_then_refuses_with_one_line(tmp_path: Path) -> None:
    made = duto("init", "proj", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert str(tmp_path / "proj") in made.stdout
    assert (tmp_path / "proj" / ".duto" / "config.json").is_file()
    assert Workspace.from_config(tmp_path / "proj").root == tmp_path / "proj"

    again = duto("init", "proj", cwd=tmp_path)
    assert_user_error(again, "already exists", str(tmp_path / "proj"))


def test_run_follows_a_two_step_pipeline_to_its_end(ws: Workspace) -> None:
    write_project(ws.root, TWO_STEPS + "pipeline = Pipeline(ws, steps=[second])\n")

    result = duto("run", "pipe.py", cwd=ws.root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "greeting is hello" in result.stdout
    assert "second step done" in result.stdout
    (run,) = ws.experiments["pipe"].get_runs()
    assert f"run {run.id} Finished" in result.stdout
    assert [s.get_status() for s in run.get_steps()] == ["Finished", "Finished"]


def test_param_overrides_reach_the_script(ws: Workspace, tmp_path: Path) -> None:
    write_project(ws.root, TWO_STEPS + "pipeline = Pipeline(ws, steps=[second])\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    # From a folder outside the workspace, which --workspace names.
    result = duto(
        "run", str(ws.root / "pipe.py"), "-w", str(ws.root), "-e", "greet", "-p", "greeting=bonjour", cwd=outside
    )

    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = ws.experiments["greet"].get_runs()
    assert run.parameters == {"greeting": "bonjour"}
    logs = duto("logs", run.id[:8], "first", cwd=ws.root)
    assert logs.returncode == 0, logs.stderr
    assert "greeting is bonjour" in logs.stdout
    assert "second step done" not in logs.stdout


def test_a_detached_run_can_be_followed_shown_measured_and_read(ws: Workspace) -> None:
    write_project(ws.root, TWO_STEPS + "pipeline = Pipeline(ws, steps=[second])\n")

    result = duto("run", "pipe.py", "--detach", cwd=ws.root)

    assert result.returncode == 0, result.stderr
    run_id = result.stdout.strip()
    followed = duto("logs", run_id, "--follow", cwd=ws.root)
    assert followed.returncode == 0, followed.stderr
    assert "[first] greeting is hello" in followed.stdout
    assert "[second] second step done" in followed.stdout
    assert "ended Finished" in followed.stderr
    assert PipelineRun.get(ws, run_id).wait_for_completion(show_output=False) == "Finished"

    shown = duto("runs", "show", run_id, cwd=ws.root)
    assert shown.returncode == 0, shown.stderr
    assert run_id in shown.stdout
    step_lines = [line for line in shown.stdout.splitlines() if "first" in line or "second" in line]
    assert len(step_lines) == 2 and all("Finished" in line and "local" in line for line in step_lines)

    listed = duto("runs", "list", cwd=ws.root)
    assert run_id[:8] in listed.stdout and "pipe" in listed.stdout  # the table shows short ids

    metrics = duto("metrics", run_id, "--json", cwd=ws.root)
    assert metrics.returncode == 0, metrics.stderr
    document = json.loads(metrics.stdout)
    assert document["run_id"] == run_id
    assert document["steps"]["first"]["metrics"] == {"x": 1}
    assert document["steps"]["second"]["metrics"] == {}

    logs = duto("logs", run_id, cwd=ws.root)
    assert logs.returncode == 0, logs.stderr
    out = logs.stdout
    assert out.index("first") < out.index("greeting is hello") < out.index("second") < out.index("second step done")


def test_a_file_with_two_pipelines_needs_a_name(ws: Workspace) -> None:
    body = TWO_STEPS + "fast = Pipeline(ws, steps=[first])\nfull = Pipeline(ws, steps=[second])\n"
    write_project(ws.root, body)

    result = duto("run", "pipe.py", cwd=ws.root)

    assert_user_error(result, "2 pipelines", "fast", "full", "pipe.py:NAME")
    assert list(ws.runs_store.pipeline_runs()) == []


def test_run_names_a_function_that_returns_the_pipeline(ws: Workspace) -> None:
    body = TWO_STEPS + textwrap.dedent(
        """
        def make_pipeline() -> Pipeline:
            return Pipeline(ws, steps=[first])

        def other_pipeline() -> Pipeline:
            return Pipeline(ws, steps=[second])
        """
    )
    write_project(ws.root, body)

    unnamed = duto("run", "pipe.py", cwd=ws.root)
    assert_user_error(unnamed, "make_pipeline()", "other_pipeline()", "pipe.py:NAME")

    result = duto("run", "pipe.py:make_pipeline", cwd=ws.root)
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = ws.experiments["pipe"].get_runs()
    assert [s.name for s in run.get_steps()] == ["first"]


def test_a_failing_step_makes_run_exit_1_and_name_the_step(ws: Workspace) -> None:
    body = "bad = PythonScriptStep('failing.py', name='bad', source_directory=steps)\npipeline = Pipeline(ws, [bad])\n"
    write_project(ws.root, body, scripts={"failing.py": FAILING})

    result = duto("run", "pipe.py", cwd=ws.root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "about to fail" in result.stdout
    assert "Traceback" not in result.stderr
    assert "step 'bad' failed" in result.stderr


def test_cancel_stops_a_running_run(ws: Workspace, wait_until) -> None:  # type: ignore[no-untyped-def]
    body = "slow = PythonScriptStep('slow.py', name='slow', source_directory=steps)\npipeline = Pipeline(ws, [slow])\n"
    write_project(ws.root, body, scripts={"slow.py": SLOW})
    run = PipelineRun.get(ws, duto("run", "pipe.py", "--detach", cwd=ws.root).stdout.strip())
    wait_until(lambda: "sleeping" in run.get_steps()[0].get_stdout_log(), timeout=20)

    canceled = duto("runs", "cancel", run.id, cwd=ws.root)

    assert canceled.returncode == 0, canceled.stderr
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=30) == "Canceled"


def test_user_errors_are_one_line(ws: Workspace, tmp_path: Path) -> None:
    assert_user_error(duto("run", "missing.py", cwd=ws.root), "missing.py", "no such file")
    assert_user_error(duto("runs", "show", "no-such-run", cwd=ws.root), "no-such-run")
    assert_user_error(duto("runs", "list", cwd=tmp_path), "no duto workspace")
    write_project(ws.root, TWO_STEPS + "pipeline = Pipeline(ws, steps=[second])\n")
    assert_user_error(duto("run", "pipe.py", "-p", "greeting", cwd=ws.root), "NAME=VALUE")


def test_compute_create_then_list(ws: Workspace) -> None:
    made = duto("compute", "create", "gpu-box", "--max-concurrency", "2", cwd=ws.root)
    assert made.returncode == 0, made.stderr
    assert "created compute target 'gpu-box'" in made.stdout

    listed = duto("compute", "list", cwd=ws.root)

    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line.split() for line in listed.stdout.splitlines() if line.startswith("│")}
    assert rows["gpu-box"][1:6:2] == ["gpu-box", "local", "2"]
    assert "local" in rows
