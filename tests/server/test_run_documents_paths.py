"""No run route tells where the server keeps files: every JSON (and event) answer under `/api/runs/{id}` for a run
whose step logged an image, a table and a metric and wrote an output is read over real HTTP, and none holds the
workspace's folder or any absolute path. The routes are read from the live OpenAPI document, so a route added
later is checked without editing this test."""

from __future__ import annotations

import re

import pytest

from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from server.test_runs_routes import finished

PICTURES = """
import os, sys
from duto import Run
png = bytes.fromhex("89504e470d0a1a0a") + b"a tiny stand-in for a picture"
open("plot.png", "wb").write(png)
context = Run.get_context()
context.log_image("confusion", path="plot.png")
context.log_table("per_class", {"digit": [0, 1], "f1": [0.9, 1.0]})
context.log("accuracy", 0.9)
context.parent.log_image("overview", path="plot.png")
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "model.txt"), "w").write("weights")
print("pictures drawn")
"""
# A quoted absolute POSIX path, as JSON would carry one ("/x/y..."), other than a URL of the API's own.
ABSOLUTE = re.compile(r'"/(?!api/)[^"/\s]+/[^"]*"')
# Routes whose answer is a file's own bytes, not a document about the run.
FILE_ROUTES = ("/images/{name}", "/files/{path}", "/log")


def leaks(text: str, roots: list[str]) -> list[str]:
    """The server folders, and quoted absolute paths, that `text` holds."""
    found = [root for root in roots if root in text]
    return found + ABSOLUTE.findall(text)


@pytest.mark.timeout(120)
def test_no_run_route_answers_with_a_server_path(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    model = PipelineData("model")
    step = PythonScriptStep(
        "pictures.py", name="pictures", source_directory=write_script("pictures.py", PICTURES, "i"),
        arguments=[model], outputs=[model],
    )  # fmt: skip
    run = finished(Experiment(ws, "paths").submit(Pipeline(ws, [step])))
    step_id = run.step_run("pictures").id
    roots = sorted({str(ws.root), str(ws.root.resolve()), str(ws.config.runs_dir.resolve())})
    fill = {"{run_id}": run.id, "{step}": step_id, "{name}": "model"}
    with served.client("read") as reader:
        document = reader.get("/api/openapi.json").json()
        paths = [p for p, item in document["paths"].items() if p.startswith("/api/runs/{run_id}") and "get" in item]
        checked = []
        for template in paths:
            if template.endswith(FILE_ROUTES):
                continue
            path = template
            for placeholder, value in fill.items():
                path = path.replace(placeholder, value)
            answer = reader.get(path)
            assert answer.status_code == 200, (template, answer.text)
            assert not leaks(answer.text, roots), (template, leaks(answer.text, roots), answer.text[:2000])
            checked.append(template)
        assert {
            "/api/runs/{run_id}",
            "/api/runs/{run_id}/graph",
            "/api/runs/{run_id}/metrics",
            "/api/runs/{run_id}/metrics/series",
            "/api/runs/{run_id}/steps/{step}",
            "/api/runs/{run_id}/steps/{step}/metrics",
            "/api/runs/{run_id}/steps/{step}/outputs",
            "/api/runs/{run_id}/events",
        } <= set(checked)

        metrics = reader.get(f"/api/runs/{run.id}/metrics").json()
        image = f"/api/runs/{run.id}/steps/{step_id}/images/confusion"
        logged = metrics["steps"][step_id]
        assert logged["confusion"] == image, "an image is its URL on the server"
        assert logged["accuracy"] == 0.9 and logged["per_class"] == {"digit": [0, 1], "f1": [0.9, 1.0]}
        assert metrics["run"] == {"overview": "plot.png"}, "no route serves the run's own: its file's name alone"
        events = reader.get(f"/api/runs/{run.id}/events").text
        assert "event: log" in events and f'"value": "{image}"' in events, events[:3000]
        served_image = reader.get(image)
        assert served_image.status_code == 200 and served_image.content.startswith(bytes.fromhex("89504e47"))
