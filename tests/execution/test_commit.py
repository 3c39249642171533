"""Committing a step's outputs: a declared output the step never wrote fails the step, and nothing of it is kept."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.errors import StepRunError
from duto.pipeline import OutputFileDatasetConfig, Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.storage.reuse_store import ReuseStore

pytestmark = pytest.mark.timeout(60)

WRITES = """
import os, sys
for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    if kind == "file":
        open(path, "w").close()  # written, though empty
    elif kind == "folder":
        os.makedirs(path, exist_ok=True)
        open(os.path.join(path, "part.txt"), "w").write("x")
    elif kind == "empty-folder":
        os.makedirs(os.path.join(path, "sub"), exist_ok=True)
print("the step is done")
"""


def test_an_output_never_written_fails_the_step_and_nothing_is_published_or_reusable(ws, write_script):
    src = write_script("train.py", WRITES)
    write_script("score.py", "print('scored')\n")
    model = PipelineData("model")
    train = PythonScriptStep("train.py", name="train", source_directory=src, arguments=["none", model], outputs=[model])
    score = PythonScriptStep("score.py", name="score", source_directory=src, arguments=[model], inputs=[model])
    run = Experiment(ws, "outputs").submit(Pipeline(ws, [train, score]))

    with pytest.raises(StepRunError) as caught:
        run.wait_for_completion(show_output=False)

    why = "output 'model' of step 'train' was declared but the step wrote nothing to it"
    assert (caught.value.step_name, caught.value.reason) == ("train", why)
    trained, scored = run.find_step_run("train")[0], run.find_step_run("score")[0]
    assert trained.get_details()["reason"] == why
    assert (trained.get_status(), trained.get_details()["outputs"]) == ("Failed", {})
    assert (scored.get_status(), scored.reason) == ("Canceled", "upstream 'train' failed")
    assert trained.get_stdout_log().splitlines()[-2:] == ["the step is done", f"duto: {why}"]
    statuses = [e.payload for e in ws.runs_store.events_after(run.id, 0) if e.kind == "step_status"]
    assert {"step": "train", "status": "Failed", "reason": why, "exit_code": 0} in statuses
    assert ReuseStore(ws.database).entries() == []
    assert not (ws.get_default_datastore().root / "azureml" / trained.id).exists()

    again = Experiment(ws, "outputs").submit(Pipeline(ws, [train, score]))
    assert again.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    assert not again.find_step_run("train")[0].is_reused


def test_every_output_left_empty_is_named_and_none_is_kept(ws, write_script):
    """An empty folder (even one made for the step) holds nothing written; an empty file was written."""
    src = write_script("train.py", WRITES)
    model, metrics, plots = PipelineData("model"), PipelineData("metrics"), PipelineData("plots", is_directory=True)
    flag = OutputFileDatasetConfig("flag")
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=src,
        arguments=["folder", model, "none", metrics, "empty-folder", plots, "file", flag],
        outputs=[model, metrics, plots, flag],
    )
    run = Experiment(ws, "outputs").submit(Pipeline(ws, [train]))

    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    trained = run.find_step_run("train")[0]
    assert trained.reason == (
        "outputs 'metrics', 'plots' of step 'train' were declared but the step wrote nothing to them"
    )
    assert trained.get_details()["outputs"] == {}
    assert ReuseStore(ws.database).entries() == []
    assert not (ws.get_default_datastore().root / "azureml" / trained.id).exists()
