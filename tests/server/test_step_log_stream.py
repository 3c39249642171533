"""A step's log followed live over real HTTP (`GET /api/runs/{id}/steps/{step}/log/stream`): it grows as the step
writes, resumes after a mark or an offset, starts over for a retry, ends with the step, and lets a client that
leaves go."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import poll
from duto import Experiment, RunConfiguration
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

WRITES_OVER_TIME = """
import time
for i in range(40):
    print(f"line {i:03d} " + "x" * 90 + " é", flush=True)
    time.sleep(0.05)
"""
SLEEPS = """
import time
print("sleeping", flush=True)
time.sleep(120)
"""
FAILS_FIRST = """
import os, sys, time
mark = os.path.join(os.environ["DUTO_TEST_MARKS"], "tried")
if not os.path.exists(mark):
    open(mark, "w").close()
    print("first attempt fails", flush=True)
    time.sleep(1.5)  # long enough for the follower to have read it
    sys.exit(3)
print("second attempt works", flush=True)
"""


def one_step(ws, write_script, code: str, name: str = "talk", **config: Any) -> Pipeline:  # type: ignore[no-untyped-def]
    folder = write_script(f"{name}.py", code, name)
    step = PythonScriptStep(
        f"{name}.py", name=name, source_directory=folder, allow_reuse=False, runconfig=RunConfiguration(**config)
    )
    return Pipeline(ws, [step])


def stream(served, path: str, headers: dict[str, str] | None = None, until: str | None = None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The stream's events (id, event, data) until the server closes it, or until the first of kind `until`."""
    got: list[dict[str, Any]] = []
    with served.client("read", timeout=60) as reader, reader.stream("GET", path, headers=headers or {}) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in answer.headers, "an event stream is never gzipped"
        message: dict[str, Any] = {}
        for line in answer.iter_lines():
            if line.startswith(":"):
                continue
            if not line:
                if message:
                    got.append(message)
                    if message["event"] == until:
                        return got
                message = {}
                continue
            field, _, value = line.partition(": ")
            message[field] = json.loads(value) if field == "data" else value
    return got


def text_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["data"]["text"] for e in events if e["event"] == "log")


@pytest.mark.timeout(120)
def test_the_log_grows_live_and_resumes_after_a_mark_or_an_offset(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    run = Experiment(ws, "logs").submit(one_step(ws, write_script, WRITES_OVER_TIME))
    step = run.get_steps()[0]
    path = f"/api/runs/{run.id}/steps/{step.id}/log/stream"
    events = stream(served, path, headers={"Accept-Encoding": "gzip"})

    assert run.wait_for_completion(show_output=False) == "Finished"
    whole = step.layout.std_log.read_bytes()
    logs = [e for e in events if e["event"] == "log"]
    assert len(logs) >= 5, f"the log came in pieces as it was written, not at once: {len(logs)}"
    assert text_of(events) == whole.decode(), "every byte once, in order, characters never cut"
    assert [e["data"]["offset"] for e in logs] == sorted({e["data"]["offset"] for e in logs})
    assert events[-1]["event"] == "end" and events[-1]["data"] == {"status": "Finished", "size": len(whole)}
    assert events[-1]["id"] == f"1:{len(whole)}"

    middle = logs[len(logs) // 2]
    resumed = stream(served, path, headers={"Last-Event-ID": middle["id"]})
    at = int(middle["id"].split(":")[1])
    assert text_of(resumed).encode() == whole[at:] and resumed[-1]["event"] == "end"
    assert text_of(stream(served, f"{path}?offset=100")).encode() == whole[100:]
    assert text_of(stream(served, f"{path}?offset={len(whole)}")) == ""
    other_attempt = stream(served, path, headers={"Last-Event-ID": f"7:{at}"})
    assert other_attempt[0] == {"id": "1:0", "event": "reset", "data": {"attempt": 1}}
    assert text_of(other_attempt).encode() == whole, "a mark of another attempt starts the log over"

    with served.client("read") as reader:
        assert reader.get(f"/api/runs/{run.id}/steps/nosuchstep/log/stream").status_code == 404
        assert reader.get(f"/api/runs/nosuchrun/steps/{step.id}/log/stream").status_code == 404
        bad = reader.get(path, headers={"Last-Event-ID": "half:way"})
        assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["detail"]
        assert reader.get(f"{path}?offset=-1").status_code == 422


@pytest.mark.timeout(120)
def test_a_retry_starts_the_log_over(served, ws, write_script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    marks = {"DUTO_TEST_MARKS": str(tmp_path)}
    pipeline = one_step(
        ws, write_script, FAILS_FIRST, max_retries=1, retry_backoff_seconds=0.5, environment_variables=marks
    )
    run = Experiment(ws, "retry").submit(pipeline)
    step = run.get_steps()[0]
    events = stream(served, f"/api/runs/{run.id}/steps/{step.id}/log/stream")
    assert run.wait_for_completion(show_output=False) == "Finished"
    kinds = [e["event"] for e in events]
    assert text_of(events[:2]) == "first attempt fails\n"
    assert "reset" in kinds and kinds[-1] == "end"
    after_reset = events[len(kinds) - 1 - kinds[::-1].index("reset") :]
    assert text_of(after_reset) == step.layout.std_log.read_text() == "second attempt works\n"
    assert events[-1]["id"].startswith("2:")


def log_handles(pid: int, log: Path) -> int:
    """How many descriptors of process `pid` are open on the file `log`."""
    fds = Path(f"/proc/{pid}/fd")
    found = 0
    for fd in os.listdir(fds):
        try:
            found += os.readlink(fds / fd) == str(log)
        except OSError:  # closed since listed
            continue
    return found


@pytest.mark.timeout(120)
def test_a_client_that_leaves_is_let_go(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    run = Experiment(ws, "leaves").submit(one_step(ws, write_script, SLEEPS))
    step = run.get_steps()[0]
    path = f"/api/runs/{run.id}/steps/{step.id}/log/stream"
    log = step.layout.std_log
    try:
        for _ in range(3):
            events = stream(served, path, until="log")  # leaves after its first piece of the log
            assert text_of(events) == "sleeping\n"
            # The follower held the log open while its client was there; once it left, the file is let go.
            poll(lambda: log_handles(served.process.pid, log) == 0, timeout=10)
        with served.client("read") as reader, reader.stream("GET", path) as answer:
            assert answer.status_code == 200
            lines = answer.iter_lines()  # kept: a line iterator let go of closes the answer
            assert next(lines).startswith("id: ")
            poll(lambda: log_handles(served.process.pid, log) == 1, timeout=10)
        poll(lambda: log_handles(served.process.pid, log) == 0, timeout=10)
        assert run.get_status() == "Running", "the step goes on"
    finally:
        run.cancel()
