"""A spec written by an older duto still reads and runs: version 7 (before modules) from a fixture, unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto.facade.submission import start_run
from duto.graph.spec import PipelineSpec

FIXTURE = Path(__file__).parent / "graph" / "fixtures" / "spec_v7.json"


@pytest.mark.timeout(120)
def test_a_version_7_spec_reads_and_runs(ws):
    document = json.loads(FIXTURE.read_text())
    assert document["schema_version"] == 7 and "module" not in document["steps"][0]
    spec = PipelineSpec.from_json(document)
    assert spec.schema_version == 7 and [s.module for s in spec.steps] == [None, None]
    run = start_run(ws, spec, {"greeting": "hi from v7"}, "old-specs", False, False, None)
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.find_step_run("show")[0].get_stdout_log().strip() == "hi from v7"
    assert json.loads(FIXTURE.read_text()) == document, "the fixture is read, never rewritten"
