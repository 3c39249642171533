"""Runs over real HTTP: list, show, steps, why, logs, metrics, outputs and their files, cancel, resume, and the
live events of a run, against runs submitted with the SDK to the served workspace."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from conftest import poll
from duto import Experiment
from duto.facade import documents, submission
from duto.facade.tokens import create_token
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.processes import alive
from duto.server.app import create_app
from duto.server.event_tails import DISCONNECT_CHECK_SECONDS, RunTails
from duto.storage.lease_store import LeaseStore
from server.conftest import free_port

PRODUCE = """
import os, sys
from duto import Run
Run.get_context().log("rows", 3)
print("hello from produce")
out = sys.argv[1]
os.makedirs(os.path.join(out, "sub"), exist_ok=True)
open(os.path.join(out, "a.txt"), "w").write("alpha")
open(os.path.join(out, "sub", "b.txt"), "w").write("beta!")
"""
CONSUME = """
import os, sys
print("consumed", open(os.path.join(sys.argv[1], "a.txt")).read())
"""
SLEEP = """
import time
print("sleeping", flush=True)
time.sleep(120)
"""
ECHO = """
import sys
print("echo", sys.argv[1])
"""


def produce_consume(ws, write_script) -> Pipeline:  # type: ignore[no-untyped-def]
    out = PipelineData("out")
    produce = PythonScriptStep(
        "produce.py", name="produce", source_directory=write_script("produce.py", PRODUCE, "p"), arguments=[out],
        outputs=[out],
    )  # fmt: skip
    consume = PythonScriptStep(
        "consume.py", name="consume", source_directory=write_script("consume.py", CONSUME, "c"), arguments=[out],
        inputs=[out],
    )  # fmt: skip
    return Pipeline(ws, [produce, consume])


def finished(run) -> Any:  # type: ignore[no-untyped-def]
    assert run.wait_for_completion(show_output=False) == "Finished", [s.reason for s in run.steps_in_order()]
    return run


def raw_get(served, path: str) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    """GET `path` exactly as written (no client normalizes `..` or decodes anything on the way)."""
    url = urlsplit(served.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.putheader("Authorization", f"Bearer {served.tokens['read']}")
        connection.endheaders()
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.mark.timeout(120)
def test_runs_list_show_steps_why_logs_metrics_and_outputs(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    first = finished(Experiment(ws, "e").submit(produce_consume(ws, write_script)))
    second = finished(Experiment(ws, "e").submit(produce_consume(ws, write_script), tags={"team": "vision"}))
    with served.client("read") as reader:
        listed = reader.get("/api/runs")
        assert listed.status_code == 200, listed.text
        assert [r["id"] for r in listed.json()] == [second.id, first.id], "newest first"
        assert listed.json() == documents.list_runs(ws, limit=50), "what `duto runs list --json` gives"
        assert listed.json()[0]["reused"] is True and listed.json()[1]["reused"] is False

        def ids(**params: Any) -> list[str]:
            answer = reader.get("/api/runs", params=params)
            assert answer.status_code == 200, answer.text
            return [r["id"] for r in answer.json()]

        assert ids(experiment="e") == [second.id, first.id] and ids(experiment="other") == []
        assert ids(status="finished") == [second.id, first.id] and ids(status="Failed,Canceled") == []
        assert ids(since="1h") == [second.id, first.id] and ids(since="2999-01-01") == []
        assert ids(tag="team=vision") == [second.id] and ids(tag="team") == [second.id] and ids(tag="x") == []
        assert ids(limit=1) == [second.id] and ids(limit=1, offset=1) == [first.id] and ids(offset=2) == []
        for bad in (
            {"since": "yesterday"},
            {"status": "Done"},
            {"tag": "=v"},
            {"limit": 501},
            {"limit": 0},
            {"offset": -1},
        ):
            answer = reader.get("/api/runs", params=bad)
            assert answer.status_code == 422, (bad, answer.text)
            assert next(iter(bad)) in answer.text

        shown = reader.get(f"/api/runs/{second.id[:10]}")
        assert shown.status_code == 200, shown.text
        run = shown.json()
        assert run["id"] == second.id and run["status"] == "Finished" and run["experiment"] == "e"
        assert {"parameters", "tags", "created", "started", "ended"} <= set(run)
        assert [s["name"] for s in run["steps"]] == ["produce", "consume"]
        assert all(s["is_reused"] and s["status"] == "Finished" for s in run["steps"])
        assert run["steps"][0]["reused_from"]["run_id"] == first.id
        assert reader.get("/api/runs/nosuchrun").status_code == 404
        assert reader.get(f"/api/runs/{first.step_run('produce').id}").json()["id"] == first.id, "as the CLI takes it"

        produce = first.step_run("produce")
        by_name = reader.get(f"/api/runs/{first.id}/steps/produce").json()
        by_id = reader.get(f"/api/runs/{first.id}/steps/{produce.id}").json()
        assert by_name == by_id and by_id["id"] == produce.id and by_id["is_reused"] is False
        assert (by_id["key"] == "produce" and by_id["reason"] is None) or isinstance(by_id["reason"], str)
        missing = reader.get(f"/api/runs/{first.id}/steps/nosuchstep")
        assert missing.status_code == 404 and "produce" in missing.json()["detail"]

        ran = reader.get(f"/api/runs/{first.id}/steps/produce/why").json()
        assert ran["is_reused"] is False and ran["reasons"] and ran["fingerprint"]
        reused = reader.get(f"/api/runs/{second.id}/steps/produce/why").json()
        assert reused["is_reused"] is True and reused["reused_from"]["step_run_id"] == produce.id

        whole = reader.get(f"/api/runs/{first.id}/steps/produce/log")
        assert whole.status_code == 200 and whole.headers["content-type"].startswith("text/plain")
        assert "hello from produce" in whole.text and int(whole.headers["X-Log-Size"]) == len(whole.content)
        part = reader.get(f"/api/runs/{first.id}/steps/produce/log", params={"offset": 3, "length": 4})
        assert part.content == whole.content[3:7] and part.headers["X-Log-Size"] == str(len(whole.content))
        beyond = reader.get(f"/api/runs/{first.id}/steps/produce/log", params={"offset": 10**6})
        assert beyond.status_code == 200 and beyond.content == b""
        assert reader.get(f"/api/runs/{second.id}/steps/produce/log").content == whole.content, "the original's"
        for bad in ({"offset": -1}, {"length": -1}, {"length": 16 * 1024 * 1024 + 1}):
            assert reader.get(f"/api/runs/{first.id}/steps/produce/log", params=bad).status_code == 422, bad

        metrics = reader.get(f"/api/runs/{second.id}/metrics").json()
        step_id = second.step_run("produce").id
        assert metrics["steps"][step_id] == {"rows": 3} and metrics["run"] == {}

        outputs = reader.get(f"/api/runs/{first.id}/steps/produce/outputs").json()
        assert [o["name"] for o in outputs] == ["out"]
        assert outputs[0]["files"] == [{"path": "a.txt", "size": 5}, {"path": "sub/b.txt", "size": 5}]
        files = f"/api/runs/{first.id}/steps/produce/outputs/out/files"
        got = reader.get(f"{files}/sub/b.txt")
        assert got.status_code == 200 and got.content == b"beta!"
        assert reader.get(f"/api/runs/{second.id}/steps/produce/outputs/out/files/a.txt").content == b"alpha"
        assert reader.get(f"/api/runs/{first.id}/steps/consume/outputs").json() == []


@pytest.mark.timeout(120)
def test_output_files_never_leave_their_folder(served, ws, write_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = finished(Experiment(ws, "e").submit(produce_consume(ws, write_script)))
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    folder = run.step_run("produce").output_folders()["out"]
    (folder / "link-out").symlink_to(secret)
    (folder / "dir-out").symlink_to(tmp_path, target_is_directory=True)
    (folder / "loop").symlink_to(folder / "loop")
    base = f"/api/runs/{run.id}/steps/produce/outputs"
    payloads = [
        f"{base}/out/files/../../../../../../etc/passwd",
        f"{base}/out/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"{base}/out/files/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        f"{base}/out/files/..%2f..%2f..%2f..%2f..%2fsecret.txt",
        f"{base}/out/files/sub/..%2f..%2f..%2f..%2f..%2fsecret.txt",
        f"{base}/out/files/%2fetc%2fpasswd",
        f"{base}/out/files//etc/passwd",
        f"{base}/out/files/{secret}",
        f"{base}/out/files/%2F{str(secret)[1:]}",
        f"{base}/out/files/link-out",
        f"{base}/out/files/dir-out/secret.txt",
        f"{base}/out/files/loop",
        f"{base}/out/files/a.txt%00.png",
        f"{base}/out/files/sub",
        f"{base}/out/files/",
        f"{base}/out/files/..",
        f"{base}/..%2f..%2fout/files/a.txt",
        f"{base}/%2e%2e/files/a.txt",
        f"{base}/out%00/files/a.txt",
        f"{base}/o%C3%BFt%0A/files/a.txt",
        f"{base}/out/files/%C3%28%ff",
        f"/api/runs/{run.id}/steps/..%2f..%2fproduce/outputs/out/files/a.txt",
        f"/api/runs/..%2f{run.id}/steps/produce/outputs/out/files/a.txt",
    ]
    for path in payloads:
        status, body = raw_get(served, path)
        assert status in (400, 404), (path, status, body[:200])
        assert b"SECRET-CONTENT" not in body and b"root:" not in body, path
    listed = raw_get(served, base)[1]
    assert b"link-out" not in listed and b"dir-out" not in listed and b"a.txt" in listed
    assert raw_get(served, f"{base}/out/files/a.txt") == (200, b"alpha"), "the file itself is served"


@pytest.mark.timeout(120)
def test_shared_step_names_conflict_and_a_long_run_is_canceled(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    folder_1, folder_2 = write_script("echo.py", ECHO, "one"), write_script("echo.py", ECHO, "two")
    twins = Pipeline(
        ws,
        [
            PythonScriptStep("echo.py", name="echo", source_directory=folder_1, arguments=["1"]),
            PythonScriptStep("echo.py", name="echo", source_directory=folder_2, arguments=["2"]),
        ],
    )
    run = finished(Experiment(ws, "twins").submit(twins))
    with served.client("read") as reader:
        conflict = reader.get(f"/api/runs/{run.id}/steps/echo")
        assert conflict.status_code == 409
        assert all(s.id in conflict.json()["detail"] for s in run.steps_in_order())
        second = run.steps_in_order()[1]
        assert "echo 2" in reader.get(f"/api/runs/{run.id}/steps/{second.id}/log").text

        sleeper = Pipeline(
            ws, [PythonScriptStep("sleep.py", name="sleep", source_directory=write_script("sleep.py", SLEEP, "s"))]
        )
        long_run = Experiment(ws, "slow").submit(sleeper)
        poll(lambda: long_run.step_run("sleep").get_status() == "Running", timeout=30)
        assert reader.post(f"/api/runs/{long_run.id}/cancel").status_code == 403, "read is short of submit"
        with served.client("submit") as submitter:
            canceled = submitter.post(f"/api/runs/{long_run.id}/cancel")
            assert canceled.status_code == 200 and canceled.json()["done"] is True, canceled.text
            poll(lambda: reader.get(f"/api/runs/{long_run.id}").json()["status"] == "Canceled", timeout=30)
            assert reader.get(f"/api/runs/{long_run.id}").json()["steps"][0]["status"] == "Canceled"
            again = submitter.post(f"/api/runs/{long_run.id}/cancel").json()
            assert again["done"] is False and "already ended" in again["detail"]
            resumed = submitter.post(f"/api/runs/{run.id}/resume").json()
            assert resumed["done"] is False and resumed["status"] == "Finished"
            assert submitter.post("/api/runs/nosuchrun/cancel").status_code == 404


def hold_runs(ws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Let no runner take a run submitted from now on until it is resumed: stop the server's runner daemon, and
    start no runner at submit. The server replaces its daemon within DAEMON_WATCH_SECONDS and the new one takes
    the run: the hold lasts about that long, so a test that needs a run unfinished for longer holds it with a step
    that waits (see GATE)."""
    for daemon in LeaseStore(ws.database).live_daemons():
        os.kill(daemon.pid, signal.SIGTERM)
        poll(lambda pid=daemon.pid: not alive(pid), timeout=10)
    monkeypatch.setattr(submission, "start_runner", lambda *args, **kwargs: None)


