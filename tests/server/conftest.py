"""A real `duto server` process on 127.0.0.1 serving the test's workspace, with tokens of each scope to call it."""

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
from duto.storage.server_record import running_server

STOP_SECONDS = 10.0  # SIGTERM must stop the server within this


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
    log: Path | None = None

    def sign_in_url(self) -> str:
        """The sign-in URL the server printed."""
        assert self.log is not None
        for line in self.log.read_text().splitlines():
            if line.startswith("sign in: "):
                return line.removeprefix("sign in: ")
        raise AssertionError(f"the server printed no sign-in URL: {self.log.read_text()[-2000:]}")

    def client(self, scope: str | None = "admin", timeout: float = 30.0) -> httpx.Client:
        """An HTTP client with the token of `scope` (None: no token)."""
        headers = {"Authorization": f"Bearer {self.tokens[scope]}"} if scope else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


def server_command(workspace: Workspace, port: int) -> list[str]:
    return [sys.executable, "-m", "duto.cli", "server", "--port", str(port), "--workspace", str(workspace.root)]


def start_server(workspace: Workspace, log: Path, tokens: bool = True) -> Served:
    """Start `duto server` on a free port; return once it answers and has recorded itself."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_command(workspace, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workspace.root,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", process, workspace, log=log)
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(httpx.HTTPError):
            record = running_server(workspace.config.duto_dir)
            if (
                record is not None
                and record.pid == process.pid
                and httpx.get(f"{served.url}/api/health", timeout=1).status_code == 200
            ):
                break
        if process.poll() is not None or time.monotonic() > deadline:
            stop_server(served)
            raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    if tokens:
        for scope in ("read", "submit", "admin"):
            served.tokens[scope] = create_token(workspace, f"test-{scope}", scope)[0]
    return served


def stop_server(served: Served) -> float:
    """SIGTERM the server; it must be gone within 10 s, else it is killed and the test fails. Returns how long
    it took."""
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        served.process.send_signal(signal.SIGTERM)
    try:
        served.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(timeout=5)
        raise AssertionError(f"the server did not stop within {STOP_SECONDS} s of SIGTERM") from None
    return time.monotonic() - started


@pytest.fixture
def served(ws: Workspace, tmp_path: Path) -> Iterator[Served]:
    """The test's workspace served over real HTTP until the test ends."""
    running = start_server(ws, tmp_path / "server.log")
    try:
        yield running
    finally:
        stop_server(running)
