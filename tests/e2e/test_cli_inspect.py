"""The commands that look at runs and pipelines without running them: `runs list` filters and JSON, `runs show
--json`, `runs diff`, `status` (a dry run) and `dag`, through the real `duto` command."""

from __future__ import annotations

import json
import subprocess
import textwrap
from datetime import timedelta
from pathlib import Path

from conftest import run_duto
from duto import Experiment, Workspace
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import PythonScriptStep
from duto.storage.runs_store import utcnow

PREP = """
import os, sys
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "d.txt"), "w").write("data")
"""
TRAIN = """
import sys
from duto import Run
print(open(sys.argv[2] + "/d.txt").read())
Run.get_context().log("acc", float(sys.argv[4]))
"""
PIPELINE_FILE = """
from pathlib import Path
from duto import Workspace
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

ws = Workspace.from_config()
steps = str(Path(__file__).parent / "steps")
lr = PipelineParameter("lr", default_value=0.1)
prepped = PipelineData("prepped")
prep = PythonScriptStep("prep.py", name="prep", source_directory=steps, arguments=["--out", prepped], outputs=[prepped])
train = PythonScriptStep(
    "train.py", name="train", source_directory=steps, arguments=["--data", prepped, "--lr", lr], inputs=[prepped]
)
pipeline = Pipeline(ws, steps=[train])
"""


def duto(*args: str, cwd: Path, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, columns=columns)


def write_project(root: Path) -> Path:
    (root / "steps").mkdir(exist_ok=True)
    (root / "steps" / "prep.py").write_text(textwrap.dedent(PREP))
    (root / "steps" / "train.py").write_text(textwrap.dedent(TRAIN))
    path = root / "pipe.py"
    path.write_text(textwrap.dedent(PIPELINE_FILE))
    return path


def two_steps(ws: Workspace) -> Pipeline:
    """prep -> train, each with a source folder of its own (written with `write_script`)."""
    prepped = PipelineData("prepped")
    lr = PipelineParameter("lr", default_value=0.1)
    _prep = PythonScriptStep(  # pulled in as the producer of train's input
        "prep.py", name="prep", source_directory=str(ws.root / "prep"), arguments=["--out", prepped], outputs=[prepped]
    )
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=str(ws.root / "train"),
        arguments=["--data", prepped, "--lr", lr],
        inputs=[prepped],
    )
    return Pipeline(ws, steps=[train])


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr


def blobs(ws: Workspace) -> set[Path]:
    return {p for p in (ws.root / ".duto" / "cas").rglob("*") if p.is_file()}


def test_status_says_what_would_run_and_why_without_running_or_recording_anything(ws: Workspace) -> None:
    write_project(ws.root)
    first = duto("status", "pipe.py", cwd=ws.root)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "prep   would run: first run of this step",
        "train  would run: upstream 'prep' would run",
    ]
    assert "2 of 2 steps would run" in first.stderr
    assert ws.runs_store.pipeline_runs() == [] and ws.runs_store.experiment_names() == []
    assert not any((ws.root / ".duto" / "runs").glob("*"))
    assert blobs(ws) == set()  # code is hashed, not stored

    ran = duto("run", "pipe.py", cwd=ws.root)
    assert ran.returncode == 0, ran.stderr
    ((run, _),) = ws.runs_store.pipeline_runs()
    stored = blobs(ws)

    same = duto("status", "pipe.py", cwd=ws.root)
    assert same.stdout.splitlines() == [
        f"prep   up to date (would reuse run {run.id}/prep)",
        f"train  up to date (would reuse run {run.id}/train)",
    ]
    assert "all 2 steps are up to date" in same.stderr
    other_lr = duto("status", "pipe.py", "-p", "lr=0.2", cwd=ws.root)
    assert other_lr.stdout.splitlines()[1] == "train  would run: parameter lr: 0.1 -> 0.2"

    with (ws.root / "steps" / "prep.py").open("a") as script:
        script.write("# edited\n")
    edited = duto("status", "pipe.py", "--json", cwd=ws.root)
    assert edited.returncode == 0, edited.stderr
    document = json.loads(edited.stdout)
    assert document["experiment"] == "pipe"
    prep, train = document["steps"]
    assert (prep["name"], prep["outcome"], prep["would_run"]) == ("prep", "run", True)
    assert prep["reasons"] == ["code: prep.py changed (+1 -0 lines)"]
    assert train["reasons"] == ["upstream 'prep' would run"] and train["reused_from"] is None
    assert len(ws.runs_store.pipeline_runs()) == 1 and blobs(ws) == stored


