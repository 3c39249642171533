"""`duto` commands given a run id prefix that several runs share: the error lists them."""

from __future__ import annotations

from conftest import run_duto
from duto import Workspace
from duto.graph.status import RunStatus


def test_runs_show_with_an_ambiguous_prefix_lists_the_runs_it_matches(ws: Workspace) -> None:
    store = ws.runs_store
    for run_id, experiment in (("5eed0000-aaaa", "prep"), ("5eed0000-bbbb", "train"), ("5eef0000-cccc", "train")):
        store.create_pipeline_run(run_id, experiment, {}, {}, {}, False, False, [])
    store.set_run_status("5eed0000-aaaa", RunStatus.FINISHED)

    result = run_duto("runs", "show", "5eed", cwd=ws.root)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines[0] == "error: run id prefix '5eed' matches 2 runs; give more characters of the one you mean:"
    assert [line.split()[:3] for line in lines[1:]] == [
        ["5eed0000-bbbb", "train", "NotStarted"],
        ["5eed0000-aaaa", "prep", "Finished"],
    ]
