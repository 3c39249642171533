"""The pipeline spec: a versioned JSON document that survives a round trip and refuses what it cannot read."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from duto.errors import ConfigError
from duto.graph.data import OutputFileDatasetConfig, PipelineData
from duto.graph.data_transfer import DataTransferStep
from duto.graph.datasets import DataPath, Dataset
from duto.graph.parallel_run import ParallelRunConfig, ParallelRunStep
from duto.graph.params import PipelineParameter
from duto.graph.pipeline_graph import PipelineGraph
from duto.graph.runconfig import MpiConfiguration, RunConfiguration
from duto.graph.spec import SCHEMA_VERSION, SPEC_KIND, EdgeSpec, InputSpec, OutputSpec, PipelineSpec, StepSpec
from duto.graph.steps import CommandStep, PythonScriptStep


def full_spec() -> PipelineSpec:
    """A spec using every kind of port, argument and setting."""
    ds = Dataset.File.from_files([DataPath("workspaceblobstore", "raw/**"), ("other", "extra.csv")])
    prepped = PipelineData("prepped", datastore="workspaceblobstore", is_directory=True)
    model = OutputFileDatasetConfig("model", destination=("workspaceblobstore", "models/{run-id}"))
    lr = PipelineParameter("lr", 0.01)
    flag = PipelineParameter("flag", True)
    prep = PythonScriptStep(
        "prep.py",
        arguments=["--in", ds.as_named_input("raw").as_download(), "--out", prepped],
        inputs=[ds],
        outputs=[prepped],
        runconfig=RunConfiguration(environment_variables={"SEED": "1"}),
    )
    train = PythonScriptStep(
        "train.py",
        arguments=["--data", prepped, "--lr", lr, "--model", model, "--n", 3],
        params={"alpha": lr, "flag": flag},
        compute_target="cpu",
        allow_reuse=False,
        version="2",
        runconfig=RunConfiguration(mpi=MpiConfiguration(process_count_per_node=2, node_count=2)),
    )
    register = CommandStep(["python", "register.py", model.as_input()], name="register")
    report = CommandStep("echo done", name="report")
    report.run_after(register)
    graph = PipelineGraph([report], description="everything")
    assert prep in graph.steps
    assert train in graph.steps
    assert graph.validate() == []
    return graph.to_spec({"prep.py": ("/snap/prep", "s1"), "train.py": ("/snap/train", "s2")})


def test_round_trip_gives_an_equal_spec() -> None:
    spec = full_spec()
    assert PipelineSpec.from_json(spec.to_json()) == spec


def test_json_round_trip_through_text() -> None:
    spec = full_spec()
    text = json.dumps(spec.to_json(), sort_keys=True)
    again = PipelineSpec.from_json(json.loads(text))
    assert again == spec
    assert json.dumps(again.to_json(), sort_keys=True) == text


def test_spec_document_shape() -> None:
    data = full_spec().to_json()
    assert (data["kind"], data["schema_version"]) == (SPEC_KIND, SCHEMA_VERSION) == ("duto.pipeline", 9)
    assert set(data) == {"kind", "schema_version", "steps", "edges", "parameters", "description"}
    assert data["parameters"] == {"flag": True, "lr": 0.01}
    assert [s["name"] for s in data["steps"]] == ["prep.py", "train.py", "register", "report"]
    assert [s["key"] for s in data["steps"]] == ["prep.py", "train.py", "register", "report"]
    assert [s["processes"] for s in data["steps"]] == [1, 4, 1, 1], "MPI's processes per node times nodes"
    assert data["edges"] == [
        {"source": "prep.py", "target": "train.py", "output": "prepped", "input": "prepped"},
        {"source": "train.py", "target": "register", "output": "model", "input": "model"},
        {"source": "register", "target": "report", "output": None, "input": None},
    ]
    train = data["steps"][1]
    assert train["params"] == {"alpha": {"parameter": "lr"}, "flag": {"parameter": "flag"}}
    assert train["outputs"] == [
        {
            "name": "model",
            "kind": "output_file_dataset",
            "datastore": "workspaceblobstore",
            "destination": "models/{run-id}",
            "is_directory": None,
            "pipeline_output_name": None,
            "training_output": None,
            "register_as": None,
        }
    ]
    assert data["steps"][0]["inputs"][0]["source"]["paths"] == [
        {"datastore": "workspaceblobstore", "path": "raw/**"},
        {"datastore": "other", "path": "extra.csv"},
    ]


def test_spec_lookups() -> None:
    spec = full_spec()
    prep = spec.step("prep.py")
    assert prep.input("raw") == InputSpec(
        "raw",
        "download",
        {
            "kind": "dataset",
            "paths": [
                {"datastore": "workspaceblobstore", "path": "raw/**"},
                {"datastore": "other", "path": "extra.csv"},
            ],
        },
    )
    assert prep.output("prepped") == OutputSpec(
        "prepped", "pipeline_data", datastore="workspaceblobstore", is_directory=True
    )
    with pytest.raises(StopIteration):
        spec.step("missing")


@pytest.mark.parametrize("kind", [None, "duto.step", "azureml.pipeline"])
def test_wrong_kind_is_refused(kind: Any) -> None:
    data = full_spec().to_json()
    data["kind"] = kind
    with pytest.raises(ConfigError, match=rf"not a duto pipeline spec \(kind is {kind!r}, expected 'duto.pipeline'\)"):
        PipelineSpec.from_json(data)


def test_missing_kind_is_refused() -> None:
    data = full_spec().to_json()
    del data["kind"]
    with pytest.raises(ConfigError, match="not a duto pipeline spec"):
        PipelineSpec.from_json(data)


@pytest.mark.parametrize("version", [0, 10, None, "1"])
def test_unreadable_schema_version_is_refused(version: Any) -> None:
    data = full_spec().to_json()
    data["schema_version"] = version
    with pytest.raises(ConfigError, match=rf"schema_version {version!r} is not readable .* upgrade duto"):
        PipelineSpec.from_json(data)


def test_a_version_1_spec_reads_with_no_retries_and_no_timeout() -> None:
    data = full_spec().to_json()
    data["schema_version"] = 1
    for step in data["steps"]:
        for name in ("max_retries", "retry_backoff_seconds", "timeout_seconds"):
            del step[name]
    steps = PipelineSpec.from_json(data).steps
    assert {(s.max_retries, s.retry_backoff_seconds, s.timeout_seconds) for s in steps} == {(0, 1.0, None)}


def test_a_version_2_spec_reads_with_no_pipeline_outputs() -> None:
    data = full_spec().to_json()
    data["schema_version"] = 2
    for step in data["steps"]:
        for output in step["outputs"]:
            del output["pipeline_output_name"], output["training_output"]
    outputs = [o for s in PipelineSpec.from_json(data).steps for o in s.outputs]
    assert outputs and {(o.pipeline_output_name, o.training_output) for o in outputs} == {(None, None)}


def test_a_version_3_spec_reads_with_each_steps_name_as_its_key() -> None:
    data = full_spec().to_json()
    data["schema_version"] = 3
    for step in data["steps"]:
        del step["key"]
    spec = PipelineSpec.from_json(data)
    assert [s.key for s in spec.steps] == [s.name for s in spec.steps] == ["prep.py", "train.py", "register", "report"]
    assert spec.step("register").name == "register"


def test_a_version_6_spec_reads_with_no_transfer_options() -> None:
    data = full_spec().to_json()
    data["schema_version"] = 6
    for step in data["steps"]:
        del step["transfer"]
    assert {s.transfer for s in PipelineSpec.from_json(data).steps} == {None}


def test_a_data_transfer_is_a_step_of_its_own_kind_with_no_code_and_no_environment() -> None:
    raw = DataPath("lake", "raw/**")
    landed = PipelineData("landed", datastore="local_copy")
    copy_step = DataTransferStep("copy", raw, landed, destination_reference_type="directory")
    spec = PipelineGraph([copy_step]).to_spec({}, default_environment={"name": "workspace-default"})
    step = spec.step("copy")
    assert (step.kind, step.kind_version, step.environment, step.snapshot) == ("data_transfer", 1, None, None)
    assert step.transfer == {"source_reference_type": None, "destination_reference_type": "directory"}
    assert step.inputs == [InputSpec("source", "mount", {"kind": "dataset", "paths": [raw.to_spec()]})]
    assert [(o.name, o.kind, o.datastore) for o in step.outputs] == [("landed", "pipeline_data", "local_copy")]
    assert PipelineSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_a_version_7_spec_reads_with_no_parallel_run_options() -> None:
    data = full_spec().to_json()
    data["schema_version"] = 7
    for step in data["steps"]:
        del step["parallel_run"]
    assert {s.parallel_run for s in PipelineSpec.from_json(data).steps} == {None}


def test_a_parallel_run_step_keeps_its_config_its_scored_input_and_its_side_inputs() -> None:
    images = Dataset.File.from_files(DataPath("workspaceblobstore", "images"), validate=False)
    model = Dataset.File.from_files(DataPath("workspaceblobstore", "model.pkl"), validate=False)
    scores = PipelineData("scores")
    config = ParallelRunConfig(entry_script="score.py", error_threshold=5, mini_batch_size="4", node_count=2)
    step = ParallelRunStep(
        "score",
        config,
        inputs=[images.as_named_input("images")],
        output=scores,
        side_inputs=[model.as_named_input("model").as_download()],
        arguments=["--model", model.as_named_input("model").as_download()],
    )
    spec = PipelineGraph([step]).to_spec({}).step("score")
    assert (spec.kind, spec.script_name) == ("parallel_run", "score.py")
    assert [i.name for i in spec.inputs] == ["images", "model"]
    options = spec.parallel_run or {}
    assert (options["input"], options["side_inputs"], options["mini_batch_size"]) == ("images", ["model"], 4)
    assert (options["error_threshold"], options["node_count"], options["process_count_per_node"]) == (5, 2, 1)
    assert options["append_row_file_name"] == "parallel_run_step.txt"
    document = json.loads(json.dumps(PipelineGraph([step]).to_spec({}).to_json()))
    assert PipelineSpec.from_json(document).step("score") == spec


def test_steps_that_share_a_name_get_keys_that_edges_and_sources_use() -> None:
    first = PipelineData("first")
    second = PipelineData("second")
    train_1 = PythonScriptStep("train.py", name="train", arguments=["--out", first], outputs=[first])
    train_2 = PythonScriptStep("train.py", name="train", arguments=["--in", first, "--out", second], outputs=[second])
    report = CommandStep(["cat", second], name="report")
    graph = PipelineGraph([report, train_2, train_1])
    assert graph.validate() == []
    spec = graph.to_spec({"train": ("/snap/a", "s1"), "train#2": ("/snap/b", "s2")})
    assert [(s.name, s.key) for s in spec.steps] == [("train", "train"), ("train", "train#2"), ("report", "report")]
    assert [(e.source, e.target) for e in spec.edges] == [("train", "train#2"), ("train#2", "report")]
    assert spec.step("train#2").input("first").source == {"kind": "step_output", "step": "train", "output": "first"}
    assert spec.step("report").upstream == ["train#2"]
    assert [s.snapshot for s in spec.steps] == ["s1", "s2", None]
    assert PipelineSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_from_json_does_not_change_its_input() -> None:
    data = full_spec().to_json()
    before = copy.deepcopy(data)
    PipelineSpec.from_json(data)
    assert data == before


def test_from_json_fills_a_steps_optional_fields_with_defaults() -> None:
    data = {
        "kind": SPEC_KIND,
        "schema_version": SCHEMA_VERSION,
        "steps": [{"name": "a", "kind": "command", "kind_version": 1, "compute_target": "local", "command": "true"}],
        "edges": [],
    }
    assert PipelineSpec.from_json(data) == PipelineSpec(
        steps=[StepSpec("a", "command", 1, "local", command="true")], edges=[]
    )


@pytest.mark.parametrize("damage", ["no steps", "unknown step field", "edge without target"])
def test_a_malformed_spec_is_a_config_error(damage: str) -> None:
    data = full_spec().to_json()
    if damage == "no steps":
        del data["steps"]
    elif damage == "unknown step field":
        data["steps"][0]["colour"] = "red"
    else:
        del data["edges"][0]["target"]
    with pytest.raises(ConfigError):
        PipelineSpec.from_json(data)


def test_hand_built_spec_round_trips() -> None:
    spec = PipelineSpec(
        steps=[
            StepSpec(
                "a",
                "python_script",
                1,
                "local",
                arguments=[{"value": "--x"}, {"output": "o"}],
                outputs=[OutputSpec("o", "pipeline_data")],
                script_name="a.py",
            ),
            StepSpec(
                "b",
                "command",
                1,
                "local",
                inputs=[InputSpec("o", "mount", {"kind": "step_output", "step": "a", "output": "o"})],
                command=[{"value": "cat"}, {"input": "o"}],
                upstream=["a"],
            ),
        ],
        edges=[EdgeSpec("a", "b", "o", "o")],
        parameters={"p": "x"},
    )
    assert PipelineSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


scalars = st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans())
identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.dictionaries(identifiers, scalars, max_size=5),
    st.lists(st.text(max_size=10), max_size=6),
    st.one_of(st.none(), st.text(max_size=20)),
)
def test_any_parameters_and_literals_round_trip(parameters: dict[str, Any], literals: list[str], desc: Any) -> None:
    params = [PipelineParameter(name, default) for name, default in parameters.items()]
    step = PythonScriptStep("a.py", arguments=[*literals, *params])
    graph = PipelineGraph([step], description=desc)
    assert graph.validate() == []
    spec = graph.to_spec({})
    assert spec.parameters == parameters
    assert spec.step("a.py").arguments == [{"value": v} for v in literals] + [{"parameter": n} for n in parameters]
    assert PipelineSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_a_registered_dataset_is_pinned_in_the_spec_and_an_output_asks_to_be_registered() -> None:
    from duto.data import OutputFileDatasetConfig
    from duto.graph.datasets import DataPath, FileDataset, Registration, dataset_from_definition

    registration = Registration("id-1", "raw-data", 3, "d" * 64, "a.csv", tags={"k": "v"})
    dataset = dataset_from_definition(
        FileDataset(paths=(DataPath("workspaceblobstore", "raw/a.csv"),))._definition(), registration
    )
    assert (dataset.name, dataset.version, dataset.id, dataset.tags) == ("raw-data", 3, "id-1", {"k": "v"})
    assert dataset.as_download().name == "raw_data"
    assert dataset.to_spec()["registered"] == {
        "id": "id-1",
        "name": "raw-data",
        "version": 3,
        "digest": "d" * 64,
        "single_file": "a.csv",
    }
    output = OutputFileDatasetConfig("features").register_on_complete("features", tags={"a": "b"})
    assert output.register_as == {
        "name": "features",
        "description": None,
        "tags": {"a": "b"},
        "create_new_version": True,
    }
    with pytest.raises(ConfigError, match="dataset name 'bad name'"):
        OutputFileDatasetConfig("x").register_on_complete("bad name")
    with pytest.raises(ConfigError, match="of type 'image-folder', which this duto cannot read"):
        dataset_from_definition({"type": "image-folder"}, registration)
