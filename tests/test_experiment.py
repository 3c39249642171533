"""Experiments archived and reactivated (v1's `Experiment.archive`, `reactivate`, `archived_time`, `list`)."""

from __future__ import annotations

import pytest

from duto import Experiment
from duto.errors import ConfigError, ExperimentArchivedError, ExperimentNotFoundError
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep


def pipeline(ws, write_script):
    return Pipeline(ws, [PythonScriptStep("hello.py", source_directory=write_script("hello.py", "print('hi')\n"))])


def test_an_archived_experiment_and_its_runs_leave_the_lists_and_come_back(ws, write_script):
    run = Experiment(ws, "old").submit(pipeline(ws, write_script))
    assert run.wait_for_completion(show_output=False) == "Finished"
    Experiment(ws, "new").submit(pipeline(ws, write_script)).wait_for_completion(show_output=False)
    old = Experiment(ws, "old")
    assert old.archived_time is None

    assert old.archive() == []

    assert old.archived_time is not None and old.archived_time.endswith("+00:00")
    assert list(ws.experiments) == ["new"]
    assert [e.name for e in Experiment.list(ws)] == ["new"]
    assert [e.name for e in Experiment.list(ws, view_type="ArchivedOnly")] == ["old"]
    assert [e.name for e in Experiment.list(ws, view_type="All")] == ["new", "old"]
    assert [n for _, n in ws.runs_store.pipeline_runs()] == ["new"]
    assert [n for _, n in ws.runs_store.pipeline_runs(archived=True)] == ["new", "old"]
    assert [r.id for r in old.get_runs()] == [run.id], "asked for by name, its runs are there"
    assert ws.get_run(run.id).get_status() == "Finished"
    with pytest.raises(ExperimentArchivedError, match="duto experiments unarchive old"):
        old.submit(pipeline(ws, write_script))

    old.reactivate()
    assert old.archived_time is None and list(ws.experiments) == ["new", "old"]
    assert old.submit(pipeline(ws, write_script)).wait_for_completion(show_output=False) == "Finished"


def test_reactivating_under_a_new_name_frees_the_old_one(ws, write_script):
    Experiment(ws, "demo").submit(pipeline(ws, write_script)).wait_for_completion(show_output=False)
    demo = Experiment(ws, "demo")
    demo.archive()
    Experiment(ws, "other").submit(pipeline(ws, write_script)).wait_for_completion(show_output=False)
    with pytest.raises(ConfigError, match="exists already"):
        demo.reactivate(new_name="other")
    assert demo.archived_time is not None, "nothing changed"

    demo.reactivate(new_name="demo-2024")
    assert demo.name == "demo-2024" and demo.archived_time is None and len(list(demo.get_runs())) == 1
    fresh = Experiment(ws, "demo").submit(pipeline(ws, write_script))
    assert fresh.wait_for_completion(show_output=False) == "Finished"
    assert [r.id for r in Experiment(ws, "demo").get_runs()] == [fresh.id]
    with pytest.raises(ExperimentNotFoundError, match="no experiment named 'nope'"):
        Experiment(ws, "nope").archive()


def test_archiving_with_delete_runs_deletes_them_for_real(ws, write_script):
    run = Experiment(ws, "gone").submit(pipeline(ws, write_script))
    run.wait_for_completion(show_output=False)
    (deleted,) = Experiment(ws, "gone").archive(delete_runs=True)
    assert deleted.run_id == run.id and not run.layout.root.exists()
    assert ws.runs_store.pipeline_runs(experiment="gone") == []
    assert Experiment(ws, "gone").archived_time is not None
