"""Finding a run by its id or a prefix of it (a prefix several runs share is answered with those runs), and the
last row of each metric, which comparing runs reads instead of every point."""

from __future__ import annotations

import pytest

from duto import Workspace
from duto.errors import AmbiguousRunError, RunNotFoundError
from duto.facade.comparison import last_metrics
from duto.graph.status import RunStatus
from duto.storage import models
from duto.storage.runs_store import AMBIGUOUS_LISTED, RunsStore


def record(store: RunsStore, run_id: str, experiment: str, status: RunStatus = RunStatus.NOT_STARTED) -> None:
    store.create_pipeline_run(run_id, experiment, {}, {}, {}, False, False, [])
    if status != RunStatus.NOT_STARTED:
        store.set_run_status(run_id, status)


def test_a_prefix_several_runs_share_lists_them_and_asks_for_more_characters(ws: Workspace) -> None:
    store = ws.runs_store
    record(store, "5eed0000-aaaa", "prep data", RunStatus.FINISHED)
    record(store, "5eed0000-bbbb", "train", RunStatus.FAILED)
    record(store, "5eef0000-cccc", "train")

    with pytest.raises(AmbiguousRunError) as caught:
        ws.get_run("5eed")

    error = caught.value
    assert isinstance(error, RunNotFoundError)
    assert (error.run_id, error.count) == ("5eed", 2)
    assert error.matches == ["5eed0000-bbbb", "5eed0000-aaaa"]
    assert [(r.id, r.experiment, r.status) for r in error.runs] == [
        ("5eed0000-bbbb", "train", "Failed"),
        ("5eed0000-aaaa", "prep data", "Finished"),
    ]
    lines = str(error).splitlines()
    assert lines[0] == "run id prefix '5eed' matches 2 runs; give more characters of the one you mean:"
    assert lines[1].startswith("  5eed0000-bbbb  train      Failed    20")
    assert lines[2].startswith("  5eed0000-aaaa  prep data  Finished  20")
    assert ws.get_run("5eef").id == "5eef0000-cccc"


def test_an_ambiguous_prefix_lists_the_newest_runs_and_counts_the_rest(ws: Workspace) -> None:
    store = ws.runs_store
    for n in range(AMBIGUOUS_LISTED + 3):
        record(store, f"run-{n:02d}", "many")

    with pytest.raises(AmbiguousRunError) as caught:
        store.pipeline_run("run-")

    assert caught.value.count == AMBIGUOUS_LISTED + 3
    assert len(caught.value.runs) == AMBIGUOUS_LISTED
    assert str(caught.value).splitlines()[-1] == "  ... and 3 more"


def test_underscore_and_percent_in_a_prefix_are_characters_not_wildcards(ws: Workspace) -> None:
    store = ws.runs_store
    record(store, "5eed0000-aaaa", "train")

    for prefix in ("5e_d", "5e%"):
        with pytest.raises(RunNotFoundError) as caught:
            store.pipeline_run(prefix)
        assert not isinstance(caught.value, AmbiguousRunError)
        assert str(caught.value).startswith(f"no run {prefix!r} in this workspace")


def test_last_metrics_gives_the_last_row_of_each_metric_and_how_many_it_has(ws: Workspace) -> None:
    store = ws.runs_store
    store.create_pipeline_run("run-1", "e", {}, {}, {}, False, False, [("step-1", "train", "local")])
    points = [
        models.Metric(run_id="run-1", name="loss", kind="scalar", value=1 / (i + 1), step=i, logged_at=0.0)
        for i in range(1000)
    ]
    once = [
        models.Metric(run_id="step-1", name="classes", kind="list", value=[3, 5, 7], step=None, logged_at=0.0),
        models.Metric(run_id="step-1", name="acc", kind="scalar", value=0.5, step=None, logged_at=0.0),
        models.Metric(run_id="step-1", name="acc", kind="scalar", value=0.75, step=None, logged_at=0.0),
        models.Metric(run_id="step-1", name="scores", kind="row", value={"f1": 0.1}, step=None, logged_at=0.0),
        models.Metric(run_id="step-1", name="scores", kind="row", value={"f1": 0.2}, step=None, logged_at=0.0),
    ]
    store.record_metrics("run-1", [*points, *once], [])

    found = {
        (row.run_id, row.name): (row.value, rows) for row, rows in ws.metric_store.last_metrics(["run-1", "step-1"])
    }
    assert found == {
        ("run-1", "loss"): (pytest.approx(1 / 1000), 1000),
        ("step-1", "classes"): ([3, 5, 7], 1),
        ("step-1", "acc"): (0.75, 2),
        ("step-1", "scores"): ({"f1": 0.2}, 2),
    }
    # What comparing runs shows, as the whole series read by get_metrics would give it.
    assert last_metrics(ws.get_run("run-1")) == {
        "loss": pytest.approx(1 / 1000),
        "train/classes": 7,
        "train/acc": 0.75,
        "train/scores": {"f1": [0.1, 0.2]},
    }
