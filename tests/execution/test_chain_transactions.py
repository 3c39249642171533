"""What a chain pays in write transactions: the next step takes its slot in the transaction that commits the step
before it, so each step costs two (its commit with the next one's slot, and its Running status), not three."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

LINK = """
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
before = open(os.path.join(sys.argv[2], "n")).read() if len(sys.argv) > 2 else "0"
open(os.path.join(sys.argv[1], "n"), "w").write(str(int(before) + 1))
"""


def chain(count: int, source: str) -> list[PythonScriptStep]:
    data = [PipelineData(f"d{i}") for i in range(count)]
    return [
        PythonScriptStep(
            "link.py",
            name=f"link_{i}",
            arguments=[out, *data[i - 1 : i]],
            inputs=data[i - 1 : i],
            outputs=[out],
            source_directory=source,
            allow_reuse=False,
        )
        for i, out in enumerate(data)
    ]


def feeding(first_source: str, second_script: str, second_source: str) -> list[PythonScriptStep]:
    """Step `a` (link.py) writes PipelineData `first`; step `b` reads it and writes `second`."""
    first, second = PipelineData("first"), PipelineData("second")
    return [
        PythonScriptStep("link.py", name="a", arguments=[first], outputs=[first], source_directory=first_source),
        PythonScriptStep(
            second_script,
            name="b",
            arguments=[second, first],
            inputs=[first],
            outputs=[second],
            source_directory=second_source,
        ),
    ]


def runner_commits(ws, source: str, count: int) -> tuple[int, list[tuple[str, str, str]]]:
    """The transactions the runner of a `count`-step chain committed, and the run's step events in order."""
    commits = 0

    def count_commit(_connection) -> None:  # type: ignore[no-untyped-def]
        nonlocal commits
        if threading.current_thread().name.startswith("duto-runner-"):
            commits += 1

    event.listen(ws.database.engine, "commit", count_commit)
    try:
        run = Experiment(ws, f"chain{count}").submit(Pipeline(ws, chain(count, source)))
        assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"
    finally:
        event.remove(ws.database.engine, "commit", count_commit)
    events = [
        (e.kind, e.payload.get("step", ""), e.payload.get("status", ""))
        for e in ws.runs_store.events_after(run.id, 0)
        if e.kind in ("step_status", "reuse_decision")
    ]
    return commits, events


@pytest.mark.timeout(180)
def test_a_chains_next_step_takes_its_slot_in_the_commit_of_the_step_before_it(ws, write_script, monkeypatch):
    monkeypatch.setenv("DUTO_RUNNER", "thread")  # the runner on a thread of this process, where it can be counted
    source = write_script("link.py", LINK)
    short, _ = runner_commits(ws, source, 3)
    long, events = runner_commits(ws, source, 7)
    assert (long - short) / 4 == 2, f"{long - short} transactions for 4 more steps: 2 a step, not 3"
    for i in range(1, 7):
        finished = events.index(("step_status", f"link_{i - 1}", "Finished"))
        assert events[finished + 1 : finished + 3] == [
            ("reuse_decision", f"link_{i}", ""),
            ("step_status", f"link_{i}", "Preparing"),
        ], "the next step's decision and slot come right after the step before it finished"
        assert events.index(("step_status", f"link_{i}", "Running")) > finished + 2


READS_ITS_INPUTS = """
import json, os, sys
from duto import Run
os.makedirs(sys.argv[1], exist_ok=True)
seen = {
    "inputs": {name: os.path.isdir(path) for name, path in Run.get_context().input_datasets.items()},
    "inline": "DUTO_INPUTS" in os.environ,
    "file": "DUTO_INPUTS_FILE" in os.environ,
}
open(os.path.join(sys.argv[1], "seen.json"), "w").write(json.dumps(seen))
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("inline_bytes", [32 * 1024, 10], ids=["inline", "file"])
def test_a_step_gets_its_inputs_map_inline_when_small_and_in_a_file_otherwise(
    ws, write_script, monkeypatch, inline_bytes
):
    from duto.execution import materialize

    monkeypatch.setenv("DUTO_RUNNER", "thread")  # the runner in this process, where its limit can be lowered
    monkeypatch.setattr(materialize, "INLINE_INPUTS_BYTES", inline_bytes)
    source = write_script("link.py", LINK)
    write_script("reads.py", READS_ITS_INPUTS)
    steps = feeding(source, "reads.py", source)
    run = Experiment(ws, "inputs").submit(Pipeline(ws, steps))
    assert run.wait_for_completion(show_output=False, timeout_seconds=100) == "Finished"
    reads = run.find_step_run("b")[0]
    saw = json.loads(Path(reads.get_output_data("second").local_path, "seen.json").read_text())
    inline = inline_bytes > 10
    assert saw == {"inputs": {"first": True}, "inline": inline, "file": not inline}
    assert list(reads.input_datasets) == ["first"], "inputs.json is kept for a look after the run either way"


FAILS = """
import sys
sys.exit(3)
"""


@pytest.mark.timeout(120)
def test_a_failed_step_leaves_no_empty_folder_where_its_outputs_would_have_been_published(ws, write_script):
    source = write_script("link.py", LINK)
    write_script("fails.py", FAILS)
    kept, lost = PipelineData("kept"), PipelineData("lost")
    steps = [
        PythonScriptStep("link.py", name="ok", arguments=[kept], outputs=[kept], source_directory=source),
        PythonScriptStep("fails.py", name="fails", outputs=[lost], source_directory=source),
    ]
    run = Experiment(ws, "publish").submit(Pipeline(ws, steps), continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=100) == "Failed"
    ok, fails = run.find_step_run("ok")[0], run.find_step_run("fails")[0]
    assert ok.get_output_data("kept").local_path.joinpath("n").read_text() == "1"
    published = ok.get_output_data("kept").local_path.parent.parent  # azureml/ on the default datastore
    assert not (published / fails.id).exists(), "the empty folder made for the failed step's output is gone"


@pytest.mark.timeout(120)
def test_a_step_its_upstreams_commit_finds_reusable_is_reused_after_that_commit_with_one_decision(ws, write_script):
    source_a, source_b = write_script("link.py", LINK, folder="a"), write_script("link.py", LINK, folder="b")

    def submit():  # type: ignore[no-untyped-def]
        steps = feeding(source_a, "link.py", source_b)
        run = Experiment(ws, "reused-after").submit(Pipeline(ws, steps), regenerate_outputs=False)
        assert run.wait_for_completion(show_output=False, timeout_seconds=100) == "Finished"
        return run

    submit()
    # `a` runs again (its code changed) and writes the same bytes: `b`, ready in a's commit, is reused.
    Path(source_a, "link.py").write_text(LINK + "\n# a comment changes the code, not what it writes\n")
    again = submit()
    a, b = again.find_step_run("a")[0], again.find_step_run("b")[0]
    assert not a.is_reused and b.is_reused
    decisions = [e for e in ws.runs_store.events_after(again.id, 0) if e.kind == "reuse_decision"]
    assert sorted(e.payload["step"] for e in decisions) == ["a", "b"], "one decision each"