def follow(  # type: ignore[no-untyped-def]
    served, run_id: str, last_event_id: str | None = None, first: threading.Event | None = None
) -> list[dict[str, Any]]:
    """Every server-sent event of a run's stream until the server closes it: id, event and data; `first` is set
    once the first one has come."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    got: list[dict[str, Any]] = []
    with (
        served.client("read", timeout=60) as reader,
        reader.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as answer,
    ):
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        message: dict[str, Any] = {}
        for line in answer.iter_lines():
            if line.startswith(":"):
                continue
            if not line:
                if message:
                    got.append(message)
                    if first is not None:
                        first.set()
                message = {}
                continue
            field, _, value = line.partition(": ")
            message[field] = json.loads(value) if field == "data" else value
    return got


@pytest.mark.timeout(120)
def test_events_follow_a_run_live_from_before_it_starts_and_resume_after_an_id(
    served, ws, write_script, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    hold_runs(ws, monkeypatch)  # held until resumed below
    run = Experiment(ws, "live").submit(produce_consume(ws, write_script))
    assert run.get_status() == "NotStarted"
    received: list[dict[str, Any]] = []
    connected = threading.Event()
    follower = threading.Thread(target=lambda: received.extend(follow(served, run.id, first=connected)))
    follower.start()
    assert connected.wait(30), "the follower got the run's first event"
    time.sleep(0.3)  # and waits for more, polling, while the run has not started
    assert run.get_status() == "NotStarted" and len(received) == 0 and follower.is_alive()
    assert run.resume() is True
    follower.join(60)
    assert not follower.is_alive(), "the stream closes after the run's final status"
    finished(run)

    ids = [int(m["id"]) for m in received]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids
    assert [e.id for e in run.events_after(0, 10_000)] == ids, "every event, in order"
    statuses = [m["data"]["status"] for m in received if m["event"] == "run_status"]
    assert statuses[0] == "NotStarted" and statuses[-1] == "Finished" and "Running" in statuses
    assert received[-1]["event"] == "run_status", "the final status ends the stream"
    step_ids = {s.id for s in run.steps_in_order()}
    step_events = [m for m in received if m["event"] == "step_status"]
    assert {m["data"]["step_run_id"] for m in step_events} == step_ids
    assert all("status" in m["data"] for m in step_events)
    logs = [m["data"] for m in received if m["event"] == "log"]
    assert logs and all("path" not in d and d["size"] >= 0 for d in logs), "no place on the server's disk"

    middle = ids[len(ids) // 2]
    assert [int(m["id"]) for m in follow(served, run.id, str(middle))] == [i for i in ids if i > middle]
    assert follow(served, run.id) == received, "an ended run replays and closes at once"
    assert follow(served, run.id, str(ids[-1])) == [], "nothing after the final status"
    with served.client("read") as reader:
        assert reader.get(f"/api/runs/{run.id}/events", headers={"Last-Event-ID": "x"}).status_code == 400
        assert reader.get("/api/runs/nosuchrun/events").status_code == 404


@contextlib.contextmanager
def served_here(ws) -> Iterator[tuple[FastAPI, httpx.Client]]:  # type: ignore[no-untyped-def]
    """The workspace's app served over real HTTP from a thread of this process, and a client with a read token:
    the test can look at the app's state (its followers) while clients come and go."""
    app = create_app(ws.root)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, name="served-here", daemon=True)
    thread.start()
    try:
        poll(lambda: server.started, timeout=30)
        token = create_token(ws, "test-read", "read")[0]
        url = f"http://127.0.0.1:{server.config.port}"
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as reader:
            yield app, reader
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "the server stopped"


