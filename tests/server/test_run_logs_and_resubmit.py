"""A run's logs at once (`GET /api/runs/{id}/logs`) and a run submitted again (`POST /api/runs/{id}/resubmit`),
over real HTTP against runs submitted with the SDK to the served workspace."""

from __future__ import annotations

from typing import Any

import pytest

from duto import Experiment
from duto.facade.runs import PipelineRun
from duto.pipeline import Pipeline, PipelineParameter
from duto.pipeline.steps import PythonScriptStep
from duto.server.operations import runs

SAY = """
import sys
for i in range(200):
    print(f"line {i:03d} of {sys.argv[1]}")
print("done: café ✓ " + sys.argv[2])
"""


def two_steps(ws, write_script) -> Pipeline:  # type: ignore[no-untyped-def]
    greeting = PipelineParameter("greeting", default_value="hello")
    count = PipelineParameter("count", default_value=3)
    folder = write_script("say.py", SAY, "say")
    first = PythonScriptStep("say.py", name="first", source_directory=folder, arguments=["first", greeting])
    second = PythonScriptStep("say.py", name="second", source_directory=folder, arguments=["second", count])
    return Pipeline(ws, [first, second])


def finished(run: PipelineRun) -> PipelineRun:
    assert run.wait_for_completion(show_output=False) == "Finished", [s.reason for s in run.steps_in_order()]
    return run


@pytest.mark.timeout(120)
def test_every_steps_log_comes_in_one_answer_with_offsets_to_follow_it(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "logs").submit(two_steps(ws, write_script)))
    with served.client("read") as reader:
        whole = reader.get(f"/api/runs/{run.id}/logs", params={"tail": 1024 * 1024})
        assert whole.status_code == 200, whole.text
        logs = whole.json()
        assert logs["id"] == run.id and logs["status"] == "Finished"
        assert [s["name"] for s in logs["steps"]] == ["first", "second"]
        first, second = logs["steps"]
        expected, size = run.step_run("first").read_log()
        assert first["text"] == expected.decode() and first["offset"] == 0
        assert first["next_offset"] == first["size"] == size
        assert "done: café ✓ hello" in first["text"] and "line 000 of second" in second["text"]

        tail = reader.get(f"/api/runs/{run.id}/logs", params={"tail": 100}).json()["steps"][0]
        assert tail["text"] == expected.decode()[tail["offset"] :], "the tail is the log's end"
        assert 0 < len(tail["text"].encode()) <= 100 and tail["next_offset"] == size
        assert expected[tail["offset"] - 1 : tail["offset"]] == b"\n", "and starts at a line"

        # Asked from an offset: what comes after it; from the end, nothing; a character is never cut in two.
        cafe = expected.index("é".encode())
        asked = [f"{first['id']}:{cafe - 3}", f"{second['id']}:{second['size']}"]
        after = reader.get(f"/api/runs/{run.id}/logs", params={"from": asked}).json()["steps"]
        assert after[0]["offset"] == cafe - 3 and after[0]["text"] == expected[cafe - 3 :].decode()
        assert after[1]["text"] == "" and after[1]["next_offset"] == second["size"]
        cut = reader.get(
            f"/api/runs/{run.id}/logs", params={"from": f"{first['id']}:{cafe}", "length": 1, "tail": 0}
        ).json()["steps"]
        assert cut[0]["text"] == "" and cut[0]["next_offset"] == cafe, "half of 'é' waits for its other half"
        assert cut[1]["text"] == "" and cut[1]["offset"] == cut[1]["size"], "tail 0: nothing of the other step"

        # An answer's budget: the first step's bytes fill it, the second's wait, with where to ask from.
        capped = runs.run_logs(ws, run.id, [], 1024 * 1024, 1024 * 1024, 100).steps
        assert capped[0].text == expected.decode()[:100] and capped[0].next_offset == 100
        assert capped[1].text == "" and capped[1].next_offset == capped[1].offset == 0 < capped[1].size

        for bad in ("nocolon", f"{first['id']}:-1", f"{first['id']}:x", ":12"):
            answer = reader.get(f"/api/runs/{run.id}/logs", params={"from": bad})
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["field"] == "from" and "STEP_RUN_ID:OFFSET" in answer.json()["detail"]
        assert reader.get(f"/api/runs/{run.id}/logs", params={"tail": -1}).status_code == 422
        assert reader.get("/api/runs/nosuchrun/logs").status_code == 404


@pytest.mark.timeout(180)
def test_a_run_is_submitted_again_with_its_values_or_changed_ones(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "again").submit(two_steps(ws, write_script), pipeline_parameters={"count": 5}))
    with served.client("submit") as submitter:
        same = submitter.post(f"/api/runs/{run.id[:12]}/resubmit")
        assert same.status_code == 201, same.text
        answer: dict[str, Any] = same.json()
        assert answer["resubmitted_from"] == run.id and answer["experiment"] == "again"
        assert answer["parameters"] == {"greeting": "hello", "count": 5} and answer["id"] != run.id
        repeat = finished(ws.get_run(answer["id"]))
        assert repeat.get_tags() == {"resubmitted_from": run.id}
        assert all(s.is_reused for s in repeat.steps_in_order()), "nothing changed, so every step is reused"

        changed = submitter.post(f"/api/runs/{run.id}/resubmit", json={"ParameterAssignments": {"count": "7"}})
        assert changed.status_code == 201, changed.text
        assert changed.json()["parameters"] == {"greeting": "hello", "count": 7}, "text stands for a number"
        edited = finished(ws.get_run(changed.json()["id"]))
        assert [s.is_reused for s in edited.steps_in_order()] == [True, False], "only the step given count re-ran"
        assert "done: café ✓ 7" in edited.step_run("second").read_log()[0].decode()

        for body, field in (
            ({"ParameterAssignments": {"nope": 1}}, "ParameterAssignments.nope"),
            ({"ParameterAssignments": {"count": "many"}}, "ParameterAssignments.count"),
            ({"DataPathAssignments": {"greeting": {"DataStoreName": "x", "RelativePath": "y"}}}, "DataPathAssignments"),
            ({"ParameterAssignments": ["count"]}, "ParameterAssignments"),
        ):
            refused = submitter.post(f"/api/runs/{run.id}/resubmit", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["field"].startswith(field), (body, refused.json())
        assert submitter.post("/api/runs/nosuchrun/resubmit").status_code == 404
    with served.client("read") as reader:
        assert reader.post(f"/api/runs/{run.id}/resubmit").status_code == 403
    assert len(list(Experiment(ws, "again").get_runs())) == 3, "the refused re-submits started nothing"
