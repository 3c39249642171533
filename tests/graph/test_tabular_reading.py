"""Tabular datasets read into DataFrames outside a step, each pattern as v1 code writes it."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from duto import DataPath, Dataset
from duto.config import updating
from duto.data.dataset_factory import DataType
from duto.errors import ConfigError
from duto.execution.materialize import step_api_folder

PEOPLE = "name,age,city,member\nAna,34,Porto,true\nRui,19,Lisboa,false\nEva,51,Porto,true\nJoão,27,Braga,false\n"


@pytest.fixture
def people(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    return path


def test_csv_with_a_header_infers_column_types(people):
    frame = Dataset.Tabular.from_delimited_files(str(people)).to_pandas_dataframe()
    assert list(frame.columns) == ["name", "age", "city", "member"]
    assert frame["age"].tolist() == [34, 19, 51, 27] and frame["age"].dtype.kind == "i"
    assert frame["member"].tolist() == [True, False, True, False]
    assert frame["name"].tolist() == ["Ana", "Rui", "Eva", "João"]


def test_csv_without_a_header_names_columns_like_v1(tmp_path):
    (tmp_path / "rows.csv").write_text("1,a\n2,b\n")
    frame = Dataset.Tabular.from_delimited_files(str(tmp_path / "rows.csv"), header=False).to_pandas_dataframe()
    assert list(frame.columns) == ["Column1", "Column2"]
    assert frame.to_dict("list") == {"Column1": [1, 2], "Column2": ["a", "b"]}


def test_a_separator_and_no_inference_give_strings_then_set_column_types_converts(tmp_path):
    (tmp_path / "rows.tsv").write_text("id\tscore\twhen\tok\n7\t1.5\t2024-01-02\tyes\n8\t2.25\t2024-03-04\tno\n")
    raw = Dataset.Tabular.from_delimited_files(str(tmp_path / "rows.tsv"), separator="\t", infer_column_types=False)
    frame = raw.to_pandas_dataframe()
    assert frame["id"].tolist() == ["7", "8"] and frame["score"].tolist() == ["1.5", "2.25"]
    typed = Dataset.Tabular.from_delimited_files(
        str(tmp_path / "rows.tsv"),
        separator="\t",
        infer_column_types=False,
        set_column_types={"id": DataType.to_long(), "score": float, "when": DataType.to_datetime(), "ok": bool},
    ).to_pandas_dataframe()
    assert typed["id"].tolist() == [7, 8] and typed["score"].tolist() == [1.5, 2.25]
    assert typed["when"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-04")]
    assert typed["ok"].tolist() == [True, False]


def test_a_value_that_cannot_take_its_type_names_the_column(people):
    ds = Dataset.Tabular.from_delimited_files(str(people), set_column_types={"city": int})
    with pytest.raises(ConfigError, match="column 'city' cannot be read as int"):
        ds.to_pandas_dataframe()


def test_a_glob_of_files_with_include_path(tmp_path):
    (tmp_path / "parts" / "2024").mkdir(parents=True)
    (tmp_path / "parts" / "2024" / "b.csv").write_text("x\n3\n")
    (tmp_path / "parts" / "a.csv").write_text("x\n1\n2\n")
    (tmp_path / "parts" / "notes.txt").write_text("not data")
    ds = Dataset.Tabular.from_delimited_files(str(tmp_path / "parts" / "**" / "*.csv"), include_path=True)
    frame = ds.to_pandas_dataframe()
    assert frame.to_dict("list") == {"Path": ["2024/b.csv", "a.csv", "a.csv"], "x": [3, 1, 2]}


def test_parquet_files(tmp_path):
    pd.DataFrame({"k": [1, 2, 3], "v": ["a", "b", "c"]}).to_parquet(tmp_path / "one.parquet")
    pd.DataFrame({"k": [4], "v": ["d"]}).to_parquet(tmp_path / "two.parquet")
    frame = Dataset.Tabular.from_parquet_files(str(tmp_path / "*.parquet")).to_pandas_dataframe()
    assert frame.to_dict("list") == {"k": [1, 2, 3, 4], "v": ["a", "b", "c", "d"]}


def test_json_lines_files(tmp_path):
    rows = [{"id": 1, "tag": "x", "w": 0.5}, {"id": 2, "tag": "y", "w": 1.5}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = Dataset.Tabular.from_json_lines_files(str(tmp_path / "rows.jsonl"), set_column_types={"id": str})
    assert ds.to_pandas_dataframe().to_dict("records") == [
        {"id": "1", "tag": "x", "w": 0.5},
        {"id": "2", "tag": "y", "w": 1.5},
    ]


def test_take_skip_keep_drop_and_filter(people):
    ds = Dataset.Tabular.from_delimited_files(str(people))
    assert ds.take(2).to_pandas_dataframe()["name"].tolist() == ["Ana", "Rui"]
    assert ds.skip(3).to_pandas_dataframe()["name"].tolist() == ["João"]
    assert ds.skip(1).take(2).to_pandas_dataframe()["name"].tolist() == ["Rui", "Eva"]
    assert list(ds.keep_columns(["city", "name"]).to_pandas_dataframe().columns) == ["city", "name"]
    assert list(ds.drop_columns("member").to_pandas_dataframe().columns) == ["name", "age", "city"]
    porto_over_40 = ds.filter((ds["city"] == "Porto") & (ds["age"] > 40))
    assert porto_over_40.to_pandas_dataframe()["name"].tolist() == ["Eva"]
    young_or_braga = ds.filter((ds["age"] < 20) | (ds["city"] == "Braga"))
    assert young_or_braga.to_pandas_dataframe()["name"].tolist() == ["Rui", "João"]
    assert ds.filter(~(ds["city"] == "Porto")).to_pandas_dataframe()["name"].tolist() == ["Rui", "João"]
    assert ds.filter(ds["name"].starts_with("J")).to_pandas_dataframe()["age"].tolist() == [27]
    with pytest.raises(ConfigError, match="keep_columns: the data has no column 'town'; its columns are 'name'"):
        ds.keep_columns("town").to_pandas_dataframe()


def test_random_split_is_deterministic_and_partitions_the_rows(tmp_path):
    (tmp_path / "n.csv").write_text("n\n" + "".join(f"{i}\n" for i in range(200)))
    ds = Dataset.Tabular.from_delimited_files(str(tmp_path / "n.csv"))
    train, test = ds.random_split(0.8, seed=42)
    a, b = train.to_pandas_dataframe()["n"].tolist(), test.to_pandas_dataframe()["n"].tolist()
    assert sorted(a + b) == list(range(200)) and not set(a) & set(b)
    assert 140 < len(a) < 180
    again, _ = ds.random_split(0.8, seed=42)
    assert again.to_pandas_dataframe()["n"].tolist() == a
    other, _ = ds.random_split(0.8, seed=7)
    assert other.to_pandas_dataframe()["n"].tolist() != a


def test_a_url_with_include_path(tmp_path):
    (tmp_path / "people.csv").write_text(PEOPLE)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/people.csv"
        frame = Dataset.Tabular.from_delimited_files(url, include_path=True).take(2).to_pandas_dataframe()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert frame.to_dict("list") == {
        "Path": ["people.csv", "people.csv"],
        "name": ["Ana", "Rui"],
        "age": [34, 19],
        "city": ["Porto", "Lisboa"],
        "member": [True, False],
    }


def test_a_datapath_on_a_local_datastore_outside_a_step(ws):
    datastore = ws.get_default_datastore()
    folder = ws.root / "local"
    folder.mkdir()
    (folder / "a.csv").write_text(PEOPLE)
    datastore.upload(str(folder), target_path="people", show_progress=False)
    ds = Dataset.Tabular.from_delimited_files(DataPath(datastore, "people/*.csv"))
    assert ds.to_pandas_dataframe()["age"].sum() == 131


def test_a_datapath_on_an_object_store_says_to_read_it_in_a_step(ws):
    with updating(ws.root) as config:
        config.datastores["bucket"] = {"kind": "s3", "bucket": "b"}
    ds = Dataset.Tabular.from_delimited_files(DataPath("bucket", "x/*.csv"))
    with pytest.raises(ConfigError, match="'bucket' is a s3 datastore; read it in a step"):
        ds.to_pandas_dataframe()


HIDE_PANDAS = """
import sys
sys.path[:0] = [{api!r}]
from duto.graph.tabular import TabularDataset
ds = TabularDataset._from_definition({definition!r})
try:
    ds.to_pandas_dataframe()
except ImportError as exc:
    print(type(exc).__name__, exc)
"""


def test_without_pandas_the_error_names_the_extra_and_the_packages(tmp_path, people):
    """The step-side copy of duto, in a Python that sees neither site-packages nor duto's dependencies."""
    api = step_api_folder(tmp_path / "envs")
    definition = Dataset.Tabular.from_delimited_files(str(people)).take(1)._definition()
    code = textwrap.dedent(HIDE_PANDAS).format(api=str(api), definition=definition)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MissingDataPackagesError to_pandas_dataframe() needs pandas, which this Python")
    assert "pip install 'duto[data]'" in result.stdout
    assert "pip_packages=['pandas']" in result.stdout
