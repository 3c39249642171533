"""Runs and their steps as v1 code reads them (`duto.facade.runs`): order, children, outputs, pipeline outputs,
job logs, the experiment, and addressing a step by its step-run id or its name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from conftest import run_duto
from duto import Experiment
from duto.errors import AmbiguousStepError, DutoError, StepNotFoundError
from duto.pipeline import Pipeline, PipelineData, TrainingOutput
from duto.pipeline.steps import PythonScriptStep
from duto.storage import models

PRODUCE = """
import os, sys
from duto import Run
run = Run.get_context()
run.log("experiment", run.experiment.name)
run.log("parent", run.parent.id)
run.log("inputs", len(run.input_datasets))
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "a.txt"), "w").write("from a")
"""
CONSUME = """
import os, sys
from duto import Run
run = Run.get_context()
run.tag("kind", "consumer")
run.log("inputs", sorted(run.input_datasets))
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "b.txt"), "w").write(open(os.path.join(sys.argv[1], "a.txt")).read() + ", then b")
"""


def pipeline(ws, write_script) -> Pipeline:
    ab = PipelineData("ab", pipeline_output_name="shared")
    final = PipelineData("final", training_output=TrainingOutput("Metrics"))
    a_src = write_script("a.py", PRODUCE, "steps/a")
    a = PythonScriptStep("a.py", source_directory=a_src, arguments=[ab], outputs=[ab])
    b = PythonScriptStep(
        "b.py", source_directory=write_script("b.py", CONSUME, "steps/b"), arguments=[ab, final], outputs=[final]
    )
    return Pipeline(ws, [a, b])


@pytest.fixture
def run(ws, write_script):
    submitted = Experiment(ws, "runs").submit(pipeline(ws, write_script))
    assert submitted.wait_for_completion(show_output=False) == "Finished"
    return submitted


def test_steps_and_children_come_newest_first_and_the_cli_order_stays(run) -> None:
    assert [s.name for s in run.get_steps()] == ["b.py", "a.py"]
    assert [s.name for s in run.get_children()] == ["b.py", "a.py"]
    assert [s.name for s in run.steps_in_order()] == ["a.py", "b.py"]
    assert [s.name for s in run.get_children(tags="kind")] == ["b.py"]
    assert [s.name for s in run.get_children(tags={"kind": "other"})] == []
    assert [s.name for s in run.get_children(status="Failed")] == []
    assert list(run.get_steps()[0].get_children()) == []


def test_outputs_pipeline_outputs_and_training_outputs(run) -> None:
    a, b = run.steps_in_order()
    assert list(b.get_outputs()) == ["final"]
    final = b.get_output("final")
    assert (final.training_output, final.pipeline_output_name) == ({"type": "Metrics", "model_file": None}, None)
    assert (final.get_port_data_reference().local_path / "b.txt").read_text() == "from a, then b"
    shared = run.get_pipeline_output("shared")
    assert (shared.name, shared.path_on_datastore) == ("ab", a.get_output_data("ab").path_on_datastore)
    assert (shared.local_path / "a.txt").read_text() == "from a"
    with pytest.raises(DutoError, match=r"no pipeline output 'nope'; its pipeline outputs: shared"):
        run.get_pipeline_output("nope")
    with pytest.raises(DutoError, match=r"step 'b.py' has no output 'ab'; its outputs: final"):
        b.get_output("ab")


def test_job_log_experiment_parent_and_inputs(run) -> None:
    a, b = run.steps_in_order()
    log = [line.split("  ", 1)[1] for line in a.get_job_log().splitlines()]
    assert log[-2:] == ["Running", "Finished (exit code 0)"]
    assert any(line.startswith("fingerprint ") for line in log)
    assert run.experiment.name == a.experiment.name == "runs"
    assert a.get_metrics() == {"experiment": "runs", "parent": run.id, "inputs": 0}
    assert b.get_metrics()["inputs"] == ["ab"]
    assert list(b.input_datasets) == ["ab"] and Path(b.input_datasets["ab"], "a.txt").is_file()
    # A step with no inputs gets no map file (one file fewer to make per step) and still reads {}.
    assert a.input_datasets == {} and not a.layout.inputs_map.exists() and b.layout.inputs_map.is_file()


def test_a_reused_step_keeps_its_outputs_inputs_and_says_so_in_its_job_log(ws, write_script, run) -> None:
    again = Experiment(ws, "runs").submit(pipeline(ws, write_script))
    assert again.wait_for_completion(show_output=False) == "Finished"
    a, b = again.steps_in_order()
    assert a.is_reused and b.is_reused
    assert [s.name for s in again.get_steps()] == ["b.py", "a.py"]  # neither started: later steps first
    assert "(reused " in b.get_job_log()
    assert (again.get_pipeline_output("shared").local_path / "a.txt").read_text() == "from a"
    assert list(b.input_datasets) == ["ab"]


def test_a_step_is_addressed_by_its_id_or_by_a_name_only_it_has(ws, run) -> None:
    a, b = run.steps_in_order()
    assert run.step_run(a.id).name == "a.py" and run.step_run("b.py").id == b.id
    with pytest.raises(StepNotFoundError, match=rf"no step 'c.py'; its steps: a.py \({a.id}\), b.py \({b.id}\)"):
        run.step_run("c.py")
    # Two steps of one run may share a name (as v1 allows); a run of such steps, made here by renaming one.
    with ws.database.writing() as session:
        session.execute(update(models.StepRun).where(models.StepRun.id == b.id).values(name="a.py"))
    with pytest.raises(AmbiguousStepError, match=rf"2 steps named 'a.py'; name one by its step-run id: {a.id}, {b.id}"):
        run.step_run("a.py")
    assert [s.id for s in run.find_step_run("a.py")] == [a.id, b.id]
    assert run.step_run(b.id).id == b.id

    why = run_duto("why", run.id, "a.py", cwd=ws.root)
    assert why.returncode == 1 and f"name one by its step-run id: {a.id}, {b.id}" in why.stderr
    by_id = run_duto("why", run.id, b.id, cwd=ws.root)
    assert by_id.returncode == 0, by_id.stderr
    logs = run_duto("logs", run.id, a.id, cwd=ws.root)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.count("(Finished)") == 1
