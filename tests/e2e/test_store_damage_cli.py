"""`duto cache verify` and `duto why` when the content store lost or spoiled a step's outputs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_duto
from duto import Experiment
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import PythonScriptStep

TRAIN = (
    "import os, sys\nos.makedirs(sys.argv[2], exist_ok=True)\nopen(sys.argv[2] + '/lr.txt', 'w').write(sys.argv[1])\n"
)


def duto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, columns=250)


def submit(ws, src, lr: float):
    out = PipelineData("out")
    rate = PipelineParameter("lr", default_value=0.01)
    step = PythonScriptStep("train.py", source_directory=src, arguments=[rate, out], outputs=[out])
    run = Experiment(ws, "store").submit(Pipeline(ws, [step]), pipeline_parameters={"lr": lr})
    assert run.wait_for_completion(show_output=False) == "Finished"
    return run


def output_blob(ws, run) -> str:
    digest = run.get_steps()[0].get_output_data("out").digest
    return ws.content_store.files_of(digest)["lr.txt"]


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_why_says_the_earlier_result_is_gone_not_a_parameter_change(ws, write_script, damage):
    src = write_script("train.py", TRAIN)
    first = submit(ws, src, 0.01)
    submit(ws, src, 0.1)
    blob_digest = output_blob(ws, first)
    blob = ws.content_store.blob_path(blob_digest)
    if damage == "missing":
        blob.unlink()
        expected = f"the earlier result with this fingerprint is gone (its output blob {blob_digest[:16]} is missing)"
    else:
        blob.chmod(0o644)
        blob.write_bytes(b"X" * blob.stat().st_size)
        verify = duto("cache", "verify", cwd=ws.root)
        assert verify.returncode == 1, verify.stdout + verify.stderr
        assert f"corrupt and removed: blob {blob_digest}" in verify.stdout
        assert f"step 'train.py' of run {first.id}: blob {blob_digest[:16]} is corrupt" in verify.stdout
        expected = (
            f"the earlier result with this fingerprint is gone (dropped by cache verify: blob {blob_digest[:16]} "
            "is corrupt)"
        )

    third = submit(ws, src, 0.01)  # the fingerprint of the first run: reused, were its result still there
    why = duto("why", third.id, cwd=ws.root)
    assert why.returncode == 0, why.stderr
    assert f"    - {expected}" in why.stdout
    assert "parameter lr" not in why.stdout, "the parameter change from the run before did not cause this run"
    assert duto("cache", "verify", cwd=ws.root).returncode == 0, "the result was computed again: the store is whole"


def test_cache_verify_reports_a_store_overwritten_with_garbage(ws, write_script):
    src = write_script("train.py", TRAIN)
    first = submit(ws, src, 0.01)
    cas = ws.content_store
    files = [p for folder in (cas.blobs, cas.manifests) for p in folder.rglob("*") if p.is_file()]
    for path in files:
        path.chmod(0o644)
        path.write_bytes(os.urandom(path.stat().st_size))

    verify = duto("cache", "verify", cwd=ws.root)
    assert verify.returncode == 1
    assert f"{len(files)} blobs and manifests checked, {len(files)} corrupt" in verify.stdout
    assert f"step 'train.py' of run {first.id}: manifest" in verify.stdout
    assert "1 reuse entries dropped" in verify.stdout
    assert not any(path.exists() for path in files), "every corrupt file was removed"
    again = submit(ws, src, 0.01)
    assert not again.get_steps()[0].is_reused
