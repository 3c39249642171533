"""The chaos suite's shared parts: workspaces that are cleaned up, processes ended by their ids, figures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import _kill_leftovers
from duto import Workspace

FIGURES: dict[str, list[str]] = {}


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print what each chaos test measured, whether it passed or not."""
    if not FIGURES:
        return
    terminalreporter.section("chaos figures")
    for test, lines in FIGURES.items():
        terminalreporter.write_line(f"{test}:")
        for line in lines:
            terminalreporter.write_line(f"  {line}")


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> list[str]:
    """Lines of figures for this test, printed at the end of the session."""
    return FIGURES.setdefault(request.node.name, [])


class Processes:
    """Processes a test started itself, ended by their ids at its end."""

    def __init__(self) -> None:
        self.popens: list[subprocess.Popen[str]] = []

    def start(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.popens.append(proc)
        return proc

    def end(self) -> None:
        for proc in self.popens:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    started.end()


@pytest.fixture
def workspaces(tmp_path: Path) -> Iterator[list[Workspace]]:
    """Make workspaces with `new_workspace(made, name)`; every runner and step of theirs is ended at the end."""
    made: list[Workspace] = []
    yield made
    for ws in made:
        _kill_leftovers(ws)


def new_workspace(made: list[Workspace], root: Path) -> Workspace:
    ws = Workspace.create(root)
    made.append(ws)
    return ws


def finished_batches(ws: Workspace) -> int:
    """How many mini-batch results ParallelRunSteps kept in the workspace (`.duto/parallel_runs/<key>/<id>.json`)."""
    store = ws.root / ".duto" / "parallel_runs"
    return sum(1 for _ in store.glob("*/*.json")) if store.is_dir() else 0
