"""A published pipeline that says which version of its code ran, its `lr` and the files of its input folder."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from duto import DataPath
from duto.graph.data_reference import DataPathComputeBinding
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

SAY = """
import json, os, sys
files = sorted(os.listdir(sys.argv[2])) if len(sys.argv) > 2 else []
print(json.dumps({{"code": "{version}", "lr": sys.argv[1], "files": files}}))
"""


def write_say(write_script, version: str) -> str:  # type: ignore[no-untyped-def]
    return str(write_script("say.py", SAY.format(version=version)))


def say_pipeline(ws, write_script, version: str = "v1", with_data: bool = False) -> Pipeline:  # type: ignore[no-untyped-def]
    lr = PipelineParameter("lr", default_value=0.5)
    arguments: list[object] = [lr]
    inputs: list[object] = []
    if with_data:
        ds = ws.get_default_datastore()
        for rel in ("one/a.csv", "two/b.csv"):
            path = Path(ds.root) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rel)
        bound = (PipelineParameter("data", default_value=DataPath(ds, "one")), DataPathComputeBinding(mode="mount"))
        arguments.append(bound)
        inputs.append(bound)
    step = PythonScriptStep(
        "say.py", source_directory=write_say(write_script, version), arguments=arguments, inputs=inputs
    )
    return Pipeline(ws, [step], description="says its version")


def said(ws, run_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the run of `run_id` said, once it has finished."""
    run = ws.get_run(run_id)
    assert run.wait_for_completion(show_output=False) == "Finished"
    return json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_count(ws) -> int:  # type: ignore[no-untyped-def]
    return len(ws.runs_store.pipeline_runs(archived=True))


def path_of(url: str) -> str:
    """The path of an `endpoint` URL, to call it on the test's server (whose port is its own)."""
    return urlsplit(url).path


# A pipeline whose second step depends on the first's output and on `lr`, and logs a series, a scalar, a list
# and a row: runs with two values of `lr` differ in that step's parameters only.
PREP = """
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "rows.csv"), "w").write("a,b\\n1,2\\n3,4\\n")
os.makedirs(os.path.join(sys.argv[1], "meta"), exist_ok=True)
open(os.path.join(sys.argv[1], "meta", "config.json"), "w").write('{"seed": 3, "layers": [64, 32]}')
"""
TRAIN = """
import sys
from duto import Run
run = Run.get_context()
lr = float(sys.argv[1])
for i in range(50):
    run.log("loss", 1.0 / (1 + lr * i), step=i * 10)
run.log("accuracy", 0.5 + lr)
run.log_list("lrs", [lr, lr / 2, lr / 4])
run.log_row("row", a=1)
"""


def prep_train(ws, write_script) -> Pipeline:  # type: ignore[no-untyped-def]
    prepped = PipelineData("prepped")
    lr = PipelineParameter("lr", default_value=0.1)
    prep = PythonScriptStep(
        "prep.py", name="prep", source_directory=write_script("prep.py", PREP, "p"), arguments=[prepped],
        outputs=[prepped],
    )  # fmt: skip
    train = PythonScriptStep(
        "train.py", name="train", source_directory=write_script("train.py", TRAIN, "t"), arguments=[lr, prepped],
        inputs=[prepped],
    )  # fmt: skip
    return Pipeline(ws, [prep, train])
