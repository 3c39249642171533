"""v1's partition_format: string and datetime keys, globs, the errors for a bad format and a file that does not
match, and where a dataset keeps it (its spec, its registered definition, a tabular recipe)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from duto.errors import ConfigError
from duto.graph.data import PipelineData
from duto.graph.datasets import Dataset
from duto.graph.parallel_run import ParallelRunConfig, ParallelRunStep
from duto.graph.partitions import PartitionFormat
from duto.graph.pipeline_graph import PipelineGraph
from duto.graph.spec import PipelineSpec
from duto.graph.tabular import TabularDataset

pytestmark = pytest.mark.timeout(10)


def test_string_keys_take_one_folder_or_name_part_each() -> None:
    fmt = PartitionFormat.parse("{country}/{year}/*.csv")
    assert fmt.keys == ("country", "year")
    assert fmt.values_of("US/2020/sales.csv") == {"country": "US", "year": "2020"}
    assert fmt.values_of("/FR/2021/a.csv") == {"country": "FR", "year": "2021"}, "a leading '/' is the dataset's path"
    assert PartitionFormat.parse("{region}_{kind}.txt").values_of("eu_shoes.txt") == {"region": "eu", "kind": "shoes"}


def test_a_date_key_is_a_datetime_from_its_layout() -> None:
    fmt = PartitionFormat.parse("/{Dept}/{PartitionDate:yyyy/MM/dd}/*.parquet")
    assert fmt.keys == ("Dept", "PartitionDate")
    assert fmt.values_of("Accounts/2019/01/31/data.parquet") == {
        "Dept": "Accounts",
        "PartitionDate": datetime(2019, 1, 31),
    }
    hourly = PartitionFormat.parse("{at:yyyy-MM-dd/HH_mm_ss}/**")
    assert hourly.values_of("2024-02-29/13_05_09/x/y.json") == {"at": datetime(2024, 2, 29, 13, 5, 9)}
    assert PartitionFormat.parse("{month:yyyy/MM}/*").values_of("2023/07/f") == {"month": datetime(2023, 7, 1)}


def test_a_file_that_does_not_match_is_named_with_the_format() -> None:
    fmt = PartitionFormat.parse("{country}/{date:yyyy/MM/dd}/*.csv")
    with pytest.raises(ConfigError, match=r"file 'US/2020/01/x\.txt' does not match partition_format '\{country\}/"):
        fmt.values_of("US/2020/01/x.txt")
    with pytest.raises(ConfigError, match=r"file 'stray\.csv' does not match"):
        fmt.values_of("stray.csv")
    with pytest.raises(ConfigError, match=r"file 'US/2020/13/01/a\.csv': the 'date' .* is not a date"):
        fmt.values_of("US/2020/13/01/a.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{country/*.csv", "has no '}'"),
        ("country}/*.csv", "a '}' has no '{'"),
        ("data/*.csv", "names no key"),
        ("{a}/{a}/*", "the key 'a' is named twice"),
        ("{my-key}/*", "is not a column name"),
        ("{d:yyyy/QQ}/*", "is not a date layout"),
        ("{d:MM/dd}/*", "is not a date layout"),
        ("", "must be a path pattern"),
    ],
)
def test_a_bad_format_is_refused_when_the_dataset_is_made(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Dataset.File.from_files("/data", validate=False, partition_format=text)
    with pytest.raises(ConfigError, match=message):
        Dataset.Tabular.from_parquet_files("/data", validate=False, partition_format=text)


def test_a_dataset_keeps_its_format_in_its_spec_definition_and_recipe() -> None:
    files = Dataset.File.from_files("/data", validate=False, partition_format="{country}/*.txt")
    assert files.partition_keys == ["country"]
    assert files.to_spec()["partition_format"] == "{country}/*.txt"
    assert Dataset.File.from_files("/data", validate=False).partition_keys == []
    assert "partition_format" not in Dataset.File.from_files("/data", validate=False).to_spec()

    table = Dataset.Tabular.from_json_lines_files("/data", validate=False, partition_format="{day:yyyy/MM/dd}/*")
    assert table.partition_keys == ["day"]
    assert table.recipe()["options"]["partition_format"] == "{day:yyyy/MM/dd}/*"
    kept = table.filter(table["x"] > 1)
    assert kept.partition_keys == ["day"], "a transformation keeps the format"
    rebuilt = TabularDataset._from_definition(table._definition())
    assert rebuilt.partition_format == "{day:yyyy/MM/dd}/*" and rebuilt.recipe() == table.recipe()
    in_step = TabularDataset._in_step("t", table.recipe(), "/placed")
    assert in_step.partition_keys == ["day"] and "partition_format" not in in_step.options


def test_the_spec_keeps_the_format_and_the_keys_and_a_version_8_spec_without_them_still_reads() -> None:
    files = Dataset.File.from_files("/data", validate=False, partition_format="{country}/*.txt")
    config = ParallelRunConfig(entry_script="score.py", partition_keys=["country"])
    step = ParallelRunStep("score", config, inputs=[files.as_named_input("images")], output=PipelineData("scores"))
    document = json.loads(json.dumps(PipelineGraph([step]).to_spec({}).to_json()))
    assert document["schema_version"] == 9
    spec = PipelineSpec.from_json(document).step("score")
    assert spec.inputs[0].source["partition_format"] == "{country}/*.txt"
    options = spec.parallel_run or {}
    assert (options["partition_keys"], options["partition_format"]) == (["country"], "{country}/*.txt")

    plain = ParallelRunStep(
        "score", ParallelRunConfig(entry_script="score.py"), inputs=[files], output=PipelineData("s")
    )
    old = json.loads(json.dumps(PipelineGraph([plain]).to_spec({}).to_json()))
    old["schema_version"] = 8
    del old["steps"][0]["inputs"][0]["source"]["partition_format"]
    spec = PipelineSpec.from_json(old).step("score")
    assert "partition_format" not in spec.inputs[0].source
    assert "partition_keys" not in (spec.parallel_run or {}), "a step that does not group reads as before"
