"""Modules over real HTTP: the list, one module with its versions' typed ports and params, and the module a step
run came from."""

from __future__ import annotations

import pytest

from duto.pipeline import Module, Pipeline
from duto.pipeline.graph import DataType, InputPortDef, OutputPortDef
from duto.pipeline.steps import ModuleStep, PythonScriptStep


@pytest.mark.timeout(120)
def test_modules_list_and_show_their_versions_with_ports(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    DataType.create(ws, "CsvFile", "a CSV file", is_directory=False)
    folder = write_script("train.py", "print('train')", folder="modules/train")
    module = Module.create(ws, "train", "trains a model")
    data, model = InputPortDef("data", ["CsvFile", "AnyDirectory"]), OutputPortDef("model", is_directory=True)
    first = module.publish_python_script(
        "train.py", "first", [data], [model], params={"lr": 0.1}, source_directory=folder
    )
    write_script("train.py", "print('train v2')", folder="modules/train")
    module.publish_python_script("train.py", "second", [data], [model], params={"lr": 0.2}, source_directory=folder)
    with served.client("read") as reader:
        listed = reader.get("/api/modules")
        assert listed.status_code == 200, listed.text
        [info] = listed.json()
        assert (info["name"], info["default_version"], info["versions"]) == ("train", "1", 2)
        shown = reader.get("/api/modules/train")
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert [v["version"] for v in body["version_list"]] == ["1", "2"]
        version = body["version_list"][0]
        assert version["id"] == first.id and version["snapshot"] == first.snapshot
        assert version["inputs"] == [{"name": "data", "data_types": ["CsvFile", "AnyDirectory"], "is_optional": False}]
        assert version["outputs"] == [{"name": "model", "data_type": "AnyDirectory", "is_directory": True}]
        assert version["params"] == {"lr": 0.1} and body["version_list"][1]["params"] == {"lr": 0.2}
        missing = reader.get("/api/modules/nope")
        assert missing.status_code == 404 and "no module 'nope'" in missing.json()["detail"]
    with served.client(None) as anonymous:
        assert anonymous.get("/api/modules").status_code == 401


@pytest.mark.timeout(120)
def test_a_steps_document_names_the_module_version_it_came_from(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    folder = write_script("say.py", "print('said')", folder="modules/say")
    module = Module.create(ws, "say", "says")
    version = module.publish_python_script("say.py", "first", [], [], source_directory=folder)
    plain = PythonScriptStep("say.py", name="plain", source_directory=folder)
    run = Pipeline(ws, [ModuleStep(module), plain]).submit("modules")
    assert run.wait_for_completion(show_output=False) == "Finished"
    with served.client("read") as reader:
        made = reader.get(f"/api/runs/{run.id}/steps/say").json()
        assert made["module"] == {
            "module": "say",
            "module_id": module.id,
            "version": "1",
            "module_version_id": version.id,
            "inputs": {},
            "outputs": {},
        }
        assert reader.get(f"/api/runs/{run.id}/steps/plain").json()["module"] is None
