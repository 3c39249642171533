"""Modules as v1 code uses them: create, publish versions, resolve, and run them as ModuleSteps in real runs."""

from __future__ import annotations

import json

import pytest

from conftest import run_duto
from duto.errors import ConfigError, PipelineModuleNotFoundError, PipelineValidationError
from duto.facade.content_cache import collect_garbage
from duto.facade.submission import freeze_pipeline
from duto.graph.spec import PipelineSpec
from duto.pipeline import Module, ModuleVersion, Pipeline, PipelineData, PipelineParameter
from duto.pipeline.graph import DataType, InputPortDef, OutputPortDef
from duto.pipeline.steps import ModuleStep, PythonScriptStep
from duto.runconfig import RunConfiguration

PREP = """
import argparse, os, pathlib
p = argparse.ArgumentParser(); p.add_argument("--out"); p.add_argument("--rows")
a = p.parse_args()
pathlib.Path(a.out).mkdir(parents=True, exist_ok=True)
tag = os.environ.get("AML_PARAMETER_tag")
(pathlib.Path(a.out) / "data.txt").write_text(f"{TEXT} rows={a.rows} tag={tag}")
"""

TRAIN = """
import argparse, pathlib
p = argparse.ArgumentParser(); p.add_argument("--data"); p.add_argument("--model")
a = p.parse_args()
text = (pathlib.Path(a.data) / "data.txt").read_text()
pathlib.Path(a.model).mkdir(parents=True, exist_ok=True)
(pathlib.Path(a.model) / "model.txt").write_text("model of " + text)
print("trained on", text)
"""


def spec_of(ws, run) -> PipelineSpec:  # type: ignore[no-untyped-def]
    return PipelineSpec.from_json(ws.runs_store.pipeline_run(run.id).spec)


def publish_prep(ws, write_script, text: str = "v1", **kwargs):  # type: ignore[no-untyped-def]
    folder = write_script("prep.py", PREP.replace("{TEXT}", text), folder="modules/prep")
    module = Module.get(ws, name="prep") if any(m.name == "prep" for m in Module.list(ws)) else None
    module = module or Module.create(ws, "prep", "makes data")
    out = OutputPortDef("prepped", is_directory=True, data_type=kwargs.pop("out_type", "AnyDirectory"))
    return module, module.publish_python_script(
        "prep.py",
        f"prep {text}",
        inputs=[],
        outputs=[out],
        params={"rows": 3, "tag": "none"},
        source_directory=folder,
        arguments=["--out", out, "--rows", PipelineParameter("rows", default_value=3)],
        **kwargs,
    )


def publish_train(ws, write_script, accepts=("AnyDirectory",)):  # type: ignore[no-untyped-def]
    folder = write_script("train.py", TRAIN, folder="modules/train")
    module = Module.create(ws, "train", "trains a model")
    data = InputPortDef("data", list(accepts))
    model = OutputPortDef("model", is_directory=True)
    module.publish_python_script(
        "train.py",
        "train",
        inputs=[data],
        outputs=[model],
        source_directory=folder,
        arguments=["--data", data, "--model", model],
    )
    return module


