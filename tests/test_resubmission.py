"""A run submitted again (`duto.facade.resubmission.resubmit`) in a real workspace, with real runs: the code it ran
(not the source folder's edits since), its values or changed ones (a DataPath too), checked as a trigger checks."""

from __future__ import annotations

import json

import pytest

from duto.errors import TriggerError
from duto.facade.resubmission import RESUBMITTED_TAG, resubmit
from server.pipeline_helpers import say_pipeline, write_say


def said(run) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert run.wait_for_completion(show_output=False) == "Finished"
    return json.loads(run.get_steps()[0].get_stdout_log().strip().splitlines()[-1])


@pytest.mark.timeout(120)
def test_a_run_is_submitted_again_with_its_code_and_changed_values(ws, write_script) -> None:  # type: ignore[no-untyped-def]
    first = say_pipeline(ws, write_script, "v1", with_data=True).submit("again", pipeline_parameters={"lr": 0.25})
    before = said(first)
    write_say(write_script, "v2")  # an edit of the source folder after the run

    same = resubmit(first)
    assert said(same) == before and same.parameters == first.parameters and same.experiment_name == "again"
    assert same.get_tags() == {RESUBMITTED_TAG: first.id}
    assert all(s.is_reused for s in same.get_steps()), "the code it ran, not the edited folder's"

    moved = resubmit(first, {"lr": "0.125"}, {"data": {"DataStoreName": "workspaceblobstore", "RelativePath": "two"}})
    assert moved.parameters == {"lr": 0.125, "data": {"datastore": "workspaceblobstore", "path": "two"}}
    assert before["files"] == ["a.csv"] and said(moved) == {"code": "v1", "lr": "0.125", "files": ["b.csv"]}

    runs = len(ws.runs_store.pipeline_runs(archived=True))
    with pytest.raises(TriggerError) as caught:
        resubmit(first, {"data": "two"})
    assert caught.value.field == "ParameterAssignments.data" and "DataPathAssignments" in str(caught.value)
    assert len(ws.runs_store.pipeline_runs(archived=True)) == runs, "nothing was started"
