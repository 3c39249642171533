"""ParallelRunStep over tabular datasets and partitioned inputs, in real runs: DataFrame mini-batches cut by bytes,
one mini-batch per partition of a FileDataset or a tabular dataset, failures counted in rows, the refused
configurations, and a re-run after one file changed that scores only that file's mini-batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Experiment
from duto.errors import ConfigError
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import ParallelRunConfig, ParallelRunStep

pytestmark = pytest.mark.timeout(120)

# Notes each call (its rows' ids, columns and partition values) in a file of its own under the folder given, and
# returns the rows with their value doubled; a frame holding the id 13 raises, when asked to.
SCORE_ROWS = """
import json, os, sys, uuid

def init():
    global notes, fail
    notes = sys.argv[1]
    fail = "--fail" in sys.argv

def run(mini_batch):
    note = {"ids": [int(i) for i in mini_batch["id"]], "columns": list(mini_batch.columns)}
    for key in ("country", "date"):
        if key in mini_batch.columns:
            note[key] = sorted({str(v) for v in mini_batch[key]})
    with open(os.path.join(notes, uuid.uuid4().hex), "w") as f:
        json.dump(note, f)
    if fail and 13 in note["ids"]:
        raise ValueError("cannot score id 13")
    mini_batch["value"] = mini_batch["value"] * 2
    return mini_batch[["id", "value"]]
"""

# Notes the files of each call; returns a row per file.
SCORE_FILES = """
import json, os, sys, uuid

def run(mini_batch):
    with open(os.path.join(sys.argv[1], uuid.uuid4().hex), "w") as f:
        json.dump(sorted(os.path.relpath(p, os.path.dirname(os.path.dirname(p))) for p in mini_batch), f)
    return [os.path.basename(p) + " " + open(p).read() for p in mini_batch]
