"""A damaged content store never feeds a step and never breaks a submit: what is corrupt counts as missing."""

from __future__ import annotations

import os
from pathlib import Path

import blake3
import pytest

from duto import Experiment
from duto.facade.content_cache import verify_cache
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

MAKE = """
import os, sys
with open({counter!r}, "a") as f:
    f.write("make\\n")
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "f.txt"), "w").write("made by make")
"""
USE = """
import os, sys
with open({counter!r}, "a") as f:
    f.write("use\\n")
text = open(os.path.join(sys.argv[1], "f.txt")).read()
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "g.txt"), "w").write("use saw: " + text)
"""
# Writes same-size garbage into the file it reads in place (a hard link into the store), then puts the
# file's mtime back, so that its size and mtime say nothing changed.
SPOIL = """
import os, sys
path = os.path.join(sys.argv[1], "f.txt")
st = os.stat(path)
os.chmod(path, 0o644)
with open(path, "r+b") as f:
    f.write(b"X" * st.st_size)
os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "done"), "w").write("spoiled")
"""


@pytest.fixture
def make_use(ws, tmp_path):
    """make -> use, each noting in a counter file when it executes; returns (build, executions)."""
    counter = tmp_path / "executions.txt"
    folders = {}
    for name, code in (("make", MAKE), ("use", USE)):
        folder = ws.root / "steps" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.py").write_text(code.format(counter=str(counter)))
        folders[name] = str(folder)

    def build():
        made, used = PipelineData("made"), PipelineData("used")
        make = PythonScriptStep("make.py", source_directory=folders["make"], arguments=[made], outputs=[made])
        use = PythonScriptStep(
            "use.py", source_directory=folders["use"], arguments=[made, used], inputs=[made], outputs=[used]
        )
        return Pipeline(ws, [make, use])

    def executions() -> list[str]:
        return counter.read_text().split() if counter.exists() else []

    return build, executions


def submit(ws, pipeline):
    run = Experiment(ws, "damage").submit(pipeline)
    run.wait_for_completion(show_output=False, raise_on_error=False)
    return run


def by_name(run):
    return {s.name: s for s in run.get_steps()}


def store_files(ws) -> list[Path]:
    cas = ws.content_store
    return sorted(p for folder in (cas.blobs, cas.manifests) for p in folder.rglob("*") if p.is_file())


def used_text(ws, run) -> str:
    output = by_name(run)["use.py"].get_output_data("used")
    return Path(output.download(ws.root / "down" / run.id, show_progress=False), "g.txt").read_text()


@pytest.mark.parametrize("same_size", [False, True], ids=["random-garbage", "same-size-garbage"])
def test_a_submit_over_a_store_of_garbage_runs_everything_again_and_replaces_the_garbage(ws, make_use, same_size):
    build, executions = make_use
    first = submit(ws, build())
    assert first.get_status() == "Finished" and executions() == ["make", "use"]
    spoiled = store_files(ws)
    for path in spoiled:
        path.chmod(0o644)
        path.write_bytes(os.urandom(path.stat().st_size if same_size else 37))

    again = submit(ws, build())
    assert again.get_status() == "Finished", [s.reason for s in again.get_steps()]
    assert executions() == ["make", "use", "make", "use"], "nothing was reused from the garbage"
    assert used_text(ws, again) == "use saw: made by make", "the steps got their right inputs"
    for path in spoiled:
        named = path.parent.name + path.name if path.parent.parent.name == "blobs" else path.name[: -len(".json")]
        assert blake3.blake3(path.read_bytes()).hexdigest() == named, f"{path} was replaced with its right bytes"
    reasons = by_name(again)["make.py"].get_reuse_info()["reasons"]
    assert len(reasons) == 1 and reasons[0].startswith("the earlier result with this fingerprint is gone (its output")
    report = verify_cache(ws)
    assert (report.corrupt, report.entries_dropped) == ([], []), "the store is whole again"


def test_cache_verify_names_the_corrupt_blobs_and_the_entries_it_drops(ws, make_use):
    build, _ = make_use
    first = submit(ws, build())
    cas = ws.content_store
    made = by_name(first)["make.py"].get_output_data("made")
    blob_digest = cas.files_of(made.digest)["f.txt"]
    blob = cas.blob_path(blob_digest)
    blob.chmod(0o644)
    blob.write_bytes(b"X" * blob.stat().st_size)

    report = verify_cache(ws)
    assert [(f.kind, f.digest, f.problem) for f in report.corrupt] == [("blob", blob_digest, "corrupt")]
    assert [(d.step_name, d.pipeline_run_id, d.fault.describe()) for d in report.entries_dropped] == [
        ("make.py", first.id, f"blob {blob_digest[:16]} is corrupt")
    ]
    again = submit(ws, build())
    gone = f"dropped by cache verify: blob {blob_digest[:16]} is corrupt"
    assert by_name(again)["make.py"].get_reuse_info()["reasons"] == [
        f"the earlier result with this fingerprint is gone ({gone})"
    ]
    assert by_name(again)["use.py"].is_reused, "use's input has the same content as before: its result stands"


def test_a_step_is_never_fed_an_output_spoiled_through_a_hard_link_with_its_stat_put_back(ws, make_use):
    build, executions = make_use
    spoil_folder = ws.root / "steps" / "spoil"
    spoil_folder.mkdir(parents=True)
    (spoil_folder / "spoil.py").write_text(SPOIL)
    made, spoiled, used = PipelineData("made"), PipelineData("spoiled"), PipelineData("used")
    steps = ws.root / "steps"
    make = PythonScriptStep("make.py", source_directory=str(steps / "make"), arguments=[made], outputs=[made])
    spoil = PythonScriptStep(
        "spoil.py", source_directory=str(spoil_folder), arguments=[made.as_mount(), spoiled], outputs=[spoiled]
    )
    # use.py runs after spoil.py (it takes spoil's output too), and reads make's output as a download.
    use = PythonScriptStep(
        "use.py", source_directory=str(steps / "use"), arguments=[made, used, spoiled], outputs=[used]
    )

    run = submit(ws, Pipeline(ws, [make, spoil, use]))
    by_step = by_name(run)
    assert by_step["spoil.py"].get_status() == "Finished", "its size and mtime put back, spoil.py went unnoticed"
    assert by_step["use.py"].get_status() == "Failed" and executions() == ["make"], "use.py never started"
    assert "is corrupt in the content store" in by_step["use.py"].reason
    assert "submit the pipeline again" in by_step["use.py"].reason

    again = submit(ws, build())
    assert again.get_status() == "Finished" and executions() == ["make", "make", "use"]
    assert used_text(ws, again) == "use saw: made by make"
