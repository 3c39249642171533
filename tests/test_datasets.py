"""Registered datasets as v1 code uses them: versions by content, pinned inputs, outputs registered when their
step finishes, lineage, and their content kept by `cache gc`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto import Dataset, Experiment
from duto.data import OutputFileDatasetConfig
from duto.errors import AssetExistsError, AssetNotFoundError, ConfigError
from duto.facade.content_cache import collect_garbage
from duto.facade.datasets import dataset_lineage
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

READ = """
import os, sys
path = sys.argv[1]
if os.path.isdir(path):
    print(sorted(open(os.path.join(d, n)).read() for d, _, ns in os.walk(path) for n in ns))
else:
    print(os.path.basename(path), open(path).read())
"""


def _upload(ws, tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    source = tmp_path / "upload"
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text)
    ds = ws.get_default_datastore()
    ds.upload(str(source), target_path="", overwrite=True, show_progress=False)
    return ds


def test_registering_the_same_content_keeps_its_version_and_new_content_needs_create_new_version(ws, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "1"})
    first = Dataset.File.from_files((ds, "raw/**")).register(ws, "raw-data", description="raw", tags={"k": "v"})
    again = Dataset.File.from_files((ds, "raw/**")).register(ws, "raw-data", create_new_version=True)
    assert (first.version, again.version, again.id) == (1, 1, first.id)
    assert (first.name, first.description, first.tags) == ("raw-data", "raw", {"k": "v"})

    _upload(ws, tmp_path, {"raw/a.csv": "2"})
    with pytest.raises(AssetExistsError, match="create_new_version=True"):
        Dataset.File.from_files((ds, "raw/**")).register(ws, "raw-data")
    second = Dataset.File.from_files((ds, "raw/**")).register(ws, "raw-data", create_new_version=True)
    assert second.version == 2

    assert Dataset.get_by_name(ws, "raw-data").version == 2
    assert Dataset.get_by_name(ws, "raw-data", version=1).id == first.id
    assert Dataset.get_by_name(ws, "raw-data", version="1").version == 1
    assert Dataset.get_by_id(ws, first.id).version == 1
    assert {name: d.version for name, d in Dataset.get_all(ws).items()} == {"raw-data": 2}
    assert list(ws.datasets) == ["raw-data"]
    with pytest.raises(AssetNotFoundError, match="no version 3; its versions: 1, 2"):
        Dataset.get_by_name(ws, "raw-data", version=3)
    with pytest.raises(AssetNotFoundError, match="no dataset 'nope'"):
        Dataset.get_by_name(ws, "nope")
    with pytest.raises(ConfigError, match="version 'newest'"):
        Dataset.get_by_name(ws, "raw-data", version="newest")


def test_bad_names_tags_and_empty_datasets_are_refused(ws, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "1"})
    with pytest.raises(ConfigError, match="dataset name 'a b'"):
        Dataset.File.from_files((ds, "raw/**")).register(ws, "a b")
    with pytest.raises(ConfigError, match="tags must be a dict of strings"):
        Dataset.File.from_files((ds, "raw/**")).register(ws, "ok", tags={"n": 1})
    with pytest.raises(ConfigError, match="names no files"):
        Dataset.File.from_files((ds, "nothing/**")).register(ws, "empty")


@pytest.mark.timeout(120)
def test_a_registered_input_is_pinned_by_content_and_its_consumers_are_its_lineage(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "one"})
    Dataset.File.from_files((ds, "raw/a.csv")).register(ws, "table")
    src = write_script("read.py", READ)

    def submit(version: int | str = "latest"):  # type: ignore[no-untyped-def]
        table = Dataset.get_by_name(ws, "table", version=version).as_named_input("table").as_download()
        step = PythonScriptStep("read.py", source_directory=src, arguments=[table], inputs=[table])
        run = Experiment(ws, "pinned").submit(Pipeline(ws, [step]))
        run.wait_for_completion(show_output=False, raise_on_error=True)
        (step_run,) = run.get_steps()
        return run, step_run

    run1, step1 = submit()
    assert step1.get_stdout_log().strip().splitlines()[-1] == "a.csv one"
    _upload(ws, tmp_path, {"raw/a.csv": "two"})  # the datastore changes; version 1 still holds "one"
    run2, step2 = submit(1)
    assert step2.is_reused

    Dataset.File.from_files((ds, "raw/a.csv")).register(ws, "table", create_new_version=True)
    run3, step3 = submit()
    assert not step3.is_reused
    assert step3.get_stdout_log().strip().splitlines()[-1] == "a.csv two"

    lineage = dataset_lineage(ws, "table")
    assert [v["version"] for v in lineage] == [1, 2]
    assert [c["pipeline_run_id"] for c in lineage[0]["consumed_by"]] == [run1.id, run2.id]
    assert [(c["pipeline_run_id"], c["input_name"]) for c in lineage[1]["consumed_by"]] == [(run3.id, "table")]


@pytest.mark.timeout(120)
def test_outputs_are_registered_when_their_step_finishes_with_lineage_to_the_run(ws, write_script):
    src = write_script(
        "write.py",
        """
        import os, sys
        for folder in sys.argv[1:]:
            os.makedirs(folder, exist_ok=True)
            open(os.path.join(folder, "out.txt"), "w").write(os.environ.get("AML_PARAMETER_v", "x"))
        """,
    )
    features = OutputFileDatasetConfig("features").register_on_complete("features", tags={"from": "step"})
    scores = PipelineData("scores", datastore=ws.get_default_datastore(), is_directory=True)
    scores = scores.as_dataset().register(name="scores", create_new_version=True)
    step = PythonScriptStep("write.py", source_directory=src, arguments=[features, scores], outputs=[features, scores])
    run = Experiment(ws, "outputs").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False, raise_on_error=True)
    (step_run,) = run.get_steps()

    for name in ("features", "scores"):
        lineage = dataset_lineage(ws, name)
        assert [v["version"] for v in lineage] == [1]
        assert lineage[0]["produced_by"] == {
            "pipeline_run_id": run.id,
            "step_run_id": step_run.id,
            "step_name": "write.py",
        }
    assert Dataset.get_by_name(ws, "features").tags == {"from": "step"}

    # The same step again is reused: its output is the same content, so the version stays.
    rerun = Experiment(ws, "outputs").submit(Pipeline(ws, [step]))
    rerun.wait_for_completion(show_output=False, raise_on_error=True)
    assert rerun.get_steps()[0].is_reused
    assert [v["version"] for v in dataset_lineage(ws, "features")] == [1]


@pytest.mark.timeout(120)
def test_cache_gc_keeps_a_registered_version_after_its_source_is_gone(ws, write_script, tmp_path):
    ds = _upload(ws, tmp_path, {"raw/a.csv": "kept"})
    Dataset.File.from_files((ds, "raw/**")).register(ws, "kept")
    (ds.root / "raw" / "a.csv").unlink()
    collect_garbage(ws)
    src = write_script("read.py", READ)
    kept = Dataset.get_by_name(ws, "kept").as_named_input("kept").as_mount()
    step = PythonScriptStep("read.py", source_directory=src, arguments=[kept], inputs=[kept])
    run = Experiment(ws, "gc").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False, raise_on_error=True)
    assert json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1].replace("'", '"')) == ["kept"]


@pytest.mark.timeout(120)
def test_an_output_that_would_replace_other_content_without_create_new_version_is_left_unregistered(ws, write_script):
    from duto.pipeline import PipelineParameter

    src = write_script(
        "write.py",
        """
        import os, sys
        os.makedirs(sys.argv[1], exist_ok=True)
        open(os.path.join(sys.argv[1], "out.txt"), "w").write(sys.argv[2])
        """,
    )
    value = PipelineParameter("value", default_value="a")
    kept = (
        PipelineData("kept", datastore=ws.get_default_datastore())
        .as_dataset()
        .register("kept", create_new_version=False)
    )
    step = PythonScriptStep("write.py", source_directory=src, arguments=[kept, value], outputs=[kept])
    first = Experiment(ws, "kept").submit(Pipeline(ws, [step]))
    first.wait_for_completion(show_output=False, raise_on_error=True)
    second = Experiment(ws, "kept").submit(Pipeline(ws, [step]), pipeline_parameters={"value": "b"})
    second.wait_for_completion(show_output=False, raise_on_error=True)

    assert second.get_status() == "Finished"
    assert [v["version"] for v in dataset_lineage(ws, "kept")] == [1]
    assert dataset_lineage(ws, "kept")[0]["produced_by"]["pipeline_run_id"] == first.id
    log = second.get_steps()[0].get_stdout_log()
    assert "output 'kept' was not registered: dataset 'kept' is registered already (version 1)" in log


def test_a_tabular_dataset_registers_and_comes_back_as_one_with_its_recipe(ws, tmp_path):
    ds = _upload(ws, tmp_path, {"table/a.csv": "x,y\n1,2\n3,4\n5,6\n"})
    recipe = Dataset.Tabular.from_delimited_files((ds, "table/a.csv")).skip(1).keep_columns(["y"])
    first = recipe.register(ws, "table")
    assert (first.version, recipe.register(ws, "table").version) == (1, 1)

    again = Dataset.get_by_name(ws, "table")
    assert type(again).__name__ == "TabularDataset" and (again.version, again.id) == (1, first.id)
    assert again.recipe() == recipe.recipe()
    assert again.to_pandas_dataframe()["y"].tolist() == [4, 6]


def test_a_partitioned_dataset_registers_and_comes_back_with_its_partition_format(ws, tmp_path):
    ds = _upload(ws, tmp_path, {"sales/US/a.csv": "x\n1\n", "sales/FR/b.csv": "x\n2\n"})
    files = Dataset.File.from_files((ds, "sales"), partition_format="{country}/*.csv").register(ws, "sales-files")
    table = Dataset.Tabular.from_delimited_files((ds, "sales/**"), partition_format="{country}/*.csv")
    table.register(ws, "sales-table")

    assert Dataset.get_by_name(ws, "sales-files").partition_keys == ["country"] == files.partition_keys
    again = Dataset.get_by_name(ws, "sales-table")
    assert again.partition_keys == ["country"] and again.recipe() == table.recipe()
    assert again.to_pandas_dataframe().to_dict("list") == {"x": [2, 1], "country": ["FR", "US"]}


@pytest.mark.timeout(120)
def test_unregistered_versions_are_gone_by_name_and_what_a_run_read_is_kept(ws, write_script, tmp_path):
    from duto.facade.datasets import unregister_dataset

    ds = _upload(ws, tmp_path, {"raw/a.csv": "one"})
    first = Dataset.File.from_files((ds, "raw/a.csv")).register(ws, "table")
    _upload(ws, tmp_path, {"raw/a.csv": "two"})
    Dataset.File.from_files((ds, "raw/a.csv")).register(ws, "table", create_new_version=True)
    src = write_script("read.py", READ)
    table = Dataset.get_by_name(ws, "table", version=1).as_named_input("table").as_download()
    step = PythonScriptStep("read.py", source_directory=src, arguments=[table], inputs=[table])
    run = Experiment(ws, "unregistered").submit(Pipeline(ws, [step]))
    run.wait_for_completion(show_output=False, raise_on_error=True)

    assert unregister_dataset(ws, "table", "latest") == [2]
    assert Dataset.get_by_name(ws, "table").version == 1
    with pytest.raises(AssetNotFoundError, match="no version 2; its versions: 1"):
        unregister_dataset(ws, "table", 2)
    assert first.unregister_all_versions(ws) == [1]
    with pytest.raises(AssetNotFoundError, match="no dataset 'table'"):
        Dataset.get_by_name(ws, "table")
    assert "table" not in ws.datasets
    with pytest.raises(ConfigError, match="not registered"):
        Dataset.File.from_files((ds, "raw/a.csv")).unregister_all_versions(ws)

    # The run that read version 1 keeps its content through cache gc: it re-runs, reused.
    (ds.root / "raw" / "a.csv").unlink()
    collect_garbage(ws)
    assert ws.content_store.intact(first.registration.digest)
    again = Experiment(ws, "unregistered").submit(Pipeline(ws, [step]))
    again.wait_for_completion(show_output=False, raise_on_error=True)
    assert again.get_steps()[0].is_reused

    # A new registration takes the next number, never an unregistered one.
    _upload(ws, tmp_path, {"raw/a.csv": "three"})
    assert Dataset.File.from_files((ds, "raw/a.csv")).register(ws, "table").version == 3