GATE = """
import os, sys, time
print("waiting for", sys.argv[1], flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
"""


@pytest.mark.timeout(120)
def test_a_follower_that_goes_away_is_let_go(ws, write_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The run stays Running until the test opens its gate, however loaded the machine: its followers' streams
    # stay open until they go away.
    gate = tmp_path / "gate"
    step = PythonScriptStep(
        "gate.py", name="gate", source_directory=write_script("gate.py", GATE, "g"), arguments=[str(gate)]
    )
    run = Experiment(ws, "held").submit(Pipeline(ws, [step]))
    try:
        poll(lambda: run.get_status() == "Running", timeout=60)
        with served_here(ws) as (app, reader):
            tails: RunTails = app.state.tails
            for n in range(20):  # one follower after another, each let go in turn: none is left behind
                with reader.stream("GET", f"/api/runs/{run.id}/events") as answer:
                    assert answer.status_code == 200
                    lines = answer.iter_lines()  # kept: a line iterator dropped would close the connection
                    assert next(lines).startswith("id: ")
                    assert tails.followers(run.id) == 1, "followed while the client reads"
                    if n == 0:
                        time.sleep(DISCONNECT_CHECK_SECONDS * 1.5)
                        assert tails.followers(run.id) == 1, "and kept while the client stays, past its check"
                # Noticed at once (the server listens for the client leaving) or, at the latest, at the follower's
                # next check, DISCONNECT_CHECK_SECONDS later.
                poll(lambda: tails.followers(run.id) == 0 and len(tails) == 0, timeout=10)
            assert reader.get(f"/api/runs/{run.id}").json()["status"] == "Running", "the run was held all along"
    finally:
        gate.touch()
    finished(run)


@pytest.mark.timeout(60)
def test_a_run_id_prefix_of_several_runs_is_a_conflict_listing_them(
    served, ws, write_script, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(submission, "new_id", lambda: "d0d0" + str(uuid.uuid4())[4:])
    echo = write_script("echo.py", ECHO, "e")
    made = [
        Experiment(ws, "twins").submit(
            Pipeline(ws, [PythonScriptStep("echo.py", source_directory=echo, arguments=[n])])
        )
        for n in ("1", "2")
    ]
    for run in made:
        finished(run)
    with served.client("read") as reader:
        for path in ("/api/runs/d0d0", "/api/runs/d0d0/steps/echo.py", "/api/runs/d0d0/events"):
            conflict = reader.get(path)
            assert conflict.status_code == 409, (path, conflict.text)
            assert all(r.id in conflict.json()["detail"] for r in made)
        assert reader.get(f"/api/runs/{made[1].id[:12]}").json()["id"] == made[1].id


@pytest.mark.timeout(90)
def test_a_run_no_runner_took_is_resumed_over_http(served, ws, write_script, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    hold_runs(ws, monkeypatch)  # as if its runner never came
    run = Experiment(ws, "held").submit(produce_consume(ws, write_script))
    with served.client("read") as reader, served.client("submit") as submitter:
        assert reader.post(f"/api/runs/{run.id}/resume").status_code == 403, "read is short of submit"
        assert run.get_status() == "NotStarted"
        resumed = submitter.post(f"/api/runs/{run.id[:8]}/resume")
        assert resumed.status_code == 200 and resumed.json()["done"] is True, resumed.text
        poll(lambda: reader.get(f"/api/runs/{run.id}").json()["status"] == "Finished", timeout=60)
        assert submitter.post(f"/api/runs/{run.id}/resume").json()["done"] is False


PICTURES = """
from duto import Run
png = bytes.fromhex("89504e470d0a1a0a") + b"a tiny stand-in for a picture"
open("plot.png", "wb").write(png)
context = Run.get_context()
context.log_image("confusion", path="plot.png")
context.log_table("per_class", {"digit": [0, 1], "f1": [0.9, 1.0]})
"""


@pytest.mark.timeout(120)
def test_a_steps_images_are_served_by_name_and_never_by_path(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    step = PythonScriptStep("pictures.py", name="pictures", source_directory=write_script("pictures.py", PICTURES, "i"))
    run = finished(Experiment(ws, "images").submit(Pipeline(ws, [step])))
    with served.client("read") as reader:
        metrics = reader.get(f"/api/runs/{run.id}/steps/pictures/metrics")
        assert metrics.status_code == 200, metrics.text
        assert metrics.json()["images"] == {"confusion": "plot.png"}
        assert metrics.json()["other"]["per_class"] == {"digit": [0, 1], "f1": [0.9, 1.0]}
        assert str(ws.root) not in metrics.text, "where the server keeps files is not told"
        image = reader.get(f"/api/runs/{run.id}/steps/pictures/images/confusion")
        assert image.status_code == 200 and image.content.startswith(bytes.fromhex("89504e470d0a1a0a"))
        assert image.headers["content-type"] == "image/png"
        for name in ("per_class", "nothing", "..%2F..%2Fduto.db", "plot.png"):
            missing = reader.get(f"/api/runs/{run.id}/steps/pictures/images/{name}")
            assert missing.status_code == 404, (name, missing.text)
            assert "%" in name or "logged no image" in missing.json()["detail"]
