"""What the workspace's server costs: a trigger over REST against `PublishedPipeline.submit` in-process, and a
run followed by 100 clients over server-sent events against the same run with none.

- **Trigger**: requests per second and p50/p99 latency with 1, 8 and 32 concurrent clients (a thread each, with a
  kept-alive connection opened before the clock starts), each request `POST /api/pipelines/{id}/runs` answered
  once the run is recorded; the same count of `PublishedPipeline.submit` calls in-process at the same
  concurrency is the baseline. The published step was run once before, so every triggered run is reused whole
  and starts no runner process. The server answers once the run is recorded and its runner daemon decides the
  reuse meanwhile, in its own process; `submit` in-process decides it before returning, so its figures include
  that work. Aim: p99 under 50 ms at 8 clients on SQLite.
- **Followers**: a 100-step run (trivial steps, no reuse) followed by 100 clients of `GET /api/runs/{id}/events`
  from the moment it is triggered, against the same run with no follower; the wall time is the run's own
  (recorded start to end). Every client must get every event of the run, in order. Aim: within 1.1x.

A real server process serves a fresh workspace, started as `duto server` starts it (the command itself when this
duto has it, else the app under uvicorn as the server tests launch it), and stopped at the end with every run it
started. Aims are reported, never asserted; the script exits 0 after printing. Figures go to
bench/results/server.json. Run it with `make bench` or `.venv/bin/python bench/server.py`. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers
from sqlalchemy import select

from duto import Workspace
from duto.facade.tokens import create_token
from duto.graph.status import TERMINAL
from duto.pipeline import Pipeline, PipelineData, PublishedPipeline
from duto.pipeline.steps import CommandStep
from duto.storage import models
from duto.storage.db import dispose_all
from duto.storage.lease_store import LeaseStore

CONCURRENCY = (1, 8, 32)
TRIGGERS = 128  # per concurrency level, over HTTP and in-process alike
FOLLOWERS = 100
STEPS = 100
ROUNDS = 5  # the VM this runs on varies by a fifth from run to run: the median of five is steadier
TRIGGER_ROUTE = "/api/pipelines/{id}/runs"
EVENTS_ROUTE = "/api/runs/{run_id}/events"
UVICORN_LAUNCH = (
    "import sys, uvicorn; from pathlib import Path; from duto.server.app import create_app; "
    "uvicorn.run(create_app(Path(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')"
)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    token: str
    routes: set[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def has_server_command() -> bool:
    found = subprocess.run(
        [sys.executable, "-m", "duto.cli", "server", "--help"], capture_output=True, timeout=60, check=False
    )
    return found.returncode == 0 and b"--port" in found.stdout


@contextlib.contextmanager
def served(ws: Workspace, log: Path) -> Iterator[Server]:
    """A server process for `ws` on a free port until the block ends; then it and its session are stopped."""
    port = free_port()
    if has_server_command():
        command = [sys.executable, "-m", "duto.cli", "server", "--port", str(port), "--workspace", str(ws.root)]
    else:
        command = [sys.executable, "-c", UVICORN_LAUNCH, str(ws.root), str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=ws.root, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        token = create_token(ws, "bench", "admin")[0]
        document = httpx.get(f"{url}/api/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
        routes = {f"{m.upper()} {p}" for p, item in document.get("paths", {}).items() for m in item}
        yield Server(url, process, token, routes)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def kill_leftovers(ws: Workspace) -> None:
    """Kill the runner daemons, runners and step process groups of runs that did not end, by recorded ids."""
    for daemon in LeaseStore(ws.database).live_daemons():
        if daemon.pid is not None and daemon.pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(daemon.pid, signal.SIGKILL)
    store = ws.runs_store
    for run, _ in store.pipeline_runs(archived=True):
        if run.status in TERMINAL:
            continue
        for step in store.step_runs(run.id):
            if step.pid and step.status not in TERMINAL:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(step.pid, signal.SIGKILL)
        if run.runner_pid and run.runner_pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(run.runner_pid, signal.SIGKILL)


def wait_for_end(ws: Workspace, run_id: str, timeout: float = 600) -> models.PipelineRun:
    deadline = time.monotonic() + timeout
    while True:
        row = ws.runs_store.pipeline_run(run_id)
        if row.status in TERMINAL:
            return row
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} did not end within {timeout} s")
        time.sleep(0.1)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# trigger ---------------------------------------------------------------------------------------------
def timed_calls(
    call: Callable[[], None], count: int, clients: int, setup: Callable[[], None] = lambda: None
) -> dict[str, float]:
    """`count` calls spread over `clients` threads: calls per second and latency percentiles in ms.

    Each thread runs `setup` (making its HTTP client and opening its connection) before the clock starts, so
    the figures are of calls, not of clients being made.
    """
    latencies: list[float] = []
    lock = threading.Lock()
    share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    ready = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        setup()
        ready.wait()
        mine = []
        for _ in range(n):
            start = time.perf_counter()
            call()
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(clients) as pool:
        done = pool.map(client, share)
        ready.wait()
        start = time.perf_counter()
        list(done)
        wall = time.perf_counter() - start
    return {"per_s": count / wall, "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99)}


def bench_trigger(ws: Workspace, server: Server, published: PublishedPipeline, count: int) -> dict[str, Any]:
    # The clients speak HTTP/1.1 with the standard library's http.client over a kept-alive connection each:
    # its CPU per call is a small fraction of httpx's, which on 2 cores would otherwise take from the server.
    route = TRIGGER_ROUTE.format(id=published.id)
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    body = json.dumps({"ExperimentName": "bench"})
    local = threading.local()

    def connect() -> None:
        local.connection = http.client.HTTPConnection(str(host), port, timeout=60)
        local.connection.request("GET", "/api/health")
        local.connection.getresponse().read()

    def over_http() -> None:
        local.connection.request("POST", route, body, headers)
        answer = local.connection.getresponse()
        text = answer.read()
        if answer.status >= 300 or b'"Id"' not in text:
            raise RuntimeError(f"trigger answered {answer.status}: {text[:300]!r}")

    def in_process() -> None:
        published.submit(ws, "bench")

    figures: dict[str, Any] = {}
    for clients in CONCURRENCY:
        figures[str(clients)] = {
            "http": timed_calls(over_http, count, clients, setup=connect),
            "in_process": timed_calls(in_process, count, clients),
        }
    return figures


# followers -------------------------------------------------------------------------------------------
async def follow(url: str, token: str, received: list[tuple[str | None, str]], ready: asyncio.Event) -> None:
    """Follow one run's events to the end of the stream, keeping (id, data) of each event.

    A plain HTTP/1.1 client on asyncio streams, reading the chunked body as it comes: a hundred of them cost
    the machine little, so the figure is of the server and the run, not of the followers' own parsing.
    """
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        await writer.drain()
        ready.set()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        if not head.startswith("HTTP/1.1 200"):
            raise RuntimeError(f"events answered {head.splitlines()[0]}")
        if "transfer-encoding: chunked" not in head.lower():
            raise RuntimeError("events: expected a chunked stream")
        body = b""
        while True:  # the chunks are kept as they come and parsed once the stream has ended
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                break
            body += (await reader.readexactly(size + 2))[:-2]
        for block in body.decode().split("\n\n"):
            event_id: str | None = None
            data: list[str] = []
            for line in block.split("\n"):
                if line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
            if data or event_id is not None:
                received.append((event_id, "\n".join(data)))
    finally:
        writer.close()


Stream = list[tuple[str | None, str]]


def followers_thread(
    url: str, token: str, count: int, errors: list[BaseException]
) -> tuple[threading.Thread, list[Stream]]:
    """A thread that follows `url` with `count` clients at once (asyncio), keeping their errors in `errors`."""
    streams: list[Stream] = [[] for _ in range(count)]

    async def main() -> None:
        readies = [asyncio.Event() for _ in range(count)]
        results = await asyncio.gather(
            *(follow(url, token, streams[i], readies[i]) for i in range(count)), return_exceptions=True
        )
        errors.extend(r for r in results if isinstance(r, BaseException))

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    return thread, streams


def chain(count: int) -> list[CommandStep]:
    data = [PipelineData(f"d{i}") for i in range(count)]
    steps = []
    for i, out in enumerate(data):
        inputs = [data[i - 1].as_input("prev")] if i else []
        copy = f'cat "$DUTO_INPUT_prev/x" > "$DUTO_OUTPUT_d{i}/x"; ' if i else ""
        command = f'mkdir -p "$DUTO_OUTPUT_d{i}"; {copy}echo {i} >> "$DUTO_OUTPUT_d{i}/x"'
        steps.append(CommandStep(command, name=f"s{i:03d}", inputs=inputs, outputs=[out], allow_reuse=False))
    return steps


def run_wall(row: models.PipelineRun) -> float:
    assert row.ended_at is not None
    return float((row.ended_at - row.created_at).total_seconds())


def event_ids(ws: Workspace, run_id: str) -> list[int]:
    with ws.database.reading() as s:
        return list(
            s.scalars(select(models.Event.id).where(models.Event.pipeline_run_id == run_id).order_by(models.Event.id))
        )


def in_order(stream: Stream, recorded: list[int]) -> bool:
    """Whether a client got every event of the run, in order: the run's event ids when the stream carries
    them, else as many events as were recorded, with increasing ids."""
    ids = [i for i, _ in stream]
    if ids == [str(r) for r in recorded]:
        return True
    if len(ids) != len(recorded) or not all(i is not None and i.isdigit() for i in ids):
        return False
    numbers = [int(i) for i in ids if i is not None]
    return all(a < b for a, b in itertools.pairwise(numbers))


def bench_followers(ws: Workspace, server: Server, followers: int, steps: int, rounds: int) -> dict[str, Any]:
    """Rounds alternating a run alone and the same run followed; the ratio is of the medians."""
    published = Pipeline(ws, chain(steps)).publish("bench-chain")
    trigger = server.url + TRIGGER_ROUTE.format(id=published.id)
    headers = {"Authorization": f"Bearer {server.token}"}

    def start() -> str:
        answer = httpx.post(trigger, json={"ExperimentName": "bench-follow"}, headers=headers, timeout=60)
        answer.raise_for_status()
        return str(answer.json()["Id"])

    alone: list[float] = []
    followed: list[float] = []
    statuses: set[str] = set()
    complete: list[int] = []
    same: list[int] = []
    events: list[int] = []
    errors: list[BaseException] = []
    still_open = False
    for _ in range(rounds):
        row = wait_for_end(ws, start())
        alone.append(run_wall(row))
        statuses.add(row.status)
        run_id = start()
        thread, streams = followers_thread(
            server.url + EVENTS_ROUTE.format(run_id=run_id), server.token, followers, errors
        )
        thread.start()
        row = wait_for_end(ws, run_id)
        followed.append(run_wall(row))
        statuses.add(row.status)
        thread.join(timeout=120)
        still_open = still_open or thread.is_alive()
        recorded = event_ids(ws, run_id)
        events.append(len(recorded))
        complete.append(sum(1 for stream in streams if in_order(stream, recorded)))
        same.append(sum(1 for stream in streams if stream == streams[0]))
    return {
        "steps": steps,
        "followers": followers,
        "rounds": rounds,
        "alone_s": alone,
        "followed_s": followed,
        "ratio": statistics.median(followed) / statistics.median(alone),
        "statuses": sorted(statuses),
        "events_recorded": events,
        "clients_with_every_event_in_order": min(complete),
        "clients_with_the_same_stream": min(same),
        "client_errors": [repr(e)[:200] for e in errors[:5]],
        "followers_still_open": still_open,
    }


# output ----------------------------------------------------------------------------------------------
def print_trigger(console: Console, figures: dict[str, Any], count: int) -> None:
    table = Table(
        title=f"Trigger: {count} runs per line, answered once recorded; over HTTP, then PublishedPipeline.submit "
        "in-process; HTTP time: the ratio of the two"
    )
    for column in ("clients", "HTTP /s", "p50 ms", "p99 ms", "in-process /s", "p50 ms", "p99 ms", "HTTP time"):
        table.add_column(column, justify="right")
    for clients, line in figures.items():
        http, local = line["http"], line["in_process"]
        table.add_row(
            clients,
            f"{http['per_s']:.0f}",
            f"{http['p50_ms']:.1f}",
            f"{http['p99_ms']:.1f}",
            f"{local['per_s']:.0f}",
            f"{local['p50_ms']:.1f}",
            f"{local['p99_ms']:.1f}",
            f"{local['per_s'] / http['per_s']:.2f}x",
        )
    console.print(table)
    if "8" in figures:
        p99 = figures["8"]["http"]["p99_ms"]
        console.print(f"aim: p99 under 50 ms at 8 clients: {p99:.1f} ms ({'met' if p99 < 50 else 'missed'})")


def print_followers(console: Console, f: dict[str, Any]) -> None:
    table = Table(
        title=f"Followers: a {f['steps']}-step run, {f['followers']} SSE clients against none "
        f"(median of {f['rounds']} rounds; clients: the worst round)"
    )
    for column in ("alone s", "followed s", "ratio", "events", "complete, in order", "same stream"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{statistics.median(f['alone_s']):.2f}",
        f"{statistics.median(f['followed_s']):.2f}",
        f"{f['ratio']:.2f}x",
        str(max(f["events_recorded"])),
        f"{f['clients_with_every_event_in_order']}/{f['followers']}",
        f"{f['clients_with_the_same_stream']}/{f['followers']}",
    )
    console.print(table)
    console.print(f"aim: within 1.1x, every client every event: {'met' if ok(f) else 'missed'}")
    if f["client_errors"] or f["followers_still_open"]:
        console.print(f"client errors: {f['client_errors']}; streams still open: {f['followers_still_open']}")


def ok(f: dict[str, Any]) -> bool:
    return bool(f["ratio"] <= 1.1 and f["clients_with_every_event_in_order"] == f["followers"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=TRIGGERS, help="runs triggered per line")
    parser.add_argument("--followers", type=int, default=FOLLOWERS)
    parser.add_argument("--steps", type=int, default=STEPS, help="steps of the followed run")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of the followers' comparison")
    args = parser.parse_args()
    console = Console()
    figures: dict[str, Any] = {}
    with own_command_servers(), tempfile.TemporaryDirectory(prefix="duto-bench-server-") as tmp:
        ws = Workspace.create(Path(tmp) / "ws")
        os.chdir(ws.root)
        try:
            with served(ws, Path(tmp) / "server.log") as server:
                step = CommandStep("echo hello", name="hello")
                published = Pipeline(ws, [step]).publish("bench-trigger")
                wait_for_end(ws, published.submit(ws, "warm-up").id)  # later runs of it are reused whole
                if f"POST {TRIGGER_ROUTE}" in server.routes:
                    figures["trigger"] = bench_trigger(ws, server, published, args.triggers)
                    print_trigger(console, figures["trigger"], args.triggers)
                else:
                    console.print(f"[yellow]no POST {TRIGGER_ROUTE} on this server: trigger not measured[/]")
                if f"POST {TRIGGER_ROUTE}" in server.routes and f"GET {EVENTS_ROUTE}" in server.routes:
                    figures["followers"] = bench_followers(ws, server, args.followers, args.steps, args.rounds)
                    print_followers(console, figures["followers"])
                else:
                    console.print(f"[yellow]no GET {EVENTS_ROUTE} on this server: followers not measured[/]")
        finally:
            kill_leftovers(ws)
            dispose_all()
            os.chdir(Path(tmp).parent)
    write_figures("server", figures, console)


if __name__ == "__main__":
    main()
