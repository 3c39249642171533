"""Pipelines in v1's YAML shape: `Pipeline.load_yaml` and `duto run pipeline.yml`, end to end, and their errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import run_duto
from duto.errors import UserFileError
from duto.graph.spec import PipelineSpec
from duto.pipeline import Module, Pipeline
from duto.pipeline.graph import InputPortDef

PREP = """
import argparse, os, pathlib
p = argparse.ArgumentParser(); p.add_argument("--raw"); p.add_argument("--out"); p.add_argument("--times")
a = p.parse_args()
pathlib.Path(a.out).mkdir(parents=True, exist_ok=True)
text = pathlib.Path(a.raw).read_text().strip() * int(a.times)
(pathlib.Path(a.out) / "data.txt").write_text(text + " " + os.environ["AML_PARAMETER_mode"])
"""
SCORE = """
import argparse, pathlib
p = argparse.ArgumentParser(); p.add_argument("--data")
print("scored", (pathlib.Path(p.parse_args().data) / "data.txt").read_text())
"""

PIPELINE = """
pipeline:
  name: from-yaml
  parameters:
    Times:
      type: int
      default: 2
  data_references:
    raw_data:
      datastore: workspaceblobstore
      path_on_datastore: raw/data.txt
    copied:
      datastore: workspaceblobstore
      path_on_datastore: copies/prepped
  default_compute: local
  steps:
    PrepStep:
      type: PythonScriptStep
      name: prep
      script_name: prep.py
      source_directory: steps/prep
      allow_reuse: true
      arguments: [--raw, "input:raw", --out, "output:prepped", --times, "parameter:TIMES"]
      parameters:
        TIMES:
          source: Times
        mode: fast
      inputs:
        raw:
          source: raw_data
          bind_mode: download
      outputs:
        prepped:
          destination: prepped_data
          datastore: workspaceblobstore
          bind_mode: mount
    CopyStep:
      type: DataTransferStep
      name: copy
      source_data_reference:
        prepped_data:
          source: prepped_data
      destination_data_reference:
        copied:
          source: copied
    ScoreStep:
      type: ModuleStep
      name: score
      module:
        name: scorer
      arguments: [--data, "input:data"]
      inputs:
        data:
          source: prepped_data
"""


@pytest.fixture
def project(ws, write_script):  # type: ignore[no-untyped-def]
    """A YAML pipeline beside its step folder, a raw file on the default datastore, and a published module."""
    write_script("prep.py", PREP, folder="project/steps/prep")
    folder = write_script("score.py", SCORE, folder="modules/score")
    data = InputPortDef("data", ["AnyDirectory"])
    Module.create(ws, "scorer", "scores").publish_python_script("score.py", "s", [data], [], source_directory=folder)
    raw = ws.get_default_datastore().root / "raw" / "data.txt"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text("ab")
    path = ws.root / "project" / "pipeline.yml"
    path.write_text(PIPELINE)
    return path


@pytest.mark.timeout(120)
def test_a_yaml_pipeline_loads_and_runs(ws, project):
    pipeline = Pipeline.load_yaml(ws, project)
    assert [s.name for s in pipeline.steps] == ["prep", "copy", "score"]
    run = pipeline.submit("yaml", pipeline_parameters={"Times": 3})
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.find_step_run("score")[0].get_stdout_log().strip() == "scored ababab fast"
    spec = PipelineSpec.from_json(ws.runs_store.pipeline_run(run.id).spec)
    assert spec.description == "from-yaml" and spec.step("score").module["module"] == "scorer"
    copied = ws.get_default_datastore().root / "copies" / "prepped" / "data.txt"
    assert copied.read_text() == "ababab fast", "the transfer copied prep's output to the data reference"


@pytest.mark.timeout(180)
def test_duto_run_submits_a_yaml_file(ws, project):
    done = run_duto("run", "pipeline.yml", "-p", "Times=1", cwd=project.parent, workspace=ws.root, timeout=150)
    assert done.returncode == 0, done.stderr
    assert "experiment 'pipeline'" in done.stdout and "[score] scored ab fast" in done.stdout
    again = run_duto("run", "pipeline.yml", "-p", "Times=1", cwd=project.parent, workspace=ws.root, timeout=150)
    assert again.returncode == 0, again.stderr
    assert "Reused" in again.stdout + again.stderr


def write(tmp: Path, text: str) -> Path:
    path = tmp / "bad.yml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pipeline: [1]\n", "bad.yml: pipeline: expected a mapping"),
        ("steps: {}\n", "bad.yml: the document: expected one key, 'pipeline', not ['steps']"),
        (
            "pipeline: {steps: {a: {type: HyperDriveStep}}}\n",
            "bad.yml: pipeline.steps.a.type: expected one of PythonScriptStep, CommandStep, ModuleStep, "
            "DataTransferStep, not 'HyperDriveStep'",
        ),
        (
            "pipeline: {parameters: {p: {type: int, default: x}}, steps: {a: {type: CommandStep, command: ls}}}\n",
            "bad.yml: pipeline.parameters.p.default: expected a value of type int, not 'x'",
        ),
        (
            "pipeline: {steps: {a: {type: PythonScriptStep, script_name: a.py, inputs: {i: {source: nope}}}}}\n",
            "bad.yml: pipeline.steps.a.inputs.i.source: 'nope' names nothing; expected a data reference or a "
            "step's output",
        ),
        (
            "pipeline: {steps: {a: {type: PythonScriptStep, script_name: a.py, arguments: ['input:x']}}}\n",
            "bad.yml: pipeline.steps.a.arguments[0]: 'input:x' names no input of this step; its inputs: none",
        ),
        (
            "pipeline: {data_references: {d: {datastore: nope, path_on_datastore: x}}, steps: {}}\n",
            "bad.yml: pipeline.data_references.d.datastore: no datastore 'nope' in this workspace",
        ),
        (
            "pipeline: {steps: {a: {type: ModuleStep, module: {name: nope}}}}\n",
            "bad.yml: pipeline.steps.a.module.name: no module 'nope' in this workspace",
        ),
        (
            "pipeline: {steps: {a: {type: PythonScriptStep}}}\n",
            "bad.yml: pipeline.steps.a.script_name: expected a non-empty string, not None",
        ),
        (
            "pipeline:\n  steps: {a: {type: PythonScriptStep, script_name: a.py, runconfig: x.yml}}\n",
            "bad.yml: pipeline.steps.a.runconfig: runconfig files are not read",
        ),
        ("pipeline: {stepz: {}}\n", "bad.yml: pipeline.stepz: unknown key"),
        (
            "pipeline:\n  data_references: {r: {datastore: workspaceblobstore, path_on_datastore: a}}\n"
            "  steps: {t: {type: DataTransferStep, source_data_reference: r, destination_data_reference: {x: {}}}}\n",
            "bad.yml: pipeline.steps.t.destination_data_reference: 'x' names no data reference nor output of this "
            "step; expected one of: r",
        ),
        (
            "pipeline: {steps: {a: {type: CommandStep, command: ls, environment: nope}}}\n",
            "bad.yml: pipeline.steps.a.environment: ",
        ),
        ("pipeline: {steps: {a: b: c}}\n", "bad.yml: is not valid YAML"),
    ],
)
def test_yaml_errors_name_the_file_the_key_and_what_is_expected(ws, text, expected):
    with pytest.raises(UserFileError) as raised:
        Pipeline.load_yaml(ws, write(ws.root, text))
    assert expected in str(raised.value)
