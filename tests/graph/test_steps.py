"""Step definitions and the data objects they carry: what their constructors accept and refuse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from duto.errors import ConfigError
from duto.graph.compute import LocalCompute
from duto.graph.data import OutputFileDatasetConfig, PipelineData, output_name
from duto.graph.datasets import DataPath, Dataset, DatasetConsumptionConfig, FileDataset
from duto.graph.params import PipelineParameter
from duto.graph.pipeline_graph import PipelineGraph
from duto.graph.runconfig import RunConfiguration
from duto.graph.sequence import StepSequence, flatten_steps
from duto.graph.status import ACTIVE, TERMINAL, RunStatus
from duto.graph.steps import CommandStep, PythonScriptStep


@dataclass
class NamedThing:
    """Stands in for a Datastore or ComputeTarget object: definitions only read `.name`."""

    name: str


# --- PythonScriptStep -------------------------------------------------------------------------


def test_python_script_step_is_named_after_its_script_by_default() -> None:
    step = PythonScriptStep("train.py", source_directory="steps/train")
    assert (step.name, step.script_name, step.source_directory) == ("train.py", "train.py", "steps/train")
    assert step.kind == "python_script"
    assert step.allow_reuse is True
    assert step.compute_target is None


def test_python_script_step_keeps_what_it_was_given() -> None:
    lr = PipelineParameter("lr", 0.1)
    step = PythonScriptStep(
        "train.py", name="train", arguments=("--lr", lr), params={"alpha": lr}, allow_reuse=False, version=2
    )
    assert step.name == "train"
    assert step.arguments == ["--lr", lr]
    assert step.params == {"alpha": lr}
    assert step.allow_reuse is False
    assert step.version == "2"


@pytest.mark.parametrize("script", ["", "   ", None, 3])
def test_python_script_step_needs_a_script_name(script: Any) -> None:
    with pytest.raises(ConfigError, match="script_name must be a file name"):
        PythonScriptStep(script)


@pytest.mark.parametrize("name", ["", "  "])
def test_step_name_must_not_be_blank(name: str) -> None:
    with pytest.raises(ConfigError, match="step's name must be a non-empty string"):
        PythonScriptStep("a.py", name=name)


def test_compute_target_is_kept_by_name() -> None:
    assert PythonScriptStep("a.py", compute_target="cpu").target_name == "cpu"
    assert PythonScriptStep("a.py", compute_target=NamedThing("gpu")).target_name == "gpu"


def test_compute_target_must_be_a_target_or_a_name() -> None:
    with pytest.raises(ConfigError, match="compute_target must be a ComputeTarget or its name"):
        PythonScriptStep("a.py", compute_target=3)


def test_runconfig_target_applies_when_the_step_names_none() -> None:
    config = RunConfiguration(target="cpu")
    assert PythonScriptStep("a.py", runconfig=config).target_name == "cpu"
    assert PythonScriptStep("a.py", runconfig=config, compute_target="gpu").target_name == "gpu"
    assert PythonScriptStep("a.py").target_name is None


def test_runconfig_must_be_a_run_configuration() -> None:
    with pytest.raises(ConfigError, match="runconfig must be a RunConfiguration"):
        PythonScriptStep("a.py", runconfig={"target": "cpu"})  # type: ignore[arg-type]


def test_run_configuration_environment_variables_map_str_to_str() -> None:
    with pytest.raises(ConfigError, match="must map str to str"):
        RunConfiguration(environment_variables={"N": 3})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="cores must be a whole number"):
        RunConfiguration(cores=0)
    with pytest.raises(ConfigError, match="memory_gb must be a positive number"):
        RunConfiguration(memory_gb=-1)


def test_run_after_takes_a_step() -> None:
    step = PythonScriptStep("a.py")
    with pytest.raises(ConfigError, match="run_after takes a step"):
        step.run_after("b.py")  # type: ignore[arg-type]


# --- outputs a step declares ---------------------------------------------------------------------


def test_declared_outputs_are_outputs_plus_output_file_datasets_in_arguments() -> None:
    written = PipelineData("written")
    read = PipelineData("read")
    model = OutputFileDatasetConfig("model")
    step = PythonScriptStep("a.py", arguments=[read, model, model, written], outputs=[written])
    assert step.declared_outputs() == [written, model]
    assert written.producers == [step]
    assert model.producers == [step]
    assert read.producers == []


def test_output_named_in_outputs_and_arguments_is_declared_once() -> None:
    model = OutputFileDatasetConfig("model")
    step = PythonScriptStep("a.py", arguments=["--out", model], outputs=[model])
    assert step.declared_outputs() == [model]
    assert model.producers == [step]


# --- CommandStep -------------------------------------------------------------------------------


def test_command_step_with_a_string_keeps_it() -> None:
    step = CommandStep("echo hello > out.txt", source_directory="cmd")
    assert step.command == "echo hello > out.txt"
    assert step.name == "echo"
    assert step.kind == "command"
    assert step.argument_items() == []


def test_command_step_with_a_list_resolves_its_items_like_arguments() -> None:
    data = PipelineData("data")
    n = PipelineParameter("n", 3)
    step = CommandStep(("python", "run.py", data, n), name="run")
    assert step.command == ["python", "run.py", data, n]
    assert step.argument_items() == ["python", "run.py", data, n]
    assert step.arguments == []


def test_command_step_name_when_the_first_item_is_not_text() -> None:
    assert CommandStep([PipelineParameter("exe", "python"), "x.py"]).name == "command"


@pytest.mark.parametrize(("command", "message"), [("  ", "must not be empty"), ([], "must not be an empty list")])
def test_command_step_refuses_an_empty_command(command: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CommandStep(command)


# --- PipelineData and OutputFileDatasetConfig ----------------------------------------------------


@pytest.mark.parametrize("name", ["not valid", "", "1x", None])
def test_pipeline_data_name_must_be_an_identifier(name: Any) -> None:
    with pytest.raises(ConfigError, match=r"PipelineData name .* must be an identifier"):
        PipelineData(name)


def test_pipeline_data_output_mode_is_mount_or_upload() -> None:
    with pytest.raises(ConfigError, match="output_mode must be 'mount' or 'upload'"):
        PipelineData("p", output_mode="download")


def test_pipeline_data_datastore_by_name_or_object() -> None:
    assert PipelineData("p").datastore_name is None
    assert PipelineData("p", datastore="workspaceblobstore").datastore_name == "workspaceblobstore"
    assert PipelineData("p", datastore=NamedThing("other")).datastore_name == "other"
    with pytest.raises(ConfigError, match="expected a datastore or its name"):
        _ = PipelineData("p", datastore=42).datastore_name


def test_pipeline_data_consumptions() -> None:
    data = PipelineData("prepped")
    assert data.kind == "pipeline_data"
    consumed = data.as_input("x")
    assert (consumed.source, consumed.input_name, consumed.name, consumed.mode) == (data, "x", "x", "mount")
    assert (data.as_download().name, data.as_download().mode) == ("prepped", "download")
    assert (data.as_download("y").name, data.as_mount("z").mode) == ("y", "mount")
    with pytest.raises(ConfigError, match="input name 'not valid' must be an identifier"):
        data.as_input("not valid")


def test_output_file_dataset_config_gets_a_name_and_a_destination() -> None:
    unnamed = OutputFileDatasetConfig()
    assert unnamed.output_name.isidentifier()
    assert output_name(unnamed) == unnamed.output_name
    out = OutputFileDatasetConfig("model", destination=("workspaceblobstore", "models/{run-id}"))
    assert (out.kind, out.datastore_name, out.destination_path) == (
        "output_file_dataset",
        "workspaceblobstore",
        "models/{run-id}",
    )
    assert out.as_mount() is out
    assert out.as_upload(overwrite=True) is out
    assert (out.as_input().source, out.as_input().name, out.as_input().mode) == (out, "model", "mount")
    assert out.as_input("m").input_name == "m"


@pytest.mark.parametrize("destination", ["models/", ("ds",), ("ds", "a", "b")])
def test_output_file_dataset_config_destination_is_a_pair(destination: Any) -> None:
    with pytest.raises(ConfigError, match="destination must be"):
        OutputFileDatasetConfig("model", destination=destination)


def test_output_file_dataset_config_name_must_be_an_identifier() -> None:
    with pytest.raises(ConfigError, match="must be an identifier"):
        OutputFileDatasetConfig("my model")


# --- DataPath and datasets ------------------------------------------------------------------------


def test_data_path_normalises_slashes() -> None:
    path = DataPath("workspaceblobstore", "/raw/x.csv/")
    assert (path.datastore_name, path.path_on_datastore) == ("workspaceblobstore", "raw/x.csv")
    assert path == DataPath(NamedThing("workspaceblobstore"), "raw/x.csv")
    assert path.to_spec() == {"datastore": "workspaceblobstore", "path": "raw/x.csv"}


@pytest.mark.parametrize("path", ["../x", "raw/../../x", "", "/", "a/.."])
def test_data_path_stays_inside_the_datastore(path: str) -> None:
    with pytest.raises(ConfigError, match="must be a relative path inside the datastore"):
        DataPath("ds", path)


@pytest.mark.parametrize("datastore", [None, "", 3])
def test_data_path_needs_a_datastore(datastore: Any) -> None:
    with pytest.raises(ConfigError, match="expected a datastore or its name"):
        DataPath(datastore, "raw/x.csv")


def test_from_files_accepts_paths_pairs_and_lists() -> None:
    one = Dataset.File.from_files(DataPath("ds", "raw/**"))
    pair = Dataset.File.from_files(("ds", "raw/**"))
    many = Dataset.File.from_files([DataPath("ds", "a.csv"), ("ds", "b.csv")])
    assert one.paths == pair.paths == (DataPath("ds", "raw/**"),)
    assert many.paths == (DataPath("ds", "a.csv"), DataPath("ds", "b.csv"))
    assert many.to_spec() == {
        "kind": "dataset",
        "paths": [{"datastore": "ds", "path": "a.csv"}, {"datastore": "ds", "path": "b.csv"}],
    }


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([], "needs at least one path"),
        ("/nowhere/at/all/data.csv", "local path '/nowhere/at/all/data.csv' .* does not exist"),
        ("file:///nowhere/data.csv", "local path '/nowhere/data.csv' .* does not exist"),
        ("s3://bucket/data.csv", "takes a DataPath"),
        (3, "takes a DataPath"),
    ],
)
def test_from_files_refuses_what_is_not_a_path(given: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Dataset.File.from_files(given)


def test_from_files_takes_local_paths_as_absolute_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("a")
    monkeypatch.chdir(tmp_path)
    relative = Dataset.File.from_files("raw/a.csv")
    globbed = Dataset.File.from_files(tmp_path / "raw" / "*.csv")
    unchecked = Dataset.File.from_files("later/**", validate=False)
    assert relative.to_spec()["paths"] == [{"local": str(tmp_path / "raw" / "a.csv")}]
    assert globbed.to_spec()["paths"] == [{"local": str(tmp_path / "raw" / "*.csv")}]
    assert unchecked.to_spec()["paths"] == [{"local": str(tmp_path / "later" / "**")}]
    with pytest.raises(ConfigError, match="validate=False"):
        Dataset.File.from_files("later")


def test_dataset_consumption_names_and_modes() -> None:
    ds = Dataset.File.from_files(DataPath("ds", "raw/**"))
    assert isinstance(ds, FileDataset)
    named = ds.as_named_input("raw")
    assert (named.name, named.mode, named.dataset) == ("raw", "mount", ds)
    assert named.as_download().mode == "download"
    remounted = named.as_download().as_mount("mnt/x")
    assert isinstance(remounted, DatasetConsumptionConfig)
    assert (remounted.name, remounted.mode, remounted.path_on_compute) == ("raw", "mount", "mnt/x")
    assert (ds.as_download().name, ds.as_download().mode) == (ds.name, "download")
    assert ds.as_mount().mode == "mount"
    with pytest.raises(ConfigError, match="input name 'not valid' must be an identifier"):
        ds.as_named_input("not valid")


# --- StepSequence and what Pipeline(steps=...) accepts ------------------------------------------


def test_step_sequence_orders_groups() -> None:
    a, b, c, d, e = (PythonScriptStep(f"{n}.py") for n in "abcde")
    sequence = StepSequence(steps=[a, b, [c, d], e])
    assert sequence.steps == [a, b, c, d, e]
    assert sequence.ordering() == [(a, b), (b, c), (b, d), (c, e), (d, e)]
    assert a.run_after_steps == []  # the order lives in the sequence, not in the steps


@pytest.mark.parametrize("bad", [[[]], ["a.py"], [[PythonScriptStep("x.py"), "y.py"]]])
def test_step_sequence_takes_steps_and_lists_of_steps(bad: Any) -> None:
    with pytest.raises(ConfigError, match=r"write StepSequence\(steps=\[a, b, \[c, d\], e\]\)"):
        StepSequence(steps=bad)


def test_flatten_steps_accepts_steps_sequences_and_nested_lists() -> None:
    a, b, c = (PythonScriptStep(f"{n}.py") for n in "abc")
    assert flatten_steps(a) == ([a], [])
    assert flatten_steps([StepSequence([a, b]), (c,)]) == ([a, b, c], [(a, b)])
    with pytest.raises(ConfigError, match="Pipeline steps must be steps or StepSequences"):
        flatten_steps(["a.py"])


def test_a_pipeline_needs_a_step() -> None:
    with pytest.raises(ConfigError, match="needs at least one step"):
        PipelineGraph([])


# --- compute settings and statuses ------------------------------------------------------------------


def test_local_compute_provisioning_configuration() -> None:
    assert LocalCompute.provisioning_configuration(max_concurrency=2).to_config() == {
        "kind": "local",
        "max_concurrency": 2,
        "memory_gb": None,
    }
    with pytest.raises(ConfigError, match="max_concurrency must be a whole number of at least 1"):
        LocalCompute.provisioning_configuration(max_concurrency=0)


def test_run_statuses_have_the_v1_names() -> None:
    assert [s.value for s in RunStatus] == [
        "NotStarted",
        "Queued",
        "Preparing",
        "Running",
        "Finished",
        "Failed",
        "Canceled",
    ]
    assert {"Finished", "Failed", "Canceled"} == TERMINAL
    assert {"Preparing", "Running"} == ACTIVE
    assert not RunStatus.QUEUED.is_terminal
