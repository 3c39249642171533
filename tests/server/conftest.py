"""A real server process on 127.0.0.1 serving the test's workspace, with tokens of each scope to call it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from duto.facade.tokens import create_token
from duto.facade.workspace import Workspace

# How the server is started: the app served by uvicorn in a process of its own, as `duto server` does.
LAUNCH = (
    "import sys, uvicorn; from pathlib import Path; from duto.server.app import create_app; "
    "uvicorn.run(create_app(Path(sys.argv[1])), host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running server: its URL, its process, and one token per scope (`tokens["read"]`, ...)."""

    url: str
    process: subprocess.Popen[bytes]
    workspace: Workspace
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, scope: str | None = "admin", timeout: float = 30.0) -> httpx.Client:
        """An HTTP client with the token of `scope` (None: no token)."""
        headers = {"Authorization": f"Bearer {self.tokens[scope]}"} if scope else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def start_server(workspace: Workspace, log: Path) -> Served:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, str(workspace.root), str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workspace.root,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", process, workspace)
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{served.url}/api/health", timeout=1).status_code == 200:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(served)
            raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    for scope in ("read", "submit", "admin"):
        served.tokens[scope] = create_token(workspace, f"test-{scope}", scope)[0]
    return served


def stop_server(served: Served) -> None:
    """Stop the server and everything in its session; it must be gone within 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(served.process.pid, signal.SIGTERM)
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=5)


@pytest.fixture
def served(ws: Workspace, tmp_path: Path) -> Iterator[Served]:
    """The test's workspace served over real HTTP until the test ends."""
    running = start_server(ws, tmp_path / "server.log")
    try:
        yield running
    finally:
        stop_server(running)
