"""Deleting runs for real (`duto.facade.run_deletion`, `PipelineRun.delete`): what goes, what a kept run keeps, and what
`cache gc` reclaims afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from duto import Experiment
from duto.errors import AmbiguousRunError, RunNotEndedError, RunNotFoundError
from duto.facade.content_cache import collect_garbage
from duto.facade.run_deletion import delete_runs, resolve_runs
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.storage import models
from duto.storage.reuse_store import ReuseStore

PRODUCE = """
import os, sys
from duto import Run
Run.get_context().log("rows", 3)
os.makedirs(sys.argv[1], exist_ok=True)
open(os.path.join(sys.argv[1], "a.txt"), "w").write("made by a, only once")
"""
CONSUME = """
import os, sys
text = open(os.path.join(sys.argv[1], "a.txt")).read()
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], "b.txt"), "w").write(text + " then b {version}")
"""


def two_steps(ws, write_script, version: str) -> Pipeline:
    """a -> b; each `version` of b writes other bytes."""
    a_src = write_script("a.py", PRODUCE, folder="steps/a")
    b_src = write_script("b.py", CONSUME.format(version=version), folder="steps/b")
    ab, final = PipelineData("ab"), PipelineData("final")
    a = PythonScriptStep("a.py", source_directory=a_src, arguments=[ab], outputs=[ab])
    b = PythonScriptStep("b.py", source_directory=b_src, arguments=[ab, final], outputs=[final])
    return Pipeline(ws, [a, b])


def finished(ws, pipeline):
    run = Experiment(ws, "deletion").submit(pipeline)
    assert run.wait_for_completion(show_output=False) == "Finished"
    return run


def steps_of(run):
    return {s.name: s for s in run.get_steps()}


def blobs_of(ws, digest: str) -> list[Path]:
    cas = ws.content_store
    return [cas.blob_path(d) for d in cas.files_of(digest).values()]


def rows_naming(ws, run_ids: list[str]) -> dict[str, int]:
    with ws.database.reading() as s:
        return {
            "events": s.scalar(select(func.count()).where(models.Event.pipeline_run_id.in_(run_ids))),
            "metrics": s.scalar(select(func.count()).where(models.Metric.run_id.in_(run_ids))),
            "step_runs": s.scalar(select(func.count()).where(models.StepRun.pipeline_run_id.in_(run_ids))),
        }


def test_a_deleted_run_leaves_what_a_kept_run_reused_and_gc_reclaims_the_rest(ws, write_script):
    first = finished(ws, two_steps(ws, write_script, "v1"))
    second = finished(ws, two_steps(ws, write_script, "v2"))  # reuses a, runs b again
    old, kept = steps_of(first), steps_of(second)
    assert kept["a.py"].is_reused and not kept["b.py"].is_reused
    a_output = old["a.py"].get_output_data("ab")
    b_output_gone = old["b.py"].get_output_data("final")
    b_snapshot_gone = first._row.spec["steps"][1]["snapshot"]
    kept_snapshots = [s["snapshot"] for s in second._row.spec["steps"]]
    first_ids = [first.id, *(s.id for s in old.values())]
    assert rows_naming(ws, first_ids)["metrics"] == 1
    assert first.layout.root.is_dir()

    deleted = first.delete()

    assert deleted.run_id == first.id and deleted.records.status == "Finished" and not deleted.canceled
    assert deleted.records.rows["pipeline_runs"] == 1 and deleted.records.rows["step_runs"] == 2
    assert deleted.folder_bytes > 0 and not first.layout.root.exists()
    assert rows_naming(ws, first_ids) == {"events": 0, "metrics": 0, "step_runs": 0}
    with pytest.raises(RunNotFoundError):
        ws.get_run(first.id)
    # b's first output was that run's alone: it is gone from the datastore; a's, which the kept run reused, stays.
    assert deleted.outputs_removed == [f"workspaceblobstore:{b_output_gone.path_on_datastore}"]
    assert not b_output_gone.local_path.exists()
    assert deleted.outputs_kept == [f"workspaceblobstore:{a_output.path_on_datastore}"]
    assert (a_output.local_path / "a.txt").read_text() == "made by a, only once"

    # The kept run still says where its step came from.
    info = steps_of(second)["a.py"].get_reuse_info()
    assert info["is_reused"]
    assert info["reused_from"] == {
        "run_id": first.id,
        "step_run_id": old["a.py"].id,
        "step": "a.py",
        "deleted": True,
    }
    assert steps_of(second)["a.py"].get_stdout_log() == ""
    assert steps_of(second)["a.py"].get_output_data("ab").local_path.is_dir()

    # gc takes what only the deleted run held, and leaves what the kept run names.
    cas = ws.content_store
    gone_blobs = blobs_of(ws, b_output_gone.digest) + blobs_of(ws, b_snapshot_gone)
    kept_blobs = [b for d in (a_output.digest, *kept_snapshots) for b in blobs_of(ws, d)]
    assert all(b.exists() for b in gone_blobs + kept_blobs)
    report = collect_garbage(ws)
    assert report.manifests >= 2 and report.blobs >= 2
    assert not any(b.exists() for b in gone_blobs)
    assert cas.manifest(b_output_gone.digest) is None and cas.manifest(b_snapshot_gone) is None
    assert all(b.exists() for b in kept_blobs)
    assert all(cas.intact(d) for d in (a_output.digest, *kept_snapshots))

    # The reuse entry of a moved to the kept run's step: a later run still reuses it, from the kept run.
    (entry,) = [e for e in ReuseStore(ws.database).entries() if e.step_name == "a.py"]
    assert entry.pipeline_run_id == second.id
    third = finished(ws, two_steps(ws, write_script, "v2"))
    assert all(s.is_reused for s in third.get_steps())
    assert steps_of(third)["a.py"].get_reuse_info()["reused_from"]["run_id"] == second.id


def test_deleting_every_run_that_used_an_output_lets_it_go(ws, write_script):
    first = finished(ws, two_steps(ws, write_script, "v1"))
    second = finished(ws, two_steps(ws, write_script, "v1"))  # all reused from the first
    a_output = steps_of(first)["a.py"].get_output_data("ab")

    both = delete_runs(ws, resolve_runs(ws, [second.id[:12], first.id, second.id]))

    assert [d.run_id for d in both] == [second.id, first.id]
    assert both[0].outputs_removed == [] and len(both[1].outputs_removed) == 2
    assert not a_output.local_path.exists()
    assert ReuseStore(ws.database).entries() == []
    with ws.database.reading() as s:
        assert s.scalar(select(func.count()).select_from(models.DeletedStepRun)) == 0
    collect_garbage(ws)
    assert ws.content_store.manifest(a_output.digest) is None


def test_a_run_not_ended_is_refused_unless_forced(ws, write_script, wait_until):
    gate = ws.root / "gate"
    src = write_script("wait.py", f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)\n")
    run = Experiment(ws, "deletion").submit(Pipeline(ws, [PythonScriptStep("wait.py", source_directory=src)]))
    wait_until(lambda: run.get_steps()[0].get_status() == "Running", timeout=30)

    with pytest.raises(RunNotEndedError) as refused:
        delete_runs(ws, [run.id])
    assert refused.value.run_ids == [run.id]
    assert "duto runs cancel" in str(refused.value) and "nothing was deleted" in str(refused.value)
    assert ws.get_run(run.id).get_status() == "Running"

    (deleted,) = delete_runs(ws, [run.id], force=True)
    assert deleted.canceled and deleted.records.status == "Canceled"
    with pytest.raises(RunNotFoundError):
        ws.get_run(run.id)


def test_prefixes_resolve_to_one_run_or_say_which_they_match(ws):
    store = ws.runs_store
    for run_id in ("abc-1", "abc-2", "abd-3"):
        store.create_pipeline_run(run_id, "deletion", {"steps": []}, {}, {}, False, False, [])
    assert resolve_runs(ws, ["abd", "abc-1", "abc-1"]) == ["abd-3", "abc-1"]
    with pytest.raises(AmbiguousRunError) as ambiguous:
        resolve_runs(ws, ["ab"])
    assert sorted(ambiguous.value.matches) == ["abc-1", "abc-2", "abd-3"] and ambiguous.value.count == 3
    assert all(f"\n  {run_id}  " in str(ambiguous.value) for run_id in ("abc-1", "abc-2", "abd-3"))
    with pytest.raises(RunNotFoundError):
        resolve_runs(ws, ["zzz"])
    with pytest.raises(RunNotFoundError):
        resolve_runs(ws, ["a%"])  # a LIKE wildcard is taken as a character
