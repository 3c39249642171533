"""DataTransferStep in real runs: local -> S3 (moto's server on 127.0.0.1) -> local byte-equal, S3 -> S3, local ->
local, reuse while the source is unchanged, its copy checked before it is reused, and a step reading its output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Datastore, Experiment
from duto.data import OutputFileDatasetConfig
from duto.errors import ConfigError
from duto.graph.data_reference import DataReference
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import DataTransferStep, PythonScriptStep

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def lake(ws, s3_endpoint, s3_bucket):  # type: ignore[no-untyped-def]
    return Datastore.register_s3(
        ws, "lake", s3_bucket, endpoint_url=s3_endpoint, region="us-east-1", access_key_id="k", secret_access_key="s"
    )


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# Prints each file of the folder it is given, by relative path, with its content.
SHOW = """
import os, sys
for d, _, names in sorted(os.walk(sys.argv[1])):
    for n in sorted(names):
        print(os.path.relpath(os.path.join(d, n), sys.argv[1]), open(os.path.join(d, n)).read())
"""
FILES = {"a.csv": b"x,y\n1,2\n", "sub/b.bin": os.urandom(300_000), "sub/deeper/c.txt": b"c"}


def round_trip(ws, lake):  # type: ignore[no-untyped-def]
    """local raw/ -> S3 (a DataReference destination) -> local (a PipelineData) -> a step that lists it."""
    local = ws.get_default_datastore()
    up = DataTransferStep(
        "up",
        source_data_reference=DataReference(local, "raw", "raw"),
        destination_data_reference=DataReference(lake, "landed", "landed/raw"),
    )
    back = PipelineData("back", datastore=local)
    down = DataTransferStep("down", source_data_reference=DataPath(lake, "landed/raw"), destination_data_reference=back)
    down.run_after(up)
    return Pipeline(ws, [up, down])


def test_local_to_s3_and_back_is_byte_equal_and_reused_while_the_source_is_unchanged(ws, lake, s3_client, s3_bucket):
    write_files(ws.get_default_datastore().root / "raw", FILES)

    run = Experiment(ws, "transfer").submit(round_trip(ws, lake))
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"

    listed = s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(f"landed/raw/{rel}" for rel in FILES)
    down = run.find_step_run("down")[0]
    assert tree(down.get_output_data("back").local_path) == FILES
    log = down.get_stdout_log()
    assert "3 files to" in log and "published 3 files" in log and "3 copied" in log
    assert down.get_metrics()["files_copied"] == 3
    assert not (ws.root / ".duto" / "transfers").exists() or not any((ws.root / ".duto" / "transfers").iterdir())

    again = Experiment(ws, "transfer").submit(round_trip(ws, lake))
    assert again.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    assert [s.is_reused for s in again.get_steps()] == [True, True]

    # A changed source file runs both transfers again; their copies hold the new bytes.
    (ws.get_default_datastore().root / "raw" / "a.csv").write_bytes(b"changed")
    changed = Experiment(ws, "transfer").submit(round_trip(ws, lake))
    assert changed.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    assert [s.is_reused for s in changed.get_steps()] == [False, False]
    assert tree(changed.find_step_run("down")[0].get_output_data("back").local_path)["a.csv"] == b"changed"


def test_a_copy_changed_at_its_destination_is_not_reused(ws, lake):
    write_files(ws.get_default_datastore().root / "raw", FILES)
    run = Experiment(ws, "transfer").submit(round_trip(ws, lake))
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"

    lake.backend.fs.pipe_file("landed/raw/a.csv", b"tampered")
    again = Experiment(ws, "transfer").submit(round_trip(ws, lake))
    assert again.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    up = again.find_step_run("up")[0]
    assert not up.is_reused
    assert any("changed or is gone" in reason for reason in up.get_reuse_info()["reasons"])
    with lake.backend.open("landed/raw/a.csv") as copied:
        assert copied.read() == FILES["a.csv"]


def test_s3_to_s3_local_to_local_a_single_file_and_a_step_reading_the_copy(ws, lake, write_script, tmp_path):
    lake.backend.fs.pipe({"in/a.csv": b"a", "in/sub/b.csv": b"b"})
    scratch = Datastore.register_local(ws, "scratch", tmp_path / "scratch")
    write_files(scratch.root / "one", {"only.txt": b"only"})
    copied = OutputFileDatasetConfig("copied", destination=(lake, "copies/{run-id}"))
    s3_to_s3 = DataTransferStep("s3_to_s3", Dataset.File.from_files((lake, "in/**")), copied)
    single = DataTransferStep(
        "single",
        DataReference(scratch, "one", "one/only.txt"),
        DataReference(ws.get_default_datastore(), "single", "single/renamed.txt"),
        source_reference_type="file",
        destination_reference_type="file",
    )
    src = write_script("show.py", SHOW)
    show = PythonScriptStep("show.py", name="show", source_directory=src, arguments=[copied.as_input("copied")])
    run = Experiment(ws, "transfer").submit(Pipeline(ws, [s3_to_s3, single, show]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"

    step = run.find_step_run("s3_to_s3")[0]
    assert lake.backend.expand(f"copies/{step.id}") == [f"copies/{step.id}/a.csv", f"copies/{step.id}/sub/b.csv"]
    assert (ws.get_default_datastore().root / "single" / "renamed.txt").read_bytes() == b"only"
    assert run.find_step_run("show")[0].get_stdout_log().split() == ["a.csv", "a", "sub/b.csv", "b"]
    assert not lake.backend.fs.exists(".duto-staging") or lake.backend.fs.find(".duto-staging") == []


def test_a_transfer_is_defined_as_v1_defines_it():
    with pytest.raises(ConfigError, match="destination_data_reference"):
        DataTransferStep("t", source_data_reference=DataPath("ds", "raw"))
    with pytest.raises(ConfigError, match="without wildcards"):
        DataTransferStep("t", DataPath("ds", "raw"), DataReference("ds", "out"))
    with pytest.raises(ConfigError, match="'file', 'directory' or None"):
        DataTransferStep("t", DataPath("ds", "raw"), PipelineData("out"), source_reference_type="folder")