def test_versions_number_themselves_and_unchanged_content_keeps_its_version(ws, write_script):
    module, first = publish_prep(ws, write_script, "v1")
    assert (first.version, module.default_version, first.status) == ("1", "1", "Active")
    again = publish_prep(ws, write_script, "v1")[1]
    assert again.id == first.id, "publishing what version 1 holds gives version 1 back"
    second = publish_prep(ws, write_script, "v2")[1]
    named = publish_prep(ws, write_script, "v3", version="3.0-beta", is_default=True)[1]
    assert (second.version, named.version) == ("2", "3.0-beta")
    assert [v.version for v in module.module_version_list()] == ["1", "2", "3.0-beta"]
    assert [v.version for v in Module.get_versions(ws, "prep")] == ["1", "2", "3.0-beta"]
    assert Module.get(ws, name="prep").default_version == "3.0-beta"
    assert module.resolve().version == "3.0-beta" and module.resolve("2").id == second.id
    module.set_default_version("1")
    assert module.resolve().id == first.id
    assert Module.get(ws, id=module.id).name == Module.get(ws, module_id=module.id).name == "prep"
    assert ModuleVersion.get(ws, second.id).interface["params"] == {"rows": 3, "tag": "none"}
    with pytest.raises(ConfigError, match="exists already with other content"):
        publish_prep(ws, write_script, "v9", version="2")
    with pytest.raises(PipelineModuleNotFoundError, match=r"known: 1, 2, 3\.0-beta"):
        module.resolve("7")
    second.disable()
    with pytest.raises(ConfigError, match="version '2' of module 'prep' is disabled"):
        module.resolve("2")
    module.deprecate()
    assert module.status == "Deprecated" and module.resolve().version == "1"
    with pytest.raises(ConfigError, match="exists already"):
        Module.create(ws, "prep", "again")
    with pytest.raises(PipelineModuleNotFoundError, match="no module 'nope'"):
        Module.get(ws, name="nope")


@pytest.mark.timeout(180)
def test_module_steps_run_in_a_pipeline_and_are_reused_on_a_rerun(ws, write_script):
    prep_module, _ = publish_prep(ws, write_script, "v1")
    train_module = publish_train(ws, write_script)
    write_script("prep.py", PREP.replace("{TEXT}", "edited after publishing"), folder="modules/prep")
    prepped = PipelineData("prepped", is_directory=True)
    prep = ModuleStep(prep_module, outputs_map={"prepped": prepped}, params={"tag": "t1"})
    train = ModuleStep(module=train_module, inputs_map={"data": prepped})
    run = Pipeline(ws, [train]).submit("modules")
    assert run.wait_for_completion(show_output=False) == "Finished"
    log = run.find_step_run("train")[0].get_stdout_log()
    assert "trained on v1 rows=3 tag=t1" in log, "the published snapshot ran, not the edited folder"
    assert spec_of(ws, run).step("prep").module == {
        "module": "prep",
        "module_id": prep_module.id,
        "version": "1",
        "module_version_id": prep_module.resolve("1").id,
        "inputs": {},
        "outputs": {"prepped": "AnyDirectory"},
    }
    shown = run_duto("runs", "show", run.id, cwd=ws.root, workspace=ws.root)
    assert shown.returncode == 0, shown.stderr
    assert "│ prep  │ prep   │ 1       │ prepped -> AnyDirectory" in shown.stdout
    assert "│ train │ train  │ 1       │ data <- AnyDirectory, model -> AnyDirectory" in shown.stdout
    planned = freeze_pipeline(Pipeline(ws, [train]), None, snapshots="hash")
    assert planned.code["prep"] == ws.content_store.files_of(prep_module.resolve("1").snapshot), "a dry run hashes it"
    again = Pipeline(ws, [ModuleStep(module=train_module, inputs_map={"data": prep.outputs[0]})]).submit("modules")
    assert again.wait_for_completion(show_output=False) == "Finished"
    assert all(s.is_reused for s in again.get_steps())
    unused = publish_prep(ws, write_script, "never run")[1]
    collect_garbage(ws)
    assert ws.content_store.files_of(unused.snapshot) == {
        "prep.py": ws.content_store.hasher.digest(ws.root / "modules/prep/prep.py")
    }, "no run names it; its version keeps it"