def test_status_and_dag_of_a_file_that_is_not_there_is_one_line(ws: Workspace) -> None:
    assert_user_error(duto("status", "nope.py", cwd=ws.root), "nope.py: no such file")
    assert_user_error(duto("dag", "nope.py", cwd=ws.root), "nope.py: no such file")
    assert_user_error(duto("dag", "0000ffff", cwd=ws.root), "no run '0000ffff'")


def test_dag_draws_a_file_and_a_run_as_text_dot_and_mermaid(ws: Workspace) -> None:
    write_project(ws.root)
    text = duto("dag", "pipe.py", cwd=ws.root)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        "pipeline pipe.py: 2 step(s)",
        "layer 1",
        "  ■ prep",
        "  └─ prepped ─▶ train",
        "layer 2",
        "  ■ train",
    ]
    assert ws.runs_store.pipeline_runs() == []
    dot = duto("dag", "pipe.py", "--dot", cwd=ws.root).stdout
    assert dot.startswith('digraph "pipeline pipe.py" {\n') and dot.endswith("}\n")
    assert '  "prep" -> "train" [label="prepped"];' in dot
    mermaid = duto("dag", "pipe.py", "--mermaid", cwd=ws.root).stdout
    assert mermaid.splitlines() == ["flowchart TD", '  s0["prep"]', '  s1["train"]', '  s0 -->|"prepped"| s1']
    assert_user_error(duto("dag", "pipe.py", "--dot", "--mermaid", cwd=ws.root), "give one of them")

    assert duto("run", "pipe.py", cwd=ws.root).returncode == 0
    again = duto("run", "pipe.py", cwd=ws.root)
    assert again.returncode == 0 and "every step was reused" in again.stdout
    run_id = ws.runs_store.pipeline_runs()[0][0].id
    drawn = duto("dag", run_id[:8], cwd=ws.root)
    assert drawn.stdout.splitlines()[:3] == [f"run {run_id}: 2 step(s)", "layer 1", "  ■ prep  [Reused]"]
    assert '["prep (Reused)"]' in duto("dag", run_id, "--mermaid", cwd=ws.root).stdout


def test_runs_list_filters_by_status_age_and_tags_and_prints_json(ws: Workspace, write_script) -> None:  # type: ignore[no-untyped-def]
    write_script("prep.py", PREP, folder="prep")
    write_script("train.py", TRAIN, folder="train")
    write_script("fail.py", "import sys\nsys.exit(2)\n", folder="broken")
    finished = Experiment(ws, "train").submit(two_steps(ws), tags={"team": "nlp", "gpu": "1"})
    finished.wait_for_completion(show_output=False)
    reused = Experiment(ws, "train").submit(two_steps(ws), tags={"team": "vision"})
    reused.wait_for_completion(show_output=False)
    failing = Pipeline(ws, [PythonScriptStep("fail.py", name="fail", source_directory=str(ws.root / "broken"))])
    failed = Experiment(ws, "a-rather-long-experiment-name-for-a-table").submit(failing, tags={"team": "nlp"})
    failed.wait_for_completion(show_output=False, raise_on_error=False)
    ws.runs_store.update_run(failed.id, created_at=utcnow() - timedelta(days=3))

    def listed(*args: str) -> set[str]:
        result = duto("runs", "list", "--json", *args, cwd=ws.root)
        assert result.returncode == 0, result.stderr
        return {run["id"] for run in json.loads(result.stdout)}

    assert listed("--status", "failed") == {failed.id}
    assert listed("--status", "FINISHED,Failed") == {finished.id, reused.id, failed.id}
    assert listed("-s", "Finished", "-s", "canceled") == {finished.id, reused.id}
    assert listed("--tag", "team=nlp") == {finished.id, failed.id}
    assert listed("--tag", "team=nlp", "--tag", "gpu") == {finished.id}
    assert listed("--tag", "gpu=2") == set()
    assert listed("--since", "2d") == {finished.id, reused.id}
    assert listed("--since", "2000-01-01") == {finished.id, reused.id, failed.id}
    assert_user_error(
        duto("runs", "list", "--status", "Done", cwd=ws.root), "'Done' is not a run status", "Finished, Failed"
    )
    assert_user_error(duto("runs", "list", "--since", "yesterday", cwd=ws.root), "neither an age")
    none = duto("runs", "list", "--since", "2999-01-01", cwd=ws.root)
    assert none.returncode == 0 and none.stdout == "" and "drop a filter" in none.stderr

    document = json.loads(duto("runs", "list", "--json", cwd=ws.root).stdout)
    assert [run["id"] for run in document] == [reused.id, finished.id, failed.id]
    first = document[0]
    assert set(first) == {
        "id", "experiment", "status", "reason", "created", "started", "ended",
        "duration_seconds", "reused", "tags", "parameters",
    }  # fmt: skip
    assert (first["experiment"], first["status"], first["reused"], first["duration_seconds"]) == (
        "train",
        "Finished",
        True,
        0.0,
    )
    assert first["tags"] == {"team": "vision"} and first["parameters"] == {"lr": 0.1}
    assert document[1]["reused"] is False and document[1]["duration_seconds"] > 0
    assert document[2]["created"].endswith("+00:00")

    table = duto("runs", "list", cwd=ws.root, columns=80)
    assert table.returncode == 0, table.stderr
    rows = {run_id: [line for line in table.stdout.splitlines() if run_id[:8] in line] for run_id in listed()}
    for run_id, lines in rows.items():
        assert len(lines) == 1, table.stdout  # one line: the id is not wrapped
        assert len(lines[0]) <= 80 and run_id not in lines[0]
    assert rows[reused.id][0].rstrip(" │").endswith("reused")
    assert not rows[finished.id][0].rstrip(" │").endswith("reused")
    assert all(len(line) <= 80 for line in table.stdout.splitlines())


def test_runs_show_json_gives_the_run_and_its_steps(ws: Workspace, write_script) -> None:  # type: ignore[no-untyped-def]
    write_script("prep.py", PREP, folder="prep")
    write_script("train.py", TRAIN, folder="train")
    first = Experiment(ws, "train").submit(two_steps(ws))
    first.wait_for_completion(show_output=False)
    second = Experiment(ws, "train").submit(two_steps(ws), pipeline_parameters={"lr": 0.5})
    second.wait_for_completion(show_output=False)

    shown = duto("runs", "show", second.id[:8], "--json", cwd=ws.root)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert (document["id"], document["status"], document["reused"]) == (second.id, "Finished", False)
    assert document["parameters"] == {"lr": 0.5}
    prep, train = document["steps"]
    assert prep["name"] == "prep" and prep["reused"] is True and prep["status"] == "Finished"
    assert prep["reused_from"]["run_id"] == first.id and prep["reused_from"]["step"] == "prep"
    assert train["reused"] is False and train["exit_code"] == 0 and train["compute_target"] == "local"
    assert train["why"] == ["parameter lr: 0.1 -> 0.5"]
    assert len(train["fingerprint"]) == 64 and train["duration_seconds"] >= 0
    assert set(train["outputs"]) == set() and set(prep["outputs"]) == {"prepped"}


def test_runs_diff_compares_parameters_metrics_and_what_each_step_depends_on(ws: Workspace, write_script) -> None:  # type: ignore[no-untyped-def]
    write_script("prep.py", PREP, folder="prep")
    write_script("train.py", TRAIN, folder="train")
    first = Experiment(ws, "train").submit(two_steps(ws))
    first.wait_for_completion(show_output=False)
    (ws.root / "train" / "train.py").write_text(textwrap.dedent(TRAIN) + "# tuned\n")
    second = Experiment(ws, "train").submit(two_steps(ws), pipeline_parameters={"lr": 0.25})
    second.wait_for_completion(show_output=False)

    result = duto("runs", "diff", first.id[:8], second.id[:8], "--json", cwd=ws.root)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["a"], document["b"]) == (first.id, second.id)
    assert document["parameters"] == {"lr": {"a": 0.1, "b": 0.25, "change": "changed"}}
    assert document["metrics"] == {"train/acc": {"a": 0.1, "b": 0.25, "delta": 0.15}}
    prep, train = document["steps"]["prep"], document["steps"]["train"]
    assert prep == {"change": "same", "code": [], "data": [], "environment": [], "arguments": []}
    assert train["change"] == "differs"
    assert train["code"] == ["code: train.py changed (+1 -0 lines)"]
    assert train["arguments"] == ["parameter lr: 0.1 -> 0.25"]
    assert train["data"] == [] and train["environment"] == []

    table = duto("runs", "diff", first.id, second.id, cwd=ws.root)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert any(line.split("│")[1:5] == [" lr        ", " 0.1 ", " 0.25 ", " changed "] for line in lines), table.stdout
    assert any("train/acc" in line and "+0.15" in line for line in lines)
    assert any(
        line.split() == ["│", "train", "│", "differs", "│", "same", "│", "same", "│", "differs", "│"] for line in lines
    )
    assert "  train: code: train.py changed (+1 -0 lines)" in lines
    assert_user_error(duto("runs", "diff", first.id, "ffffffff", cwd=ws.root), "no run 'ffffffff'")
