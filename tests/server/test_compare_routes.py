"""Comparing runs and reading a step's parts for the portal over real HTTP: `/api/compare`, every point of a
step's metrics, and the environment a step ran in, against runs submitted with the SDK."""

from __future__ import annotations

from typing import Any

import pytest

from duto import Experiment
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from server.pipeline_helpers import prep_train

PICTURES = """
from duto import Run
open("plot.png", "wb").write(bytes.fromhex("89504e470d0a1a0a") + b"a tiny stand-in for a picture")
context = Run.get_context()
context.log_image("confusion", path="plot.png")
context.log_table("per_class", {"digit": [0, 1], "f1": [0.9, 1.0]})
context.log("loss", 0.25)
"""


def finished(run) -> Any:  # type: ignore[no-untyped-def]
    assert run.wait_for_completion(show_output=False) == "Finished", [s.reason for s in run.steps_in_order()]
    return run


@pytest.mark.timeout(120)
def test_compare_names_the_changed_parameter_and_the_steps_it_changed(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    pipeline = prep_train(ws, write_script)
    first = finished(Experiment(ws, "e").submit(pipeline, pipeline_parameters={"lr": 0.1}))
    second = finished(Experiment(ws, "e").submit(pipeline, pipeline_parameters={"lr": 0.2}))
    with served.client("read") as reader:
        answer = reader.get("/api/compare", params={"runs": f"{first.id},{second.id[:12]}"})
        assert answer.status_code == 200, answer.text
        compared = answer.json()
        assert [r["id"] for r in compared["runs"]] == [first.id, second.id]
        assert compared["parameters"] == [{"name": "lr", "values": [0.1, 0.2], "differs": True, "image": False}]
        metrics = {m["name"]: m for m in compared["metrics"]}
        assert metrics["train/accuracy"]["values"] == [pytest.approx(0.6), pytest.approx(0.7)]
        assert metrics["train/accuracy"]["differs"] is True
        steps = {s["key"]: s for s in compared["steps"]}
        assert list(steps) == ["prep", "train"]
        assert steps["prep"]["differs"] is False and [c["change"] for c in steps["prep"]["runs"]] == [
            "baseline",
            "same",
        ]
        train = steps["train"]
        assert train["differs"] is True and train["groups"] == ["arguments"]
        assert train["runs"][1]["change"] == "differs"
        assert train["runs"][1]["arguments"] == ["parameter lr: 0.1 -> 0.2"]
        assert train["runs"][1]["code"] == [] and train["runs"][1]["data"] == []
        assert compared["edges"] == [{"source": "prep", "target": "train"}]

        # The same runs as repeated parameters; one run, eleven or an unknown one are refused with the field.
        repeated = reader.get("/api/compare", params=[("runs", first.id), ("runs", second.id)])
        assert repeated.status_code == 200 and repeated.json() == compared
        for bad in ([first.id], [first.id] * 11):
            refused = reader.get("/api/compare", params={"runs": ",".join(bad)})
            assert refused.status_code == 422 and refused.json()["field"] == "runs", refused.text
        assert reader.get("/api/compare").status_code == 422
        assert reader.get("/api/compare", params={"runs": f"{first.id},nosuchrun"}).status_code == 404


@pytest.mark.timeout(120)
def test_step_metrics_give_every_point_and_the_environment_what_the_step_ran_in(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "e").submit(prep_train(ws, write_script), pipeline_parameters={"lr": 0.5}))
    with served.client("read") as reader:
        answer = reader.get(f"/api/runs/{run.id}/steps/train/metrics")
        assert answer.status_code == 200, answer.text
        found = answer.json()
        series = {s["name"]: s for s in found["series"]}
        assert series["loss"]["steps"] == [i * 10 for i in range(50)]
        assert series["loss"]["values"] == [pytest.approx(1.0 / (1 + 0.5 * i)) for i in range(50)]
        assert len(series["loss"]["times"]) == 50 and series["loss"]["times"] == sorted(series["loss"]["times"])
        assert series["lrs"] == {"name": "lrs", "steps": [0, 1, 2], "times": None, "values": [0.5, 0.25, 0.125]}
        assert found["scalars"] == {"accuracy": 1.0}
        assert found["other"] == {"row": {"a": [1]}}

        whole = reader.get(f"/api/runs/{run.id}/metrics/series").json()
        assert whole["steps"]["train"] == found and whole["steps"]["prep"]["series"] == []

        environment = reader.get(f"/api/runs/{run.id}/steps/train/environment")
        assert environment.status_code == 200, environment.text
        described = environment.json()
        assert described["python"] and described["variables"] == {} and described["docker_image"] is None
        assert described["name"] is None and described["packages"] is None, "duto's own interpreter: no built env"
        assert reader.get(f"/api/runs/{run.id}/steps/nosuch/metrics").status_code == 404


@pytest.mark.timeout(120)
def test_compare_gives_an_image_metric_as_the_url_that_serves_it(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    folder = write_script("pictures.py", PICTURES, "i")
    pipeline = Pipeline(
        ws, [PythonScriptStep("pictures.py", name="pictures", source_directory=folder, allow_reuse=False)]
    )
    runs = [finished(Experiment(ws, "images").submit(pipeline)) for _ in range(2)]
    with served.client("read") as reader:
        answer = reader.get("/api/compare", params={"runs": ",".join(r.id for r in runs)})
        assert answer.status_code == 200, answer.text
        assert str(ws.root) not in answer.text, "where the server keeps files is not told"
        metrics = {m["name"]: m for m in answer.json()["metrics"]}
        image = metrics["pictures/confusion"]
        assert image["image"] is True and not metrics["pictures/loss"]["image"]
        for run, url in zip(runs, image["values"], strict=True):
            step_id = run.get_steps()[0].id
            assert url == f"/api/runs/{run.id}/steps/{step_id}/images/confusion"
            assert reader.get(url).content.startswith(bytes.fromhex("89504e470d0a1a0a"))
        assert metrics["pictures/per_class"]["values"][0] == {"digit": [0, 1], "f1": [0.9, 1.0]}
