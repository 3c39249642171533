"""A workspace whose runs read, write and copy S3 data (moto's server on 127.0.0.1) never holds its credentials
anywhere but its secrets file: not in the DB (nor its WAL), config.json, logs, events, the content store, the
CLI's output or the server's REST answers. Every byte is grepped."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from conftest import run_duto
from duto import Dataset, Datastore, Experiment
from duto.data import OutputFileDatasetConfig
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import DataTransferStep, PythonScriptStep
from server.conftest import start_server, stop_server

COPY = """
import os, shutil, sys
shutil.copytree(sys.argv[1], sys.argv[2])
print("copied", sorted(os.listdir(sys.argv[2])))
"""


@pytest.mark.timeout(180)
def test_credentials_appear_nowhere_but_the_secrets_file(ws, write_script, tmp_path, s3_endpoint, s3_bucket):
    key, secret = f"AKIA{uuid.uuid4().hex[:16].upper()}", f"never-shown-{uuid.uuid4().hex}"
    lake = Datastore.register_s3(
        ws,
        "lake",
        s3_bucket,
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id=key,
        secret_access_key=secret,
    )
    lake.backend.fs.pipe({"raw/a.csv": b"a", "raw/b.csv": b"b"})
    src = write_script("copy.py", COPY)
    raw = Dataset.File.from_files((lake, "raw/**")).as_named_input("raw").as_download()
    written = OutputFileDatasetConfig("written", destination=(lake, "written/{run-id}"))
    work = PythonScriptStep("copy.py", name="work", source_directory=src, arguments=[raw, written])
    back = PipelineData("back")
    fetch = DataTransferStep("fetch", written.as_input("written"), back)
    run = Experiment(ws, "secrets").submit(Pipeline(ws, [work, fetch]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"
    assert sorted(p.name for p in run.find_step_run("fetch")[0].get_output_data("back").local_path.iterdir()) == [
        "a.csv",
        "b.csv",
    ]

    said = []
    for args in (("runs", "show", run.id), ("logs", run.id, "work"), ("logs", run.id, "fetch"), ("why", run.id)):
        result = run_duto(*args, cwd=ws.root)
        assert result.returncode == 0, result.stderr
        said.append(result.stdout + result.stderr)
    served = start_server(ws, tmp_path / "server.log")
    try:
        with served.client("read") as client:
            paths = [f"/api/runs/{run.id}", f"/api/runs/{run.id}/graph", "/api/runs", "/api/compute"]
            for step in run.get_steps():
                base = f"/api/runs/{run.id}/steps/{step.id}"
                paths += [base, f"{base}/outputs", f"{base}/why", f"{base}/environment", f"{base}/metrics"]
            for path in paths:
                answer = client.get(path)
                assert answer.status_code == 200, (path, answer.text)
                said.append(answer.text)
            work = run.find_step_run("work")[0]
            listed = client.get(f"/api/runs/{run.id}/steps/{work.id}/outputs").json()
            assert [(o["datastore"], [f["path"] for f in o["files"]]) for o in listed] == [
                ("lake", ["a.csv", "b.csv"])
            ], "an output on S3 is listed from its record in the store"
    finally:
        stop_server(served)

    for text in said:
        assert key not in text and secret not in text
    secrets_file = ws.root / ".duto" / "secrets.json"
    assert secret.encode() in secrets_file.read_bytes(), "the secret is kept, in its one place"
    looked_at = 0
    for path in sorted(Path(ws.root, ".duto").rglob("*")):
        if path.is_file() and path != secrets_file:
            data = path.read_bytes()
            looked_at += 1
            assert key.encode() not in data and secret.encode() not in data, f"a credential is in {path}"
    names = {p.name for p in Path(ws.root, ".duto").rglob("*")}
    assert {"config.json", "duto.db", "std_log.txt", "runner.log"} <= names
    assert looked_at > 20
