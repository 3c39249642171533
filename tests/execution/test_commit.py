"""Committing a step's outputs: a declared output the step never wrote fails the step, and nothing of it is kept;
what it wrote is stored, then published from where it wrote it, whole or not at all."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.errors import StepRunError
from duto.execution.commit import StagedOutputs, _store_and_stage
from duto.pipeline import OutputFileDatasetConfig, Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.storage.cas import ContentStore
from duto.storage.hashing import FileHasher
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


NESTED = """
import os, sys
os.makedirs(os.path.join(sys.argv[1], "deep"), exist_ok=True)
open(os.path.join(sys.argv[1], "top.txt"), "w").write("top")
open(os.path.join(sys.argv[1], "deep", "low.txt"), "w").write("low")
if len(sys.argv) > 3:
    os.makedirs(os.path.join(sys.argv[1], "empty"), exist_ok=True)
open(sys.argv[-1], "w").write("single")
"""


def _published(ws, step, name):
    output = step.get_details()["outputs"][name]
    return ws.get_default_datastore().root / output["path"], output["digest"]


def test_an_output_is_published_from_where_the_step_wrote_it_as_links_of_its_blobs(ws, write_script):
    """No staging folder beside the final place: the step's own output folder, its files now links of their
    blobs, is renamed into place."""
    src = write_script("train.py", NESTED)
    model, single = PipelineData("model"), PipelineData("single")
    train = PythonScriptStep(
        "train.py", name="train", source_directory=src, arguments=[model, single], outputs=[model, single]
    )
    run = Experiment(ws, "outputs").submit(Pipeline(ws, [train]))
    assert run.wait_for_completion(show_output=False) == "Finished"

    step = run.find_step_run("train")[0]
    cas = ws.content_store
    for name in ("model", "single"):
        final, digest = _published(ws, step, name)
        assert cas.intact(digest)
        for rel, blob in cas.files_of(digest).items():
            placed = final / rel if rel else final
            assert placed.stat().st_ino == cas.blob_path(blob).stat().st_ino, "a published file is its blob"
        assert not (step.layout.outputs / name).exists(), "renamed into place from the step's folder"
    model_final, _ = _published(ws, step, "model")
    assert sorted(str(p.relative_to(model_final)) for p in model_final.rglob("*")) == [
        "deep",
        "deep/low.txt",
        "top.txt",
    ]
    assert [p.name for p in model_final.parent.iterdir() if ".tmp-" in p.name] == []


def test_an_output_holding_an_empty_folder_is_published_as_its_manifest_says(ws, write_script):
    """An empty folder has no place in a manifest: such an output is laid out afresh beside its final place, so
    what is published is what a reuse of it lays out."""
    src = write_script("train.py", NESTED)
    model, single = PipelineData("model"), PipelineData("single")
    args = [model, "with-empty", single]
    train = PythonScriptStep("train.py", name="train", source_directory=src, arguments=args, outputs=[model, single])
    run = Experiment(ws, "outputs").submit(Pipeline(ws, [train]))
    assert run.wait_for_completion(show_output=False) == "Finished"

    step = run.find_step_run("train")[0]
    final, digest = _published(ws, step, "model")
    assert ws.content_store.intact(digest)
    assert sorted(str(p.relative_to(final)) for p in final.rglob("*")) == ["deep", "deep/low.txt", "top.txt"]
    assert (step.layout.outputs / "model" / "empty").is_dir(), "left in the step's folder"
    assert [p.name for p in final.parent.iterdir() if ".tmp-" in p.name] == []


def test_an_output_staged_in_the_step_folder_is_published_whole_by_its_promotion_or_not_at_all(tmp_path):
    """Until the rename, nothing is under the final name; a commit given up (or a crash) leaves nothing there,
    and the output is whole in the store, to be laid out again."""
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    final = tmp_path / "datastore" / "azureml" / "step" / "model"
    for outcome in ("discarded", "promoted"):
        written = tmp_path / outcome / "outputs" / "model"
        (written / "deep").mkdir(parents=True)
        (written / "top.txt").write_text("top")
        (written / "deep" / "low.txt").write_text("low")
        digest, staging = _store_and_stage(cas, written, final)
        staged = StagedOutputs(cas, staged=[(staging, final)])
        assert staged.staged == [(written, final)] and not final.exists(), "staged where the step wrote it"
        assert (written / "deep" / "low.txt").read_text() == "low"
        if outcome == "discarded":
            staged.discard()
            assert not final.exists() and not written.exists() and cas.intact(digest)
        else:
            assert staged.promote() == []
            assert (final / "top.txt").read_text() == "top" and (final / "deep" / "low.txt").read_text() == "low"
            assert not written.exists() and cas.intact(digest)
