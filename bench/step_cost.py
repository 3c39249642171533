"""Where the runner's time for a step goes: the DB, files, spawning the step's process, and the rest.

A 100-step chain runs with its runner on a thread of this process (`DUTO_RUNNER=thread`), so that the calls it makes
can be timed where they happen: every DB transaction (`Database.reading`/`writing` and their Core forms, SQLAlchemy's
work and SQLite's), every file and folder made, opened, linked, copied, renamed or removed, and the fork and exec of
each step's process. Only the runner thread's calls count, each once (a file opened inside a transaction counts as the
DB); the runner's time waiting for its steps' processes to end is left out. "rest" is what is left of the runner's
wall time: deciding, planning, events, Python between the calls. The runner's CPU time is given beside it, and
the median time from a step's end (as the runner found it) to the start of the next step's process: what of the
runner's work lies on a chain's path, where work done while a step runs does not.

It is a split of the runner's own time, not the benchmark's figure of what a step adds (see orchestration.py): the
run is not followed as `wait_for_completion` does, so that nothing else in this process competes with the runner
thread. Compare its lines between commits on one machine.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from duto import Experiment, Workspace
from duto.execution import runner as runner_module
from duto.execution import running
from duto.execution.targets import local
from duto.pipeline import Pipeline
from duto.storage.db import Database

PARTS = ("DB", "files", "spawn", "rest")
TRANSACTIONS = ("reading", "writing", "reading_core", "writing_core")
FILE_CALLS: list[tuple[Any, str]] = [
    (os, "mkdir"),
    (os, "replace"),
    (os, "rename"),
    (os, "link"),
    (os, "unlink"),
    (os, "chmod"),
    (io, "open"),
    (shutil, "copyfile"),
]


class Split:
    """Seconds the runner thread spent in each part; a call inside another part's call counts to that one."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(("DB", "files", "spawn", "waiting"), 0.0)
        self.local = threading.local()
        # When the runner found a step's process ended, and when it had started the next one's (perf_counter)
        self.marks: list[tuple[str, float]] = []

    def gaps(self) -> list[float]:
        """Seconds from each step's end, as the runner found it, to the start of the next step's process."""
        pairs = zip(self.marks, self.marks[1:], strict=False)
        return [b - a for (kind_a, a), (kind_b, b) in pairs if (kind_a, kind_b) == ("ended", "started")]

    def counting(self) -> bool:
        return threading.current_thread().name.startswith("duto-runner-") and not getattr(self.local, "inside", False)

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        if not self.counting():
            yield
            return
        self.local.inside = True
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started
            self.local.inside = False

    def timed(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.part(name):
                return call(*args, **kwargs)

        return wrapper

    def transaction(self, name: str, opened: Callable[..., Any]) -> Callable[..., Any]:
        @contextmanager
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with self.part(name), opened(*args, **kwargs) as session:
                yield session

        return wrapper


@contextmanager
def instrumented(split: Split) -> Iterator[None]:
    """The runner's DB, file and spawn calls timed into `split` for the block."""
    # The Core forms exist from the commit that made the runner's writes Core; an earlier tree has the first two.
    transactions = [name for name in TRANSACTIONS if hasattr(Database, name)]
    patches: list[tuple[Any, str, Any]] = [
        *((Database, name, split.transaction("DB", getattr(Database, name))) for name in transactions),
        (subprocess.Popen, "_execute_child", split.timed("spawn", subprocess.Popen._execute_child)),  # type: ignore[attr-defined]
        (running.RunningSteps, "wait", split.timed("waiting", running.RunningSteps.wait)),
    ]
    patches += [(owner, name, split.timed("files", getattr(owner, name))) for owner, name in FILE_CALLS]
    patches += [
        (running.RunningSteps, "reap", marked(split, "ended", running.RunningSteps.reap)),
        (local, "start", marked(split, "started", local.start)),
    ]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def marked(split: Split, kind: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, noting in `split.marks` when it returned: "ended" when a reap found an ended step, "started"."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = call(*args, **kwargs)
        if kind == "started" or result:
            split.marks.append((kind, time.perf_counter()))
        return result

    return wrapper


def split_chain(ws: Workspace, pipeline: Pipeline, steps: int) -> dict[str, float]:
    """Run `pipeline` (a chain of `steps` steps) with its runner on a thread; ms per step in each part, and the
    runner's wall and CPU time per step without its waiting."""
    split = Split()
    timing: dict[str, float] = {}
    run_whole = runner_module.Runner.run

    def timed_run(self: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return run_whole(self)
        finally:
            timing["wall"], timing["cpu"] = time.perf_counter() - wall, time.thread_time() - cpu

    before = os.environ.get("DUTO_RUNNER")
    os.environ["DUTO_RUNNER"] = "thread"
    runner_module.Runner.run = timed_run  # type: ignore[method-assign]
    try:
        with instrumented(split):
            run = Experiment(ws, "step-cost").submit(pipeline)
            # Looked at a few times a second rather than followed: a follower on another thread of this process
            # would take the interpreter from the runner at every commit, and its time would show as the runner's.
            while (status := run.get_status()) not in ("Finished", "Failed", "Canceled"):
                time.sleep(0.2)
            # The run's final status is recorded before its runner returns: wait for the runner's own figures.
            deadline = time.monotonic() + 30.0
            while "wall" not in timing and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        runner_module.Runner.run = run_whole  # type: ignore[method-assign]
        if before is None:
            os.environ.pop("DUTO_RUNNER", None)
        else:
            os.environ["DUTO_RUNNER"] = before
    if status != "Finished":
        raise SystemExit(f"step cost: the run ended {status}")
    busy = timing["wall"] - split.seconds["waiting"]
    parts = {name: split.seconds[name] for name in ("DB", "files", "spawn")}
    parts["rest"] = busy - sum(parts.values())
    result = {name: seconds / steps * 1000 for name, seconds in parts.items()}
    result["runner busy"] = busy / steps * 1000
    result["runner CPU"] = timing["cpu"] / steps * 1000
    gaps = split.gaps()
    result["end to next start"] = statistics.median(gaps) * 1000 if gaps else 0.0
    return result