def test_a_port_type_mismatch_names_both_ends(ws, write_script):
    DataType.create(ws, "CsvFile", "a CSV file", is_directory=False)
    DataType.create(ws, "ImageFolder", "a folder of images", is_directory=True)
    DataType.create(ws, "PngFolder", "a folder of PNGs", is_directory=True, parent_datatypes=["ImageFolder"])
    prep_module, _ = publish_prep(ws, write_script, "v1", out_type="PngFolder")
    csv_only = publish_train(ws, write_script, accepts=("CsvFile",))
    prep = ModuleStep(prep_module)
    with pytest.raises(PipelineValidationError) as raised:
        Pipeline(ws, [ModuleStep(csv_only, inputs_map={"data": prep.outputs[0]})])
    assert (
        "input port 'data' of step 'train' accepts CsvFile, but it is bound to output port 'prepped' of step "
        "'prep', which is of type PngFolder"
    ) in str(raised.value)
    images = Module.create(ws, "images", "reads images")
    for accepted in (["ImageFolder"], ["AnyDirectory"], ["PngFolder"]):
        port = InputPortDef("data", accepted)
        images.publish_python_script("train.py", "i", [port], [], source_directory=ws.root / "modules/train")
        Pipeline(
            ws,
            [
                ModuleStep(
                    images, version=images.module_version_list()[-1].version, inputs_map={"data": prep.outputs[0]}
                )
            ],
        )
    any_file, any_directory = DataType.get(ws, "AnyFile"), DataType.get(ws, "AnyDirectory")
    assert any_directory.accepts(DataType.get(ws, "PngFolder")) and not any_file.accepts(DataType.get(ws, "PngFolder"))
    assert any_file.accepts(DataType.get(ws, "CsvFile")) and not any_directory.accepts(DataType.get(ws, "CsvFile"))
    assert [t.name for t in DataType.list_data_types(ws)] == [
        "AnyFile",
        "AnyDirectory",
        "CsvFile",
        "ImageFolder",
        "PngFolder",
    ]


def test_module_step_binding_errors_name_the_port(ws, write_script):
    train_module = publish_train(ws, write_script)
    with pytest.raises(ConfigError, match="input port 'data' is not bound; add it to inputs_map"):
        ModuleStep(train_module)
    with pytest.raises(ConfigError, match="it has no input port 'dat'; its input ports are: data"):
        ModuleStep(train_module, inputs_map={"dat": PipelineData("x")})
    with pytest.raises(ConfigError, match=r"params \['lr'\] are not the module's"):
        ModuleStep(train_module, inputs_map={"data": PipelineData("x")}, params={"lr": 1})


def test_a_plain_script_step_feeds_a_module_unchecked(ws, write_script):
    train_module = publish_train(ws, write_script, accepts=("AnyFile",))
    data = PipelineData("data", is_directory=True)
    folder = write_script(
        "make.py",
        "import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.mkdir(parents=True, exist_ok=True); "
        "(p / 'data.txt').write_text('plain')",
        folder="make",
    )
    make = PythonScriptStep("make.py", arguments=[data], outputs=[data], source_directory=folder)
    run = Pipeline(ws, [make, ModuleStep(train_module, inputs_map={"data": data})]).submit("plain")
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert json.dumps(spec_of(ws, run).step("train").module["inputs"]) == '{"data": ["AnyFile"]}'


@pytest.mark.timeout(120)
def test_a_version_runs_with_the_runconfig_it_was_published_with_unless_the_step_gives_one(ws, write_script):
    folder = write_script("who.py", "import os; print('who', os.environ['WHO'])", folder="modules/who")
    module = Module.create(ws, "who", "says who")
    published = RunConfiguration(environment_variables={"WHO": "published"})
    module.publish_python_script("who.py", "w", [], [], source_directory=folder, runconfig=published)
    assert module.resolve().runconfig().environment_variables == {"WHO": "published"}
    own = ModuleStep(module, name="own", runconfig=RunConfiguration(environment_variables={"WHO": "the step"}))
    run = Pipeline(ws, [ModuleStep(module), own]).submit("who")
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.find_step_run("who")[0].get_stdout_log().strip() == "who published"
    assert run.find_step_run("own")[0].get_stdout_log().strip() == "who the step"
