"""Tabular datasets as definitions: recipes, their JSON definition, and what the spec holds. No data is read."""

from __future__ import annotations

import json

import pytest

from duto import DataPath, Dataset
from duto.data import TabularDataset
from duto.data.dataset_factory import DataType
from duto.errors import ConfigError
from duto.graph.datasets import LocalPath, UrlPath
from duto.graph.spec import PipelineSpec


def test_a_recipe_round_trips_through_its_json_definition(tmp_path):
    ds = Dataset.Tabular.from_delimited_files(
        [str(tmp_path / "*.csv"), DataPath("store", "raw/**/*.csv"), "https://example.org/a.csv"],
        separator=";",
        header=False,
        set_column_types={"Column1": DataType.to_long(), "Column2": float},
        include_path=True,
    )
    first, _ = (
        ds.filter((ds["Column1"] > 5) & ~(ds["Column2"] == 1.5) | ds["Column3"].starts_with("x"))
        .take(10)
        .skip(2)
        .keep_columns(["Column1", "Column2"])
        .drop_columns("Column2")
        .random_split(0.7, seed=3)
    )
    definition = json.loads(json.dumps(first._definition()))
    rebuilt = TabularDataset._from_definition(definition)
    assert rebuilt._definition() == definition
    assert rebuilt.paths == (
        LocalPath(str(tmp_path / "*.csv")),
        DataPath("store", "raw/**/*.csv"),
        UrlPath("https://example.org/a.csv"),
    )
    assert definition["options"] == {
        "separator": ";",
        "header": False,
        "infer_column_types": True,
        "set_column_types": {"Column1": "int", "Column2": "float"},
        "include_path": True,
        "encoding": "utf8",
    }
    assert [t["op"] for t in definition["transforms"]] == [
        "filter",
        "take",
        "skip",
        "keep_columns",
        "drop_columns",
        "random_split",
    ]
    assert definition["transforms"][0]["expression"] == {
        "op": "or",
        "args": [
            {
                "op": "and",
                "args": [
                    {"op": ">", "column": "Column1", "value": 5},
                    {"op": "not", "arg": {"op": "==", "column": "Column2", "value": 1.5}},
                ],
            },
            {"op": "starts_with", "column": "Column3", "value": "x"},
        ],
    }


def test_transformations_make_new_recipes_and_leave_the_original_alone(tmp_path):
    ds = Dataset.Tabular.from_parquet_files(str(tmp_path / "*.parquet"))
    taken = ds.take(3)
    assert ds.transforms == () and [t["op"] for t in taken.transforms] == ["take"]
    left, right = ds.random_split(0.25, seed=9)
    assert left.transforms[0] == {"op": "random_split", "percentage": 0.25, "seed": 9, "part": 0}
    assert right.transforms[0] == {**left.transforms[0], "part": 1}
    unseeded = ds.random_split(0.5)
    assert unseeded[0].transforms[0]["seed"] == unseeded[1].transforms[0]["seed"], "one seed drawn, kept in both"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ds: ds.take(-1), "take: count must be a whole number"),
        (lambda ds: ds.skip(1.5), "skip: count must be a whole number"),
        (lambda ds: ds.keep_columns([]), "keep_columns: give a column name"),
        (lambda ds: ds.random_split(1.5), "random_split: percentage must be between 0 and 1"),
        (lambda ds: ds.random_split(0.5, seed=-2), "random_split: seed must be a whole number"),
        (lambda ds: ds.filter("a > 1"), "filter takes a condition such as ds"),
        (lambda ds: ds.filter(ds["a"] > [1]), "compare with a number, a string, a bool or None"),
        (lambda ds: ds.filter((ds["a"] > 1) and (ds["b"] > 1)), "combine filters with & and |"),
    ],
)
def test_bad_transformations_are_refused_with_what_to_do(tmp_path, make, message):
    ds = Dataset.Tabular.from_json_lines_files(str(tmp_path / "*.jsonl"))
    with pytest.raises(ConfigError, match=message):
        make(ds)


def test_bad_read_options_are_refused_at_the_factory(tmp_path):
    with pytest.raises(ConfigError, match="set_column_types: column 'a' has type 'decimal'"):
        Dataset.Tabular.from_delimited_files(str(tmp_path / "*.csv"), set_column_types={"a": "decimal"})
    with pytest.raises(ConfigError, match="header must be True or False"):
        Dataset.Tabular.from_delimited_files(str(tmp_path / "*.csv"), header="yes")
    with pytest.raises(ConfigError, match="separator must be a non-empty string"):
        Dataset.Tabular.from_delimited_files(str(tmp_path / "*.csv"), separator="")
    with pytest.raises(ConfigError, match=r"Dataset\.Tabular\.from_json_lines_files takes a DataPath"):
        Dataset.Tabular.from_json_lines_files(["s3://bucket/x.jsonl"])
    with pytest.raises(ConfigError, match=r"Dataset\.Tabular\.from_parquet_files: local path .* does not exist"):
        Dataset.Tabular.from_parquet_files(str(tmp_path / "missing.parquet"))
    with pytest.raises(ConfigError, match="not a tabular dataset's definition"):
        TabularDataset._from_definition({"kind": "file", "paths": []})


def test_the_spec_holds_the_recipe_and_whether_the_step_gets_the_dataset_itself():
    from duto.graph.pipeline_graph import PipelineGraph
    from duto.pipeline.steps import PythonScriptStep

    ds = Dataset.Tabular.from_delimited_files(DataPath("workspaceblobstore", "t/*.csv"))
    direct = ds.take(2).as_named_input("rows")
    files = ds.as_named_input("files").as_download()
    step = PythonScriptStep("s.py", source_directory="src", arguments=[direct, files])
    spec = PipelineGraph([step]).to_spec({})
    inputs = {i.name: i for i in spec.steps[0].inputs}
    assert inputs["rows"].mode == "mount" and inputs["rows"].source["direct"] is True
    assert inputs["rows"].source["tabular"]["transforms"] == [{"op": "take", "count": 2}]
    assert inputs["files"].mode == "download" and inputs["files"].source["direct"] is False
    assert inputs["files"].source["paths"] == [{"datastore": "workspaceblobstore", "path": "t/*.csv"}]
    assert spec.schema_version == 9
    assert PipelineSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
