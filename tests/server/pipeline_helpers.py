"""A published pipeline that says which version of its code ran, its `lr` and the files of its input folder."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from duto import DataPath
from duto.graph.data_reference import DataPathComputeBinding
from duto.pipeline import Pipeline, PipelineParameter
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
