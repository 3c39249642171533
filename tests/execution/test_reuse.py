"""Reuse end to end: what is reused, what runs again and why, and the store behind it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from duto import DataPath, Dataset, Experiment
from duto.pipeline import Pipeline, PipelineData, PipelineParameter
from duto.pipeline.steps import CommandStep, PythonScriptStep

COUNTING_STEP = """
import os, sys
from pathlib import Path
with open({counter!r}, "a") as f:
    f.write("{name}\\n")
source, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)
text = Path(source).read_text() if os.path.isfile(source) else Path(source, "out.txt").read_text()
Path(target, "out.txt").write_text(text + "{suffix}")
"""


@pytest.fixture
def three_steps(ws, tmp_path):
    """a -> b -> c, each appending its name to a counter file when it executes."""
    counter = tmp_path / "executions.txt"
    data = tmp_path / "raw"
    data.mkdir()
    (data / "data.csv").write_text("1,2,3\n")
    ds = ws.get_default_datastore()
    ds.upload(str(data), target_path="raw", show_progress=False)
    folders = {}
    for name in "abc":
        folder = ws.root / "steps" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.py").write_text(COUNTING_STEP.format(counter=str(counter), name=name, suffix=name))
        folders[name] = folder

    def build(**step_options):
        raw = Dataset.File.from_files(DataPath(ds, "raw/data.csv")).as_named_input("raw")
        ab, bc = PipelineData("ab"), PipelineData("bc")
        a = PythonScriptStep(
            "a.py", source_directory=str(folders["a"]), arguments=[raw, ab], outputs=[ab], **step_options.get("a", {})
        )
        b = PythonScriptStep(
            "b.py", source_directory=str(folders["b"]), arguments=[ab, bc], outputs=[bc], **step_options.get("b", {})
        )
        c_out = PipelineData("final")
        c = PythonScriptStep(
            "c.py",
            source_directory=str(folders["c"]),
            arguments=[bc, c_out],
            outputs=[c_out],
            **step_options.get("c", {}),
        )
        return Pipeline(ws, [a, b, c])

    def executions() -> list[str]:
        return counter.read_text().split() if counter.exists() else []

    return build, executions, folders, ds


def run_to_end(ws, pipeline, **submit):
    run = Experiment(ws, "reuse").submit(pipeline, **submit)
    assert run.wait_for_completion(show_output=False) == "Finished"
    return run


def by_name(run):
    return {s.name: s for s in run.get_steps()}


def test_a_resubmitted_pipeline_is_fully_reused(ws, three_steps, tmp_path):
    build, executions, _, _ = three_steps
    first = run_to_end(ws, build())
    assert executions() == ["a", "b", "c"]
    second = run_to_end(ws, build())
    assert executions() == ["a", "b", "c"], "nothing executed again"

    steps, originals = by_name(second), by_name(first)
    for name in ("a.py", "b.py", "c.py"):
        step = steps[name]
        assert step.get_status() == "Finished" and step.is_reused
        info = step.get_reuse_info()
        assert info["reused_from"] == {"run_id": first.id, "step_run_id": originals[name].id, "step": name}
        assert step.get_details()["reason"] == f"reused from {first.id}/{name}"
        assert step.fingerprint == originals[name].fingerprint
    final = steps["c.py"].get_output_data("final").download(tmp_path / "down", show_progress=False)
    assert (Path(final) / "out.txt").read_text() == "1,2,3\nabc"
    assert not originals["a.py"].is_reused
    assert originals["a.py"].get_reuse_info()["reasons"] == ["first run of this step"]
    # The stream tells each reused step as it tells an executed one: its decision, then its status.
    told = [(e.kind, e.payload.get("step"), e.payload.get("status")) for e in second.events_after(0, 1000)]
    per_step = [(kind, step) for kind, step, _ in told if step is not None]
    assert per_step == [(kind, n) for n in ("a.py", "b.py", "c.py") for kind in ("reuse_decision", "step_status")]
    assert [status for kind, _, status in told if kind == "run_status"] == ["NotStarted", "Finished"]


def test_editing_one_script_reruns_it_and_only_the_dependents_whose_input_changed(ws, three_steps):
    build, executions, folders, _ = three_steps
    run_to_end(ws, build())
    script = folders["b"] / "b.py"
    script.write_text(script.read_text().replace('+ "b"', '+ "B"'))
    changed = run_to_end(ws, build())
    assert executions() == ["a", "b", "c", "b", "c"]
    steps = by_name(changed)
    assert steps["a.py"].is_reused
    assert steps["b.py"].get_reuse_info()["reasons"] == ["code: b.py changed (+1 -1 lines)"]
    assert steps["c.py"].get_reuse_info()["reasons"] == ["input 'bc' changed because step 'b.py' ran again"]

    # Content decides, not lineage: b runs again but writes the same bytes, so c is reused.
    script.write_text(script.read_text() + "# a comment changes the code, not the output\n")
    same_output = run_to_end(ws, build())
    assert executions()[-1:] == ["b"]
    steps = by_name(same_output)
    assert not steps["b.py"].is_reused and steps["c.py"].is_reused


def test_data_bytes_behind_a_datapath_decide_not_its_mtime(ws, three_steps):
    build, executions, _, ds = three_steps
    run_to_end(ws, build())
    stored = ds.root / "raw" / "data.csv"
    os.utime(stored, ns=(stored.stat().st_atime_ns, stored.stat().st_mtime_ns + 5_000_000_000))
    touched = run_to_end(ws, build())
    assert executions() == ["a", "b", "c"], "a new mtime with the same bytes is still reused"
    assert all(s.is_reused for s in touched.get_steps())

    stored.write_text("4,5,6\n")
    changed = run_to_end(ws, build())
    assert executions() == ["a", "b", "c", "a", "b", "c"]
    assert by_name(changed)["a.py"].get_reuse_info()["reasons"] == ["file raw/data.csv changed"]


def test_knobs_regenerate_allow_reuse_and_version(ws, three_steps):
    build, executions, _, _ = three_steps
    run_to_end(ws, build())
    regenerated = run_to_end(ws, build(), regenerate_outputs=True)
    assert executions()[3:] == ["a", "b", "c"]
    assert by_name(regenerated)["a.py"].get_reuse_info()["reasons"][0] == "regenerate_outputs was set"

    never = run_to_end(ws, build(b={"allow_reuse": False}))
    assert executions()[6:] == ["b"], "b runs; its output is the same, so c is reused"
    assert by_name(never)["b.py"].get_reuse_info()["reasons"][0] == "allow_reuse=False"

    salted = run_to_end(ws, build(a={"version": "2"}))
    assert executions()[7:] == ["a"]
    assert by_name(salted)["a.py"].get_reuse_info()["reasons"] == ["version: None -> 2"]


def test_parameters_and_hash_paths_are_part_of_the_fingerprint(ws, write_script, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "util.py").write_text("X = 1\n")
    src = write_script("p.py", "import sys\nprint(sys.argv[1:])\n")
    lr = PipelineParameter("lr", default_value=0.01)

    def build():
        return Pipeline(
            ws, [PythonScriptStep("p.py", source_directory=src, arguments=["--lr", lr], hash_paths=[str(shared)])]
        )

    run_to_end(ws, build())
    assert by_name(run_to_end(ws, build()))["p.py"].is_reused
    changed = by_name(run_to_end(ws, build(), pipeline_parameters={"lr": 0.1}))["p.py"]
    assert changed.get_reuse_info()["reasons"] == ["parameter lr: 0.01 -> 0.1"]
    (shared / "util.py").write_text("X = 2\n")
    helper_changed = by_name(run_to_end(ws, build(), pipeline_parameters={"lr": 0.1}))["p.py"]
    assert helper_changed.get_reuse_info()["reasons"] == [f"hash_paths: {shared} changed"]


def test_a_missing_or_corrupt_blob_turns_the_hit_into_a_rerun(ws, three_steps):
    build, executions, _, _ = three_steps
    first = run_to_end(ws, build())
    cas = ws.content_store
    output = by_name(first)["a.py"].get_output_data("ab")
    blob = cas.blob_path(cas.files_of(output.digest)["out.txt"])
    blob.unlink()
    rerun = run_to_end(ws, build())
    assert executions() == ["a", "b", "c", "a"]
    reasons = by_name(rerun)["a.py"].get_reuse_info()["reasons"]
    digest = cas.files_of(output.digest)["out.txt"]
    assert reasons == [f"the earlier result with this fingerprint is gone (its output blob {digest[:16]} is missing)"]

    # Same size, other bytes: its stat changed, so the hit re-hashes it and runs the step again.
    blob = cas.blob_path(cas.files_of(by_name(rerun)["a.py"].get_output_data("ab").digest)["out.txt"])
    blob.chmod(0o644)
    blob.write_text(blob.read_text().upper())
    run_to_end(ws, build())
    assert executions() == ["a", "b", "c", "a", "a"]


def test_a_step_that_changes_its_input_in_place_fails_clearly(ws, write_script, tmp_path):
    src = write_script(
        "make.py", "import os, sys\nos.makedirs(sys.argv[1])\nopen(sys.argv[1] + '/f', 'w').write('x')\n"
    )
    write_script("meddle.py", "import sys\nopen(sys.argv[1] + '/f', 'a').write('changed')\n")
    data = PipelineData("data")
    make = PythonScriptStep("make.py", source_directory=src, arguments=[data], outputs=[data])
    meddle = PythonScriptStep("meddle.py", source_directory=src, arguments=[data])
    run = Experiment(ws, "meddle").submit(Pipeline(ws, [make, meddle]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    step = by_name(run)["meddle.py"]
    assert "changed its input file" in step.reason and "in place" in step.reason
    # The stored output it changed no longer counts as sound: the producer runs again next time.
    again = Experiment(ws, "meddle").submit(Pipeline(ws, [make]))
    again.wait_for_completion(show_output=False)
    assert not by_name(again)["make.py"].is_reused


def test_concurrent_runs_execute_each_fingerprint_once(ws, tmp_path):
    counter = tmp_path / "count.txt"
    command = f'echo x >> {counter} && sleep 1 && mkdir -p "$DUTO_OUTPUT_out" && echo done > "$DUTO_OUTPUT_out/f"'

    def build():
        out = PipelineData("out")
        return Pipeline(ws, [CommandStep(command, name="slow", outputs=[out])])

    runs, errors = [], []

    def submit():
        try:
            runs.append(Experiment(ws, "race").submit(build()))
        except Exception as exc:  # reported below, with its traceback, rather than lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for run in runs:
        assert run.wait_for_completion(show_output=False) == "Finished"
    assert counter.read_text().split() == ["x"]
    assert sorted(by_name(r)["slow"].is_reused for r in runs) == [False, True]


def test_ignored_files_are_not_part_of_the_code_snapshot(ws, write_script):
    src = write_script("s.py", "print('hi')\n")
    Path(src, ".amlignore").write_text("notes.txt\n")
    Path(src, ".gitignore").write_text("*.log\n")
    Path(src, "notes.txt").write_text("draft 1")

    def build():
        return Pipeline(ws, [PythonScriptStep("s.py", source_directory=src)])

    first = run_to_end(ws, build())
    assert set(by_name(first)["s.py"].get_reuse_info()["components"]["code"]) == {"s.py", ".amlignore", ".gitignore"}
    Path(src, "notes.txt").write_text("draft 2")
    Path(src, "debug.log").write_text("noise")
    assert by_name(run_to_end(ws, build()))["s.py"].is_reused
    Path(src, "helper.py").write_text("X = 1\n")
    added = by_name(run_to_end(ws, build()))["s.py"]
    assert added.get_reuse_info()["reasons"] == ["code: helper.py added"]
