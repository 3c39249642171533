"""Shared fixtures: a fresh workspace per test, and cleanup of every process a test's runs started."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import signal
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from duto import Workspace
from duto.graph.status import TERMINAL
from duto.storage.db import dispose_all


def _kill_leftovers(ws: Workspace) -> None:
    """Kill runners and step process groups of runs that did not end, by their recorded ids."""
    store = ws.runs_store
    for run, _ in store.pipeline_runs():
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


def write_wheel(folder: Path, name: str = "tinypkg", version: str = "1.0") -> Path:
    """A pure-Python wheel written by hand: package `name` whose module says `VERSION = version`."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n".encode(),
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
