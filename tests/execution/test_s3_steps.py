"""Steps that read from and write to an S3 datastore (moto's server on 127.0.0.1), in real runs: S3 datasets
arrive as copies, outputs are uploaded under their datastore path, and reuse follows the objects' content."""

from __future__ import annotations

import pytest

from duto import Dataset, Datastore, Experiment
from duto.data import OutputFileDatasetConfig
from duto.graph.data_reference import DataReference
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.timeout(120)

# Copies every file of its input folder (or its one input file) into its output folder, prefixed "seen:".
COPY = """
import os, sys
source, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
pairs = [(source, os.path.basename(source))] if os.path.isfile(source) else [
    (os.path.join(d, n), os.path.relpath(os.path.join(d, n), source)) for d, _, names in os.walk(source) for n in names
]
for path, rel in pairs:
    os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
    with open(path, "rb") as f, open(os.path.join(out, rel), "wb") as g:
        g.write(b"seen:" + f.read())
print("copied", len(pairs))
"""


@pytest.fixture
def lake(ws, s3_endpoint, s3_bucket):  # type: ignore[no-untyped-def]
    return Datastore.register_s3(
        ws,
        "lake",
        s3_bucket,
        prefix="team",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="AKIASTEPTEST",
        secret_access_key="step-test-secret",
    )


def objects(s3_client, bucket: str, prefix: str) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: s3_client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def pipeline(ws, lake, src: str):  # type: ignore[no-untyped-def]
    raw = Dataset.File.from_files((lake, "raw/**")).as_named_input("raw").as_mount()
    one = DataReference(lake, "one", "single/a.csv", mode="download")
    out = OutputFileDatasetConfig("copied", destination=(lake, "out/{run-id}"))
    middle = PipelineData("middle", datastore=lake)
    first = PythonScriptStep("copy.py", name="first", source_directory=src, arguments=[raw, out], inputs=[raw])
    single = PythonScriptStep(
        "copy.py", name="single", source_directory=src, arguments=[one, middle], inputs=[one], outputs=[middle]
    )
    again = OutputFileDatasetConfig("again", destination=(ws.get_default_datastore(), "again/{run-id}"))
    last = PythonScriptStep("copy.py", name="last", source_directory=src, arguments=[middle.as_download(), again])
    return Pipeline(ws, [first, single, last])


def test_steps_read_s3_data_write_s3_outputs_and_are_reused_while_it_is_unchanged(
    ws, lake, write_script, s3_client, s3_bucket
):
    lake.backend.fs.pipe({"raw/a.csv": b"a", "raw/sub/b.csv": b"b", "single/a.csv": b"one"})
    src = write_script("copy.py", COPY)

    run = Experiment(ws, "s3").submit(pipeline(ws, lake, src))
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"

    first = run.find_step_run("first")[0]
    written = first.get_output_data("copied")
    assert written.datastore_name == "lake" and written.path_on_datastore == f"out/{first.id}"
    assert objects(s3_client, s3_bucket, f"team/out/{first.id}/") == {"a.csv": b"seen:a", "sub/b.csv": b"seen:b"}
    single = run.find_step_run("single")[0]
    assert objects(s3_client, s3_bucket, f"team/azureml/{single.id}/middle/") == {"a.csv": b"seen:one"}
    last = run.find_step_run("last")[0]
    assert (last.get_output_data("again").local_path / "a.csv").read_bytes() == b"seen:seen:one"
    downloaded = written.download(ws.root / "fetched", show_progress=False)
    assert (ws.root / "fetched" / f"out/{first.id}" / "sub" / "b.csv").read_bytes() == b"seen:b", downloaded

    rerun = Experiment(ws, "s3").submit(pipeline(ws, lake, src))
    assert rerun.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    assert all(step.is_reused for step in rerun.get_steps())

    # A rewritten object (a new ETag, other bytes) runs the steps that read it, and only those.
    lake.backend.fs.pipe_file("raw/sub/b.csv", b"B")
    changed = Experiment(ws, "s3").submit(pipeline(ws, lake, src))
    assert changed.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    reused = {step.name: step.is_reused for step in changed.get_steps()}
    assert reused == {"first": False, "single": True, "last": True}
    again = changed.find_step_run("first")[0]
    assert objects(s3_client, s3_bucket, f"team/out/{again.id}/")["sub/b.csv"] == b"seen:B"
    assert any("raw" in reason for reason in again.get_reuse_info()["reasons"])


def test_an_output_gone_from_s3_is_uploaded_again_when_it_is_reused(ws, lake, write_script, s3_client, s3_bucket):
    lake.backend.fs.pipe({"raw/a.csv": b"a", "single/a.csv": b"one"})
    src = write_script("copy.py", COPY)
    run = Experiment(ws, "s3").submit(pipeline(ws, lake, src))
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    first = run.find_step_run("first")[0]
    lake.backend.remove(f"out/{first.id}")
    assert objects(s3_client, s3_bucket, f"team/out/{first.id}/") == {}

    rerun = Experiment(ws, "s3").submit(pipeline(ws, lake, src))
    assert rerun.wait_for_completion(show_output=False, timeout_seconds=90) == "Finished"
    assert rerun.find_step_run("first")[0].is_reused
    assert objects(s3_client, s3_bucket, f"team/out/{first.id}/") == {"a.csv": b"seen:a"}
