"""Shared fixtures: a fresh workspace per test, and cleanup of every process a test's runs started."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from duto import Workspace
from duto.cli.command_servers import stop_servers
from duto.graph.status import TERMINAL
from duto.resident import DIR_ENV, IDLE_ENV
from duto.storage.db import dispose_all
from duto.storage.lease_store import LeaseStore
from duto.storage.temporary import TMP_MARK, temporary_name


def stop_command_servers(folder: Path) -> None:
    """End every command server in `folder`, and the commands they run, by the pids they hold."""
    stop_servers(folder, wait=5, kill=True)


@pytest.fixture
def server_folder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder of command servers for this test alone, empty at its start; its servers stop at its end."""
    made = Path(tempfile.mkdtemp(prefix="duto-cs-"))
    monkeypatch.setenv(DIR_ENV, str(made))
    yield made
    stop_command_servers(made)
    shutil.rmtree(made, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _command_servers() -> Iterator[None]:
    """`duto` commands the tests run go through command servers of this session's own, in a folder of its
    own (a short path: a socket's path must fit in 108 bytes), stopped when the session ends."""
    folder = Path(tempfile.mkdtemp(prefix="duto-cs-"))
    os.environ[DIR_ENV] = str(folder)
    os.environ.setdefault(IDLE_ENV, "300")
    yield
    stop_command_servers(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _kill_leftovers(ws: Workspace) -> None:
    """Kill runner daemons, runners and step process groups of runs that did not end, by their recorded ids."""
    for daemon in LeaseStore(ws.database).live_daemons():
        if daemon.pid is not None and daemon.pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(daemon.pid, signal.SIGKILL)
    store = ws.runs_store
    for run, _ in store.pipeline_runs(archived=True):
        for step in store.step_runs(run.id):
            if step.pid and step.status not in TERMINAL:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(step.pid, signal.SIGKILL)
        if run.runner_pid and run.runner_pid != os.getpid() and run.status not in TERMINAL:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(run.runner_pid, signal.SIGKILL)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    """A new workspace in tmp_path/ws, with the current folder inside it."""
    monkeypatch.delenv("DUTO_WORKSPACE", raising=False)
    monkeypatch.delenv("DUTO_RUNNER", raising=False)
    root = tmp_path / "ws"
    workspace = Workspace.create(root)
    monkeypatch.chdir(root)
    yield workspace
    _kill_leftovers(workspace)
    dispose_all()


@pytest.fixture
def write_script(ws: Workspace):  # type: ignore[no-untyped-def]
    """Write a step script into a source folder of the workspace; returns the folder."""

    def write(name: str, code: str, folder: str = "src") -> str:
        path = ws.root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code))
        return str(path.parent)

    return write


def poll(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def wait_until():  # type: ignore[no-untyped-def]
    """`wait_until(predicate, timeout=10)`: poll until truthy, never sleep on a guess."""
    return poll


def run_duto(
    *args: str,
    cwd: Path,
    workspace: Path | None = None,
    columns: int = 200,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the `duto` command as its console script does (`python -m duto.cli`), in `cwd`.

    DUTO_WORKSPACE is set only when `workspace` is given, DUTO_RUNNER never; `env` adds variables. COLUMNS is
    wide enough that Rich never folds an id or a path in a table.
    """
    environ = {k: v for k, v in os.environ.items() if k not in ("DUTO_WORKSPACE", "DUTO_RUNNER")}
    environ["COLUMNS"] = str(columns)
    if workspace is not None:
        environ["DUTO_WORKSPACE"] = str(workspace)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "duto.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 server (moto's) on 127.0.0.1 for the whole session; each test makes its own bucket."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str):  # type: ignore[no-untyped-def]
    """A boto3 client of the test server, to look at buckets from outside duto."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test-reader",
        aws_secret_access_key="test-reader",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_bucket(s3_client) -> str:  # type: ignore[no-untyped-def]
    """A new, empty bucket on the test server."""
    name = f"duto-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


def dead_pid() -> int:
    """The pid of a process that has just exited (and been reaped)."""
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def stray_name(final_name: str) -> str:
    """A temporary name as duto gives one, of a writer of this machine that has died."""
    live = temporary_name(final_name)
    stem, mark, rest = live.rpartition(TMP_MARK)
    tag, _, tail = rest.partition("-")
    return f"{stem}{mark}{tag}-{dead_pid()}-{tail.partition('-')[2]}"


def write_wheel(folder: Path, name: str = "tinypkg", version: str = "1.0", says: str | None = None) -> Path:
    """A pure-Python wheel written by hand: package `name` whose module says `VERSION = version` (or `says`:
    a wheel rebuilt with new content under the same file name)."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {says or version!r}\n".encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: duto-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,", ""]).encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel
