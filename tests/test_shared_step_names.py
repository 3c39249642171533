"""Two steps of a pipeline may share a name (as v1 allows): they run, are reused and are addressed apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_duto
from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.submission import plan_pipeline

TRAIN = """
import sys
from pathlib import Path
source, suffix, target = sys.argv[1:]
text = Path(source, "out.txt").read_text() if source != "-" else ""
Path(target).mkdir(parents=True, exist_ok=True)
Path(target, "out.txt").write_text(text + suffix)
print("train says", suffix)
"""


def two_trains(ws, write_script, second_suffix: str = "B") -> Pipeline:
    """train (writes "A") -> train (appends its suffix, the run's output "final"), from different folders."""
    first_folder = write_script("train.py", TRAIN, folder="first")
    second_folder = write_script("train.py", TRAIN, folder="second")
    first, second = PipelineData("first"), PipelineData("second", pipeline_output_name="final")
    train_1 = PythonScriptStep(
        "train.py", name="train", source_directory=first_folder, arguments=["-", "A", first], outputs=[first]
    )
    train_2 = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=second_folder,
        arguments=[first, second_suffix, second],
        outputs=[second],
    )
    return Pipeline(ws, [train_1, train_2])


def run_to_end(ws, pipeline):
    run = Experiment(ws, "names").submit(pipeline)
    assert run.wait_for_completion(show_output=False) == "Finished", [s.reason for s in run.steps_in_order()]
    return run


def final_text(run) -> str:
    return Path(run.get_pipeline_output("final").local_path, "out.txt").read_text()


def test_two_steps_named_alike_run_each_with_its_own_data_and_are_reused_each_as_itself(ws, write_script) -> None:
    pipeline = two_trains(ws, write_script)
    assert pipeline.validate() == []
    run = run_to_end(ws, pipeline)
    first, second = run.steps_in_order()
    assert (first.name, second.name) == ("train", "train")
    assert (first.key, second.key) == ("train", "train#2")
    assert [s.get_status() for s in (first, second)] == ["Finished", "Finished"]
    assert final_text(run) == "AB"
    assert "train says A" in first.get_stdout_log() and "train says B" in second.get_stdout_log()

    plans = plan_pipeline(two_trains(ws, write_script), "names")  # `duto status`: a dry run
    assert [(p.name, p.key, p.outcome) for p in plans] == [("train", "train", "reuse"), ("train", "train#2", "reuse")]
    assert [p.reused_from["step_run_id"] for p in plans if p.reused_from] == [first.id, second.id]

    again = run_to_end(ws, two_trains(ws, write_script))
    reused = again.steps_in_order()
    assert [s.is_reused for s in reused] == [True, True]
    assert [s.reused_from.id for s in reused] == [first.id, second.id]
    assert final_text(again) == "AB"

    # Only the second train changed: it runs again, and its reasons are a diff against its own previous run.
    changed = run_to_end(ws, two_trains(ws, write_script, second_suffix="C"))
    kept, ran = changed.steps_in_order()
    assert kept.is_reused and kept.reused_from.id == first.id
    assert not ran.is_reused
    expected = ["arguments: {input:first} B {output:second} -> {input:first} C {output:second}"]
    assert ran.get_reuse_info()["reasons"] == expected
    assert final_text(changed) == "AC"


@pytest.mark.parametrize("command", ["logs", "why"])
def test_a_shared_name_is_refused_with_the_step_run_ids_and_an_id_is_taken(ws, write_script, command) -> None:
    run = run_to_end(ws, two_trains(ws, write_script))
    first, second = run.steps_in_order()

    by_name = run_duto(command, run.id, "train", cwd=ws.root)
    assert by_name.returncode == 1
    assert f"2 steps named 'train'; name one by its step-run id: {first.id}, {second.id}" in by_name.stderr

    by_id = run_duto(command, run.id, second.id, cwd=ws.root)
    assert by_id.returncode == 0, by_id.stderr
    if command == "logs":
        assert "train says B" in by_id.stdout and "train says A" not in by_id.stdout
    else:
        assert f"train ({second.id[:8]})" in by_id.stdout and "Finished" in by_id.stdout

    shown = run_duto("runs", "show", run.id, cwd=ws.root)
    assert shown.returncode == 0, shown.stderr
    assert f"train ({first.id[:8]})" in shown.stdout and f"train ({second.id[:8]})" in shown.stdout
    document = json.loads(run_duto("runs", "show", run.id, "--json", cwd=ws.root).stdout)
    assert [(s["name"], s["key"], s["id"]) for s in document["steps"]] == [
        ("train", "train", first.id),
        ("train", "train#2", second.id),
    ]

    every = run_duto(command, run.id, cwd=ws.root)
    assert every.returncode == 0, every.stderr
    assert f"train ({first.id[:8]})" in every.stdout and f"train ({second.id[:8]})" in every.stdout
