"""`GET /api/runs/{id}/graph` over real HTTP: a run's steps and the data between them, from a pipeline run with
the SDK (PipelineData between steps, two steps of one name, an order-only dependency), and a re-run whose steps
are reused."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep
from server.test_runs_routes import finished


def split_train_report(ws) -> Pipeline:  # type: ignore[no-untyped-def]
    train_rows, test_rows, model = PipelineData("train_rows"), PipelineData("test_rows"), PipelineData("model")
    split = CommandStep(
        'echo a > "$DUTO_OUTPUT_train_rows"; echo b > "$DUTO_OUTPUT_test_rows"',
        name="split", outputs=[train_rows, test_rows],
    )  # fmt: skip
    train = CommandStep(
        'cat "$DUTO_INPUT_train_rows" "$DUTO_INPUT_test_rows" > "$DUTO_OUTPUT_model"',
        name="train", inputs=[train_rows, test_rows], outputs=[model],
    )  # fmt: skip
    score = CommandStep('cat "$DUTO_INPUT_model"', name="report", inputs=[model])
    notify = CommandStep("echo done", name="report")  # the second step named "report": key report#2
    notify.run_after(score)
    return Pipeline(ws, [split, train, score, notify])


@pytest.mark.timeout(120)
def test_the_graph_of_a_run_names_its_steps_and_the_data_between_them(served, ws) -> None:  # type: ignore[no-untyped-def]
    first = finished(Experiment(ws, "g").submit(split_train_report(ws)))
    again = finished(Experiment(ws, "g").submit(split_train_report(ws)))
    with served.client("read") as reader:
        answer = reader.get(f"/api/runs/{first.id[:12]}/graph")
        assert answer.status_code == 200, answer.text
        graph = answer.json()
        steps = {s.key: s for s in first.steps_in_order()}
        assert graph["id"] == first.id and graph["status"] == "Finished"
        assert graph["nodes"] == [
            {"key": key, "name": step.name, "id": step.id, "status": "Finished", "is_reused": False}
            for key, step in steps.items()
        ]
        assert [n["key"] for n in graph["nodes"]] == ["split", "train", "report", "report#2"]
        assert graph["edges"] == [
            {"source": "split", "target": "train", "data": ["train_rows", "test_rows"]},
            {"source": "train", "target": "report", "data": ["model"]},
            {"source": "report", "target": "report#2", "data": []},
        ]

        reused = reader.get(f"/api/runs/{again.id}/graph").json()
        assert [n["is_reused"] for n in reused["nodes"]] == [True, True, True, True]
        assert [n["id"] for n in reused["nodes"]] == [s.id for s in again.steps_in_order()]
        assert reused["edges"] == graph["edges"]

        shown = reader.get(f"/api/runs/{again.id}").json()
        assert [s["key"] for s in shown["steps"]] == ["split", "train", "report", "report#2"]
        assert [s["reused_from"]["step_run_id"] for s in shown["steps"]] == [n["id"] for n in graph["nodes"]]

        assert reader.get("/api/runs/nosuchrun/graph").status_code == 404
    with served.client(None) as stranger:
        assert stranger.get(f"/api/runs/{first.id}/graph").status_code == 401