"""


def write_table(folder: Path, name: str, first: int, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["id,value,label"] + [f"{i},{i % 10},label-number-{i:06d}" for i in range(first, first + count)]
    (folder / name).write_text("\n".join(lines) + "\n")


def notes_of(folder: Path) -> list:  # type: ignore[type-arg]
    return [json.loads(f.read_text()) for f in folder.iterdir()]


def score(ws, write_script, dataset, notes: Path, script: str = SCORE_ROWS, extra=(), **config):  # type: ignore[no-untyped-def]
    """Run a ParallelRunStep over `dataset`; returns the step run."""
    folder = write_script("score.py", script)
    notes.mkdir(exist_ok=True)
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    prc = ParallelRunConfig(entry_script="score.py", source_directory=folder, process_count_per_node=2, **config)
    step = ParallelRunStep("score", prc, inputs=[dataset], output=out, arguments=[str(notes), *extra])
    run = Experiment(ws, "prs-tabular").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False, timeout_seconds=100, raise_on_error=False)
    return run.find_step_run("score")[0]


def appended(step) -> list[str]:  # type: ignore[no-untyped-def]
    return (Path(step.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().splitlines()


def job_result(step) -> str:  # type: ignore[no-untyped-def]
    return (step.layout.files / "logs" / "job_result.txt").read_text()


def test_a_csv_dataset_is_scored_in_dataframe_mini_batches_with_a_row_per_line(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    table = ws.get_default_datastore().root / "table"
    for n in range(3):
        write_table(table, f"part{n}.csv", n * 100, 100)
    dataset = Dataset.Tabular.from_delimited_files(DataPath(ws.get_default_datastore(), "table/*.csv"))
    step = score(ws, write_script, dataset, tmp_path / "notes")
    assert step.get_status() == "Finished", step.reason
    rows = appended(step)
    assert len(rows) == len(dataset.to_pandas_dataframe()) == 300
    assert rows[:3] == ["0 0", "1 2", "2 4"], "a DataFrame's rows, values separated by a space, in the files' order"
    notes = notes_of(tmp_path / "notes")
    assert len(notes) == 3, "the default 1MB: one mini-batch per file of 100 rows"
    assert all(n["columns"] == ["id", "value", "label"] for n in notes)
    assert "scored in this run: 300 items in 3 mini-batches" in job_result(step)


def test_a_byte_size_cuts_files_into_mini_batches_and_a_rerun_scores_only_the_changed_files(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    table = ws.get_default_datastore().root / "table"
    for n in range(3):
        write_table(table, f"part{n}.csv", n * 100, 100)  # about 2.5KB of rows each, 25 bytes a row
    dataset = Dataset.Tabular.from_delimited_files(DataPath(ws.get_default_datastore(), "table"))
    step = score(ws, write_script, dataset, tmp_path / "notes", mini_batch_size="1KB")
    assert step.get_status() == "Finished", step.reason
    notes = notes_of(tmp_path / "notes")
    assert len(notes) == 9, "about 1KB of rows each: three mini-batches a file"
    assert sorted(i for n in notes for i in n["ids"]) == list(range(300)), "every row once"
    assert all(len(n["ids"]) <= 1024 // 24 + 1 for n in notes)
    before = appended(step)
    assert len(before) == 300
    cuts = ws.root / ".duto" / "parallel_runs"
    assert len(list(cuts.glob("*/cuts/*.json"))) == 3, "where each file's rows are cut is kept by its content"

    write_table(table, "part1.csv", 1000, 100)
    for note in (tmp_path / "notes").iterdir():
        note.unlink()
    step = score(ws, write_script, dataset, tmp_path / "notes", mini_batch_size="1KB")
    assert step.get_status() == "Finished", step.reason
    scored = sorted(i for n in notes_of(tmp_path / "notes") for i in n["ids"])
    assert scored == list(range(1000, 1100)), "only the changed file's rows are scored again"
    assert "200 reused from earlier mini-batches, 100 to score in" in step.get_stdout_log()
    after = appended(step)
    assert after[:100] == before[:100] and after[200:] == before[200:]
    assert after[100] == "1000 0"
    assert len(list(cuts.glob("*/cuts/*.json"))) == 4, "the changed file is cut anew; the others are cut as kept"


def test_a_partitioned_file_dataset_gives_one_mini_batch_per_country(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    root = ws.get_default_datastore().root / "by-country"
    for country, count in (("US", 3), ("FR", 2), ("DE", 4)):
        (root / country).mkdir(parents=True)
        for i in range(count):
            (root / country / f"{country.lower()}{i}.txt").write_text(f"{country}{i}")
    dataset = Dataset.File.from_files(
        DataPath(ws.get_default_datastore(), "by-country"), partition_format="{country}/*.txt"
    )
    assert dataset.partition_keys == ["country"]
    step = score(ws, write_script, dataset, tmp_path / "notes", script=SCORE_FILES, partition_keys='["country"]')
    assert step.get_status() == "Finished", step.reason
    groups = sorted(notes_of(tmp_path / "notes"))
    assert groups == [
        ["DE/de0.txt", "DE/de1.txt", "DE/de2.txt", "DE/de3.txt"],
        ["FR/fr0.txt", "FR/fr1.txt"],
        ["US/us0.txt", "US/us1.txt", "US/us2.txt"],
    ]
    assert appended(step)[:2] == ["de0.txt DE0", "de1.txt DE1"], "partitions in the order of their values"
    assert "scored in this run: 9 items in 3 mini-batches" in job_result(step)

    again = score(ws, write_script, dataset, tmp_path / "notes", script=SCORE_FILES, partition_keys=["country"])
    assert again.is_reused, "the same files, format and keys: the step is reused"
    regrouped = Dataset.File.from_files(
        DataPath(ws.get_default_datastore(), "by-country"), partition_format="{country}/{name}.txt"
    )
    step = score(ws, write_script, regrouped, tmp_path / "notes", script=SCORE_FILES, partition_keys=["country"])
    assert step.get_status() == "Finished" and not step.is_reused
    assert "input 'input_data': its partition_format changed" in step.get_reuse_info()["reasons"]
    assert "0 reused from earlier mini-batches, 9 to score in 3 mini-batches" in step.get_stdout_log()


def test_a_partitioned_tabular_dataset_gives_one_dataframe_per_partition_with_its_columns(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    root = ws.get_default_datastore().root / "sales"
    write_table(root / "US" / "2024" / "01" / "05", "a.csv", 0, 10)
    write_table(root / "US" / "2024" / "02" / "07", "b.csv", 10, 5)
    write_table(root / "FR" / "2024" / "01" / "05", "c.csv", 20, 7)
    dataset = Dataset.Tabular.from_delimited_files(
        DataPath(ws.get_default_datastore(), "sales/**/*.csv"), partition_format="/{country}/{date:yyyy/MM/dd}/*.csv"
    )
    assert dataset.partition_keys == ["country", "date"]
    frame = dataset.to_pandas_dataframe()
    assert list(frame.columns) == ["id", "value", "label", "country", "date"]
    assert str(frame["date"].dtype).startswith("datetime64")
    step = score(ws, write_script, dataset, tmp_path / "notes", partition_keys=["country"])
    assert step.get_status() == "Finished", step.reason
    notes = sorted(notes_of(tmp_path / "notes"), key=lambda n: n["country"])
    assert [(n["country"], len(n["ids"])) for n in notes] == [(["FR"], 7), (["US"], 15)]
    assert notes[1]["date"] == ["2024-01-05 00:00:00", "2024-02-07 00:00:00"]
    assert notes[1]["columns"] == ["id", "value", "label", "country", "date"]
    assert len(appended(step)) == 22
    assert "scored in this run: 22 items in 2 mini-batches" in job_result(step)

    cut = score(ws, write_script, dataset, tmp_path / "cut-notes", mini_batch_size=100)
    assert cut.get_status() == "Finished", cut.reason
    notes = notes_of(tmp_path / "cut-notes")
    assert len(notes) > 3, "without partition_keys: parts of about 100 bytes of rows"
    assert all(n["columns"] == ["id", "value", "label", "country", "date"] for n in notes), "partition columns kept"
    assert sorted(i for n in notes for i in n["ids"]) == [*range(15), *range(20, 27)]


def test_parquet_and_json_lines_datasets_are_scored_with_their_path_column(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    import pandas as pd

    root = ws.get_default_datastore().root
    (root / "pq").mkdir()
    pd.DataFrame({"id": range(50), "value": [i % 10 for i in range(50)]}).to_parquet(root / "pq" / "a.parquet")
    parquet = Dataset.Tabular.from_parquet_files(DataPath(ws.get_default_datastore(), "pq"), include_path=True)
    step = score(ws, write_script, parquet, tmp_path / "pq-notes", mini_batch_size=200)
    assert step.get_status() == "Finished", step.reason
    notes = notes_of(tmp_path / "pq-notes")
    assert len(notes) > 1 and sorted(i for n in notes for i in n["ids"]) == list(range(50))
    assert all(n["columns"] == ["Path", "id", "value"] for n in notes), "include_path: the Path column first"
    assert len(appended(step)) == 50

    (root / "jl").mkdir()
    (root / "jl" / "a.jsonl").write_text("".join(f'{{"id": {i}, "value": {i}}}\n' for i in range(30)))
    lines = Dataset.Tabular.from_json_lines_files(DataPath(ws.get_default_datastore(), "jl"))
    step = score(ws, write_script, lines, tmp_path / "jl-notes", mini_batch_size=100)
    assert step.get_status() == "Finished", step.reason
    notes = notes_of(tmp_path / "jl-notes")
    assert len(notes) > 1 and sorted(i for n in notes for i in n["ids"]) == list(range(30))
    assert appended(step)[:2] == ["0 0", "1 2"]


def test_a_mini_batch_that_raises_counts_all_its_rows_as_failed(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    write_table(ws.get_default_datastore().root / "table", "all.csv", 0, 100)
    dataset = Dataset.Tabular.from_delimited_files(DataPath(ws.get_default_datastore(), "table/all.csv"))
    config = {"mini_batch_size": 400, "run_max_try": 1, "extra": ["--fail"]}
    step = score(ws, write_script, dataset, tmp_path / "notes", error_threshold=50, **config)
    assert step.get_status() == "Finished", step.reason
    failed = next(n for n in notes_of(tmp_path / "notes") if 13 in n["ids"])
    assert len(failed["ids"]) > 5
    assert f"failed items: {len(failed['ids'])}; failed mini-batches: 1;" in job_result(step), "rows, not calls"
    assert len(appended(step)) == 100 - len(failed["ids"])
    assert "cannot score id 13" in (step.layout.files / "logs" / "sys" / "failed_items.txt").read_text()

    for note in (tmp_path / "notes").iterdir():
        note.unlink()
    step = score(ws, write_script, dataset, tmp_path / "notes", error_threshold=5, **config)
    assert step.get_status() == "Failed"
    assert notes_of(tmp_path / "notes") == [failed], "the finished mini-batches are kept; the failed one is tried again"
    assert f"{len(failed['ids'])} items failed, more than error_threshold (5) allows" in (step.reason or "")


def test_a_file_not_matching_the_partition_format_fails_the_step_naming_it(ws, write_script, tmp_path):  # type: ignore[no-untyped-def]
    root = ws.get_default_datastore().root / "by-country"
    (root / "US").mkdir(parents=True)
    (root / "US" / "a.txt").write_text("a")
    (root / "stray.txt").write_text("b")
    dataset = Dataset.File.from_files(
        DataPath(ws.get_default_datastore(), "by-country"), partition_format="{country}/*.txt"
    )
    step = score(ws, write_script, dataset, tmp_path / "notes", script=SCORE_FILES, partition_keys=["country"])
    assert step.get_status() == "Failed"
    assert "file 'stray.txt' does not match partition_format '{country}/*.txt'" in (step.reason or "")


def test_bad_partition_configurations_are_refused_saying_what_to_do(tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "US").mkdir()
    partitioned = Dataset.File.from_files(str(tmp_path), partition_format="{country}/{year}/*.txt")
    plain = Dataset.File.from_files(str(tmp_path))
    out = PipelineData("scores")

    with pytest.raises(ConfigError, match="give partition_keys or mini_batch_size, not both"):
        ParallelRunConfig(entry_script="s.py", partition_keys=["country"], mini_batch_size=5)
    with pytest.raises(
        ConfigError, match=r"partition_keys \['region'\] are not all keys of input .* names \['country', 'year'\]"
    ):
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", partition_keys=["region"]), [partitioned], out)
    with pytest.raises(ConfigError, match=r"need a partitioned input, .* make it with partition_format"):
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", partition_keys=["country"]), [plain], out)
    with pytest.raises(ConfigError, match="need a partitioned input"):
        ParallelRunStep(
            "s", ParallelRunConfig(entry_script="s.py", partition_keys=["country"]), [out], PipelineData("o")
        )
    with pytest.raises(ConfigError, match="is text that is not JSON"):
        ParallelRunConfig(entry_script="s.py", partition_keys="country")
    with pytest.raises(ConfigError, match="'1MB' is a size in bytes, which is for tabular datasets"):
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", mini_batch_size="1MB"), [plain], out)
    with pytest.raises(ConfigError, match="mini_batch_size '1 TB' must be a number"):
        ParallelRunConfig(entry_script="s.py", mini_batch_size="1 TB")
    table = Dataset.Tabular.from_delimited_files(str(tmp_path), validate=False).take(5)
    with pytest.raises(ConfigError, match="take act on the whole table"):
        ParallelRunStep("s", ParallelRunConfig(entry_script="s.py"), [table], out)

    step = ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", partition_keys='["year"]'), [partitioned], out)
    assert step.parallel_run_options["partition_keys"] == ["year"]
    tabular = Dataset.Tabular.from_delimited_files(str(tmp_path), validate=False)
    for given, size in ((None, 1024**2), ("1024", 1024), (2048, 2048), ("10MB", 10 * 1024**2), ("1gb", 1024**3)):
        step = ParallelRunStep("s", ParallelRunConfig(entry_script="s.py", mini_batch_size=given), [tabular], out)
        assert step.parallel_run_options["mini_batch_size"] == size
