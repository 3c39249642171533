"""`duto runs delete` and `duto experiments list|archive|unarchive`, run as real subprocesses."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import run_duto
from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

WRITE = """
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "f.txt"), "w").write("{text}")
"""


def duto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd, columns=250)


def finished(ws, write_script, experiment: str, text: str):
    out = PipelineData("out")
    src = write_script("write.py", WRITE.format(text=text), folder=f"src-{text}")
    step = PythonScriptStep("write.py", source_directory=src, arguments=[out], outputs=[out])
    run = Experiment(ws, experiment).submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    return run


def test_runs_delete_says_what_it_removed_and_keeps_what_another_run_reused(ws, write_script):
    first = finished(ws, write_script, "cli", "one")
    second = finished(ws, write_script, "cli", "one")  # reused from the first
    other = finished(ws, write_script, "cli", "two")
    output = first.get_steps()[0].get_output_data("out")

    unknown = duto("runs", "delete", "nope", cwd=ws.root)
    assert unknown.returncode == 1 and "no run 'nope'" in unknown.stderr and "Traceback" not in unknown.stderr

    deleted = duto("runs", "delete", first.id[:10], other.id, cwd=ws.root)
    assert deleted.returncode == 0, deleted.stderr
    lines = deleted.stdout.splitlines()
    assert lines[0].startswith(f"deleted run {first.id} (cli, Finished): ")
    assert "rows, run folder" in lines[0] and "kept 1 output(s) that other runs reused" in lines[0]
    assert lines[1].startswith(f"deleted run {other.id} (cli, Finished): ") and "1 published output(s)" in lines[1]
    assert output.local_path.is_dir(), "the second run reused it"
    assert "`duto cache gc` frees it" in deleted.stderr

    listing = duto("runs", "list", cwd=ws.root)
    assert second.id[:8] in listing.stdout and first.id[:8] not in listing.stdout and other.id[:8] not in listing.stdout
    why = duto("why", second.id, cwd=ws.root)
    assert why.returncode == 0, why.stderr
    assert f"Reused  from {first.id}/write.py (that run was deleted; the outputs reused stay)" in why.stdout
    assert duto("runs", "show", second.id, cwd=ws.root).returncode == 0
    gc = duto("cache", "gc", cwd=ws.root)
    assert gc.returncode == 0 and "removed 2 manifests" in gc.stdout, gc.stdout


def test_runs_delete_refuses_a_going_run_and_an_ambiguous_prefix(ws):
    store = ws.runs_store
    for run_id in ("abc-1", "abc-2"):
        store.create_pipeline_run(run_id, "cli", {"steps": []}, {}, {}, False, False, [])

    ambiguous = duto("runs", "delete", "abc", cwd=ws.root)
    assert ambiguous.returncode == 1
    assert "run id prefix 'abc' matches 2 runs; give more characters of the one you mean:" in ambiguous.stderr
    assert "  abc-1  cli  NotStarted" in ambiguous.stderr and "  abc-2  cli  NotStarted" in ambiguous.stderr
    going = duto("runs", "delete", "abc-1", "abc-2", cwd=ws.root)
    assert going.returncode == 1 and "Traceback" not in going.stderr
    assert "abc-1 (NotStarted), abc-2 (NotStarted)" in going.stderr and "`duto runs cancel RUN`" in going.stderr
    assert len(store.pipeline_runs()) == 2, "nothing was deleted"

    forced = duto("runs", "delete", "--force", "abc-1", cwd=ws.root)
    assert forced.returncode == 0, forced.stderr
    assert "deleted run abc-1 (cli, Canceled, canceled first)" in forced.stdout
    assert [r.id for r, _ in store.pipeline_runs()] == ["abc-2"]


def test_runs_delete_asks_on_a_terminal(ws, write_script):
    run = finished(ws, write_script, "cli", "one")
    environ = {k: v for k, v in os.environ.items() if k not in ("DUTO_WORKSPACE", "DUTO_RUNNER")}

    def answer(text: str) -> str:
        controller, terminal = pty.openpty()
        os.write(controller, text.encode())
        asked = subprocess.run(
            [sys.executable, "-m", "duto.cli", "runs", "delete", run.id],
            cwd=ws.root,
            env=environ,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        os.close(terminal)
        os.close(controller)
        return asked.stdout + asked.stderr

    refused = answer("n\n")
    assert "about to delete 1 run(s) for good" in refused and "nothing was deleted" in refused
    assert ws.get_run(run.id).get_status() == "Finished"
    assert f"deleted run {run.id}" in answer("y\n")
    assert ws.runs_store.pipeline_runs() == []


def test_experiments_archive_list_unarchive(ws, write_script):
    kept = finished(ws, write_script, "kept", "one")
    hidden = finished(ws, write_script, "hidden", "two")

    archived = duto("experiments", "archive", "hidden", cwd=ws.root)
    assert archived.returncode == 0, archived.stderr
    assert "archived experiment 'hidden' with its 1 run(s)" in archived.stdout
    listing = duto("runs", "list", cwd=ws.root).stdout
    assert kept.id[:8] in listing and hidden.id[:8] not in listing
    assert hidden.id[:8] in duto("runs", "list", "-e", "hidden", cwd=ws.root).stdout
    active = duto("experiments", "list", cwd=ws.root).stdout
    assert "kept" in active and "hidden" not in active
    assert "hidden" in duto("experiments", "list", "--archived", cwd=ws.root).stdout
    everything = duto("experiments", "list", "--all", cwd=ws.root).stdout
    assert "kept" in everything and "hidden" in everything

    back = duto("experiments", "unarchive", "hidden", cwd=ws.root)
    assert back.returncode == 0 and "experiment 'hidden' is active again" in back.stdout
    assert hidden.id[:8] in duto("runs", "list", cwd=ws.root).stdout

    gone = duto("experiments", "archive", "hidden", "--delete-runs", "--yes", cwd=ws.root)
    assert gone.returncode == 0, gone.stderr
    assert f"deleted run {hidden.id}" in gone.stdout and "archived experiment 'hidden';" in gone.stdout
    assert ws.runs_store.pipeline_runs(experiment="hidden") == []
    missing = duto("experiments", "archive", "nope", cwd=ws.root)
    assert missing.returncode == 1 and "no experiment named 'nope'" in missing.stderr
