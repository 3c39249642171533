"""`duto why`, `duto runs show` and `duto cache list|verify|gc` on a workspace with reused steps."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_duto, stray_name
from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

WRITE = "import os, sys\nos.makedirs(sys.argv[1], exist_ok=True)\nopen(sys.argv[1] + '/f.txt', 'w').write('v1')\n"


def duto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, columns=250)


def pipeline(ws, src):
    out = PipelineData("out")
    return Pipeline(ws, [PythonScriptStep("write.py", source_directory=src, arguments=[out], outputs=[out])])


def test_why_runs_show_and_cache_commands(ws, write_script):
    src = write_script("write.py", WRITE)
    first = Experiment(ws, "cli").submit(pipeline(ws, src))
    first.wait_for_completion(show_output=False)
    Path(src, "write.py").write_text(WRITE + "# edited\n")
    second = Experiment(ws, "cli").submit(pipeline(ws, src))
    second.wait_for_completion(show_output=False)
    third = Experiment(ws, "cli").submit(pipeline(ws, src))
    third.wait_for_completion(show_output=False)

    why = duto("why", second.id[:8], cwd=ws.root)
    assert why.returncode == 0, why.stderr
    assert "code: write.py changed (+1 -0 lines)" in why.stdout
    reused = duto("why", third.id, "write.py", cwd=ws.root)
    assert f"Reused  from {second.id}/write.py" in reused.stdout
    show = duto("runs", "show", third.id, cwd=ws.root)
    assert "Reused" in show.stdout and f"reused from {second.id}/write.py" in show.stdout
    assert "ran because first run of this step" in duto("runs", "show", first.id, cwd=ws.root).stdout
    missing = duto("why", third.id, "nope", cwd=ws.root)
    assert missing.returncode == 1 and "has no step 'nope'" in missing.stderr

    listing = duto("cache", "list", cwd=ws.root)
    assert listing.returncode == 0 and listing.stdout.count("write.py") == 2

    cas = ws.content_store
    stray = cas.tmp / stray_name("leftover")
    stray.write_bytes(b"half written")
    orphan = cas.put_manifest({"kind": "tree", "files": {}})
    gc = duto("cache", "gc", cwd=ws.root)
    assert gc.returncode == 0 and "1 temporary files" in gc.stdout
    assert not stray.exists() and cas.manifest(orphan) is None
    assert duto("cache", "verify", cwd=ws.root).returncode == 0

    output = third.get_steps()[0].get_output_data("out")
    blob = cas.blob_path(cas.files_of(output.digest)["f.txt"])
    blob.chmod(0o644)
    blob.write_text("v2")
    verify = duto("cache", "verify", cwd=ws.root)
    assert verify.returncode == 1 and "1 corrupt" in verify.stdout and "reuse entries dropped" in verify.stdout
    fourth = Experiment(ws, "cli").submit(pipeline(ws, src))
    fourth.wait_for_completion(show_output=False)
    assert not fourth.get_steps()[0].is_reused
