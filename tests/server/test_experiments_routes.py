"""Experiments over real HTTP: the list with run counts and last runs, and an experiment's runs with the last
value of each metric its runs and their steps logged, against runs submitted with the SDK."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.pipeline import Pipeline, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

TRAIN = """
import sys
from duto import Run
run = Run.get_context()
lr = float(sys.argv[1])
run.log("loss", 1.0)
run.log("loss", lr / 10)
run.log_list("curve", [1, 2])
run.parent.log("best", 1 - lr)
"""


def train_pipeline(ws, write_script) -> Pipeline:  # type: ignore[no-untyped-def]
    lr = PipelineParameter("lr", default_value=0.5)
    step = PythonScriptStep("train.py", name="train", source_directory=write_script("train.py", TRAIN), arguments=[lr])
    return Pipeline(ws, [step])


def finished(run):  # type: ignore[no-untyped-def]
    assert run.wait_for_completion(show_output=False) == "Finished", [s.reason for s in run.steps_in_order()]
    return run


@pytest.mark.timeout(180)
def test_experiments_list_their_counts_and_last_runs_and_a_table_of_runs_with_final_metrics(  # type: ignore[no-untyped-def]
    served, ws, write_script
) -> None:
    pipeline = train_pipeline(ws, write_script)
    first = finished(Experiment(ws, "tune").submit(pipeline, pipeline_parameters={"lr": 0.5}))
    second = finished(Experiment(ws, "tune").submit(pipeline, pipeline_parameters={"lr": 0.2}, tags={"k": "v"}))
    reused = finished(Experiment(ws, "tune").submit(pipeline, pipeline_parameters={"lr": 0.5}))
    other = finished(Experiment(ws, "other").submit(pipeline))
    Experiment(ws, "other").archive()

    with served.client("read") as reader:
        listed = reader.get("/api/experiments")
        assert listed.status_code == 200, listed.text
        assert listed.json() == [
            {
                "name": "tune",
                "archived": False,
                "run_count": 3,
                "last_run": {"id": reused.id, "status": "Finished", "created": listed.json()[0]["last_run"]["created"]},
            }
        ]
        every = reader.get("/api/experiments", params={"archived": True}).json()
        assert [(e["name"], e["archived"], e["last_run"]["id"]) for e in every] == [
            ("other", True, other.id),
            ("tune", False, reused.id),
        ]

        table = reader.get("/api/experiments/tune/runs")
        assert table.status_code == 200, table.text
        body = table.json()
        assert [r["id"] for r in body["runs"]] == [reused.id, second.id, first.id], "newest first"
        assert body["metric_names"] == ["best", "train/loss"], "the run's own first; lists are not final values"
        metrics = {r["id"]: r["metrics"] for r in body["runs"]}
        assert metrics[first.id] == {"best": 0.5, "train/loss": 0.05}, "the last value logged"
        assert metrics[second.id] == {"best": 0.8, "train/loss": 0.02}
        assert metrics[reused.id] == {"train/loss": 0.05}, "a reused step's metrics are its original's"
        assert body["runs"][1]["tags"] == {"k": "v"} and body["runs"][1]["parameters"] == {"lr": 0.2}
        assert body["truncated"] is False

        newest = reader.get("/api/experiments/tune/runs", params={"limit": 1}).json()
        assert [r["id"] for r in newest["runs"]] == [reused.id] and newest["truncated"] is True
        assert reader.get("/api/experiments/other/runs").json()["runs"][0]["id"] == other.id, "archived: by name"

        missing = reader.get("/api/experiments/nosuch/runs")
        assert missing.status_code == 404 and "tune" in missing.json()["detail"]
        for bad in ({"limit": 0}, {"limit": 10_001}):
            assert reader.get("/api/experiments/tune/runs", params=bad).status_code == 422, bad


@pytest.mark.timeout(60)
def test_a_workspace_without_runs_lists_no_experiments(served) -> None:  # type: ignore[no-untyped-def]
    with served.client("read") as reader:
        assert reader.get("/api/experiments").json() == []
