"""`GET /api/runs/{run_id}/data` over real HTTP: the registered datasets each step of a run read and made and the
models its code registered, in one answer; a run without any is `{"steps": []}`, an unknown run a 404 naming it."""

from __future__ import annotations

import pytest

from duto import Dataset, Experiment, Model
from duto.pipeline import OutputFileDatasetConfig, Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.timeout(180)

TRAIN = """
import os, sys
from duto import Run
source, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "features.txt"), "w").write(open(source).read().upper())
os.makedirs("outputs", exist_ok=True)
open("outputs/model.txt", "w").write("model")
Run.get_context().register_model(model_name="churn", model_path="outputs/model.txt")
"""
SCORE = """
import os, sys
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "scores.txt"), "w").write(open(os.path.join(sys.argv[1], "features.txt")).read())
"""


def test_a_runs_data_names_what_each_step_read_and_made(served, ws, tmp_path, write_script):  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b")
    Dataset.File.from_files(str(raw)).register(ws, "raw")
    raw.write_text("c,d")
    Dataset.File.from_files(str(raw)).register(ws, "raw", create_new_version=True)
    src = write_script("train.py", TRAIN)
    write_script("score.py", SCORE)
    write_script("quiet.py", "print('nothing registered')")

    source = Dataset.get_by_name(ws, "raw", version=1).as_named_input("source").as_download()
    features = OutputFileDatasetConfig("features").register_on_complete("features")
    scores = PipelineData("scores", datastore=ws.get_default_datastore()).as_dataset().register(name="scores")
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=src,
        arguments=[source, features],
        inputs=[source],
        outputs=[features],
    )
    score_in = features.as_input("features")
    score = PythonScriptStep(
        "score.py",
        name="score",
        source_directory=src,
        arguments=[score_in, scores],
        inputs=[score_in],
        outputs=[scores],
    )
    quiet = PythonScriptStep("quiet.py", name="quiet", source_directory=src)
    run = Experiment(ws, "data").submit(Pipeline(ws, [train, score, quiet]))
    run.wait_for_completion(show_output=False, raise_on_error=True)
    step_ids = {s.name: s.id for s in run.get_steps()}
    plain = Experiment(ws, "data").submit(Pipeline(ws, [PythonScriptStep("quiet.py", source_directory=src)]))
    plain.wait_for_completion(show_output=False, raise_on_error=True)

    with served.client("read") as reader:
        answer = reader.get(f"/api/runs/{run.id}/data")
        assert answer.status_code == 200, answer.text
        steps = answer.json()["steps"]
        raw_v1 = Dataset.get_by_name(ws, "raw", version=1)
        assert [(s["step_name"], s["step_run_id"], s["status"]) for s in steps] == [
            ("train", step_ids["train"], "Finished"),
            ("score", step_ids["score"], "Finished"),
        ]
        train_data, score_data = steps
        assert train_data["read"] == [
            {"name": "raw", "version": 1, "id": raw_v1.id, "input_name": "source", "unregistered": False}
        ]
        features = Dataset.get_by_name(ws, "features")
        assert train_data["produced"] == [{"name": "features", "version": 1, "id": features.id, "unregistered": False}]
        assert train_data["models"] == [{"name": "churn", "version": 1, "unregistered": False}]
        assert score_data["read"] == []
        scores = Dataset.get_by_name(ws, "scores")
        assert score_data["produced"] == [{"name": "scores", "version": 1, "id": scores.id, "unregistered": False}]
        assert score_data["models"] == []

        # What the run read and made stays in its answer once unregistered, marked so.
        raw_v1.unregister_all_versions(ws)
        Model(ws, "churn").delete()
        again = {s["step_name"]: s for s in reader.get(f"/api/runs/{run.id}/data").json()["steps"]}
        assert [r["unregistered"] for r in again["train"]["read"]] == [True]
        assert [m["unregistered"] for m in again["train"]["models"]] == [True]
        assert [p["unregistered"] for p in again["train"]["produced"]] == [False]
        answer = reader.get(f"/api/runs/{run.id}/data")

        assert reader.get(f"/api/runs/{run.id[:8]}/data").json() == answer.json(), "a unique prefix, as elsewhere"
        assert reader.get(f"/api/runs/{plain.id}/data").json() == {"steps": []}
        missing = reader.get("/api/runs/nosuchrun/data")
        assert missing.status_code == 404 and "nosuchrun" in missing.json()["detail"]


def test_a_reader_that_never_ran_keeps_its_read_with_a_status_that_says_so(served, ws, tmp_path, write_script):  # type: ignore[no-untyped-def]
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b")
    Dataset.File.from_files(str(raw)).register(ws, "raw")
    src = write_script("fail.py", "import os, sys\nos.makedirs(sys.argv[1], exist_ok=True)\nsys.exit(3)")
    write_script("read.py", "import sys\nprint(open(sys.argv[1]).read())")
    between = PipelineData("between", datastore=ws.get_default_datastore())
    fail = PythonScriptStep("fail.py", name="fail", source_directory=src, arguments=[between], outputs=[between])
    source = Dataset.get_by_name(ws, "raw").as_named_input("source").as_download()
    read = PythonScriptStep(
        "read.py", name="read", source_directory=src, arguments=[source, between], inputs=[source, between]
    )
    run = Experiment(ws, "data").submit(Pipeline(ws, [fail, read]))
    run.wait_for_completion(show_output=False, raise_on_error=False)
    assert run.get_status() == "Failed"

    with served.client("read") as reader:
        (step,) = reader.get(f"/api/runs/{run.id}/data").json()["steps"]
    assert (step["step_name"], [r["name"] for r in step["read"]]) == ("read", ["raw"])
    assert step["status"] in ("Canceled", "NotStarted"), step["status"]
