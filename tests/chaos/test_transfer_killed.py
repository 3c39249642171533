"""Chaos: the runner is killed with SIGKILL while a DataTransferStep copies 120 files from a local datastore to S3
(moto's server on 127.0.0.1). Nothing is under the destination's name afterwards; the resumed run copies only
the files the killed one had not copied and verified, and the destination ends byte-equal to the source."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from chaos.conftest import new_workspace
from conftest import poll, run_duto
from duto import Datastore, Experiment
from duto.graph.data_reference import DataReference
from duto.pipeline import Pipeline
from duto.pipeline.steps import DataTransferStep
from duto.processes import alive

FILES = 120
SIZE = 128 * 1024


def journal_lines(ws) -> int:  # type: ignore[no-untyped-def]
    folder = ws.root / ".duto" / "transfers"
    journals = list(folder.glob("*.jsonl")) if folder.is_dir() else []
    return sum(line.endswith("}") for j in journals for line in j.read_text().splitlines())


@pytest.mark.timeout(240)
def test_a_transfer_killed_half_way_leaves_no_partial_destination_and_resumes_without_copying_again(
    tmp_path: Path, workspaces, figures, s3_endpoint, s3_bucket, s3_client
):
    ws = new_workspace(workspaces, tmp_path / "ws")
    lake = Datastore.register_s3(
        ws, "lake", s3_bucket, endpoint_url=s3_endpoint, region="us-east-1", access_key_id="k", secret_access_key="s"
    )
    source = ws.get_default_datastore().root / "raw"
    source.mkdir(parents=True)
    expected = {}
    for i in range(FILES):
        data = os.urandom(SIZE)
        (source / f"part-{i:03}.bin").write_bytes(data)
        expected[f"landed/part-{i:03}.bin"] = data
    step = DataTransferStep(
        "upload",
        DataReference(ws.get_default_datastore(), "raw", "raw"),
        DataReference(lake, "landed", "landed"),
    )

    run = Experiment(ws, "chaos").submit(Pipeline(ws, [step]))
    poll(lambda: journal_lines(ws) >= 10, timeout=120, interval=0.01)
    runner = run._row.runner_pid
    os.kill(runner, signal.SIGKILL)
    poll(lambda: not alive(runner), timeout=10)
    verified = journal_lines(ws)
    assert 10 <= verified < FILES, f"the kill came while the copy went on ({verified} of {FILES} verified)"

    landed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix="landed").get("KeyCount", 0)
    assert landed == 0, "nothing is under the destination's name before every file is copied and verified"
    staged = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=".duto-staging/").get("KeyCount", 0)
    assert staged >= verified

    resumed = run_duto("runs", "resume", run.id, "--detach", cwd=ws.root)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert run.wait_for_completion(show_output=False, timeout_seconds=180) == "Finished"

    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix="landed/")["Contents"]
    assert len(listed) == FILES
    for item in listed:
        body = s3_client.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read()
        assert body == expected[item["Key"]], item["Key"]
    assert s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=".duto-staging/").get("KeyCount", 0) == 0

    copy = run.find_step_run("upload")[0]
    metrics = copy.get_metrics()
    assert metrics["files_skipped"] == verified, "every file verified before the kill is skipped"
    assert metrics["files_copied"] == FILES - verified, "and only the others are copied"
    assert f"{verified} already copied and verified" in copy.get_stdout_log()
    assert [a["outcome"] for a in copy.attempts] == ["interrupted"]
    figures.append(f"runner SIGKILLed with {verified} of {FILES} files ({SIZE // 1024} KiB each) verified")
    figures.append(f"resumed: {FILES - verified} copied, {verified} skipped; destination byte-equal, no staging left")
