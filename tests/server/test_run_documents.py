"""A run's outline (`GET /api/runs/{id}/outline`, what the portal's run page reads) over real HTTP: the run and
its steps as its document has them, in fewer fields, with the graph's edges; a finished run's answer kept and
revalidated by its ETag; large answers gzipped while the event stream is not, and still streams live."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from conftest import poll
from duto import Experiment
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from server.test_run_graph_route import split_train_report
from server.test_runs_routes import finished

OUTLINED = ("id", "key", "name", "status", "is_reused", "started", "ended")


def outline_of(detail: dict[str, Any], edges: list[dict[str, Any]]) -> dict[str, Any]:
    """What the outline holds, taken from the run's whole document and its graph's edges."""
    steps = [{field: step[field] for field in OUTLINED} for step in detail["steps"]]
    return {**detail, "steps": steps, "edges": edges}


@pytest.mark.timeout(120)
def test_the_outline_is_the_runs_document_in_fewer_fields_with_its_edges(served, ws) -> None:  # type: ignore[no-untyped-def]
    first = finished(Experiment(ws, "o").submit(split_train_report(ws)))
    again = finished(Experiment(ws, "o").submit(split_train_report(ws)))
    with served.client("read") as reader:
        for run in (first, again):
            outline = reader.get(f"/api/runs/{run.id[:10]}/outline")
            assert outline.status_code == 200, outline.text
            detail = reader.get(f"/api/runs/{run.id}").json()
            graph = reader.get(f"/api/runs/{run.id}/graph").json()
            assert outline.json() == outline_of(detail, graph["edges"])
        keys = [s["key"] for s in outline.json()["steps"]]
        assert keys == [s.key for s in again.steps_in_order()] == ["split", "train", "report", "report#2"]
        assert all(s["is_reused"] for s in outline.json()["steps"]) and outline.json()["reused"] is True
        assert reader.get("/api/runs/nosuchrun/outline").status_code == 404
    with served.client(None) as stranger:
        assert stranger.get(f"/api/runs/{first.id}/outline").status_code == 401


@pytest.mark.timeout(120)
def test_steps_of_one_name_in_a_spec_before_keys_are_keyed_by_their_name(served, ws) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "old").submit(split_train_report(ws)))
    # As a run recorded before schema 4 has it: no step keys, every step known by its name.
    unkeyed = ", ".join(f"'$.steps[{i}].key'" for i in range(4))
    with ws.database.writing() as s:
        s.execute(
            text(f"UPDATE pipeline_runs SET spec = json_set(json_remove(spec, {unkeyed}), '$.schema_version', 3)"),
        )
    names = ["split", "train", "report", "report"]
    with served.client("read") as reader:
        assert [s["key"] for s in reader.get(f"/api/runs/{run.id}").json()["steps"]] == names
        assert [s["key"] for s in reader.get(f"/api/runs/{run.id}/outline").json()["steps"]] == names
        assert [n["key"] for n in reader.get(f"/api/runs/{run.id}/graph").json()["nodes"]] == names


@pytest.mark.timeout(120)
def test_a_finished_runs_outline_is_kept_and_revalidated_by_its_etag(served, ws) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "etag").submit(split_train_report(ws)))
    for path in (f"/api/runs/{run.id}/outline", f"/api/runs/{run.id}/graph"):
        with served.client("read") as reader:
            answer = reader.get(path, headers={"Accept-Encoding": "gzip"})
            assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
            etag = answer.headers["etag"]
            assert etag.startswith('"') and "no-cache" in answer.headers["cache-control"]
            plain = reader.get(path, headers={"Accept-Encoding": "identity"})
            assert "content-encoding" not in plain.headers and plain.headers["etag"] == etag
            assert plain.json() == answer.json()
            unchanged = reader.get(path, headers={"If-None-Match": etag})
            assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
            assert reader.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
            assert reader.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    with served.client("read") as reader:
        outline_etag = reader.get(f"/api/runs/{run.id}/outline").headers["etag"]
        assert outline_etag != reader.get(f"/api/runs/{run.id}/graph").headers["etag"], "one tag per answer"
        # The run's own fields may still change (tags its steps' events merge): the tag follows them.
        ws.runs_store.merge_run_tags(run.id, {"late": "yes"})
        retagged = reader.get(f"/api/runs/{run.id}/outline", headers={"If-None-Match": outline_etag})
        assert retagged.status_code == 200 and retagged.json()["tags"] == {"late": "yes"}
        assert retagged.headers["etag"] != outline_etag


@pytest.mark.timeout(120)
def test_a_running_runs_outline_is_fresh_and_its_events_stream_ungzipped(served, ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = tmp_path / "go"
    waiting = CommandStep(f"echo waiting; while [ ! -f {gate} ]; do sleep 0.05; done; echo went", name="wait")
    run = Experiment(ws, "live").submit(Pipeline(ws, [waiting]))
    try:
        with served.client("read") as reader:
            poll(lambda: reader.get(f"/api/runs/{run.id}/outline").json()["steps"][0]["status"] == "Running", 30)
            live = reader.get(f"/api/runs/{run.id}/outline")
            assert "etag" not in live.headers, "a run that goes on is read afresh"
            step = live.json()["steps"][0]
            assert step["started"] is not None and step["ended"] is None
            with reader.stream("GET", f"/api/runs/{run.id}/events", headers={"Accept-Encoding": "gzip"}) as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                assert "content-encoding" not in events.headers, "an event stream is never gzipped"
                lines = events.iter_lines()
                # While the step still waits, its events have come already: the stream is not held back.
                assert next(line for line in lines if line == "event: step_status")
                assert not gate.exists()
                gate.write_text("go")
                assert any(line.startswith("data: ") and '"Finished"' in line for line in lines)
        finished(run)
        with served.client("read") as reader:
            ended = reader.get(f"/api/runs/{run.id}/outline")
            assert ended.json()["status"] == "Finished" and "etag" in ended.headers
    finally:
        gate.write_text("go")


@pytest.mark.timeout(120)
def test_a_large_answer_is_gzipped_for_a_client_that_asks(served, ws) -> None:  # type: ignore[no-untyped-def]
    steps = [CommandStep("true", name=f"shard_{i:03d}") for i in range(60)]
    run = finished(Experiment(ws, "big").submit(Pipeline(ws, steps)))
    url = f"{served.url}/api/runs/{run.id}"
    headers = {"Authorization": f"Bearer {served.tokens['read']}"}
    with httpx.Client(headers=headers, timeout=30) as raw:
        with raw.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as packed:
            assert packed.headers["content-encoding"] == "gzip"
            body = b"".join(packed.iter_raw())
        plain = raw.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert json.loads(gzip.decompress(body)) == plain.json() and len(body) < len(plain.content) / 3
