"""The Dask target on a real LocalCluster of worker processes, driven directly (not through the runner)."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duto.execution.materialize import PreparedStep
from duto.execution.targets.dask_target import DaskStep, DaskTarget
from duto.storage.layout import StepLayout

pytestmark = pytest.mark.timeout(120)

LOCAL_SETTINGS = {
    "kind": "dask",
    "address": None,
    "n_workers": 2,
    "threads_per_worker": 1,
    "memory_limit": None,
    "max_concurrency": 2,
    "processes": True,
}

# A step that starts a child process, prints both pids, and sleeps until it is stopped.
SLEEPER = """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("pids", os.getpid(), child.pid, flush=True)
time.sleep(60)
"""


_step_groups: set[int] = set()  # process groups of the steps a test saw start


@pytest.fixture(autouse=True)
def _kill_steps_left_behind() -> Iterator[None]:
    """A failing test may leave a step running; its group goes when the test ends, whatever happened."""
    yield
    while _step_groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(_step_groups.pop(), signal.SIGKILL)


@pytest.fixture(scope="module")
def target() -> Iterator[DaskTarget]:
    """One 2-worker LocalCluster for the module; closed at its end."""
    dask_target = DaskTarget("cluster", LOCAL_SETTINGS)
    yield dask_target
    dask_target.close()


def _step(tmp_path: Path, name: str, code: str, cwd: Path | None = None) -> tuple[PreparedStep, StepLayout]:
    layout = StepLayout(tmp_path / name)
    layout.root.mkdir(parents=True)
    prepared = PreparedStep(
        command=[sys.executable, "-c", code],
        env=dict(os.environ),
        cwd=cwd or tmp_path,
        input_paths={},
        output_paths={},
        mounted_files=[],
    )
    return prepared, layout


def _wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


def _wait_exit(handle: DaskStep, timeout: float = 30.0) -> int:
    code = _wait_for(lambda: (handle.poll(),) if handle.poll() is not None else None, timeout, "step ended")
    assert isinstance(code, tuple)
    return int(code[0])


def _gone(pid: int) -> bool:
    """No such process, or only its zombie (an orphan that this container's init may never reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _pids(layout: StepLayout, count: int = 1, timeout: float = 20.0) -> list[tuple[int, int]]:
    """The (step pid, child pid) lines a SLEEPER step printed, once `count` of them are in its log."""

    def found() -> list[tuple[int, int]] | None:
        text = layout.std_log.read_text() if layout.std_log.exists() else ""
        lines = [(int(a), int(b)) for a, b in re.findall(r"^pids (\d+) (\d+)$", text, re.MULTILINE)]
        for step_pid, _ in lines:
            with contextlib.suppress(ProcessLookupError):
                _step_groups.add(os.getpgid(step_pid))
        return lines if len(lines) >= count else None

    lines = _wait_for(found, timeout, f"{count} step start(s) logged")
    assert isinstance(lines, list)
    return lines


def test_a_step_runs_on_a_worker_with_its_exit_code_and_log(target: DaskTarget, tmp_path: Path) -> None:
    code = "import os, sys; print('out', os.getcwd()); print('err', file=sys.stderr); sys.exit(0)"
    prepared, layout = _step(tmp_path, "s1", code)
    handle = target.start(prepared, layout)
    assert handle.pid is None
    assert handle.exit_fd is not None
    ready, _, _ = select.select([handle.exit_fd], [], [], 30)

    assert ready == [handle.exit_fd]  # the descriptor wakes the runner when the task ends
    assert handle.poll() == 0
    assert handle.reason is None
    assert f"out {tmp_path}\nerr\n" == layout.std_log.read_text()
    handle.close()
    assert handle.exit_fd is None


def test_two_steps_run_in_parallel_on_two_workers(target: DaskTarget, tmp_path: Path) -> None:
    code = "import time; print(time.time()); time.sleep(1); print(time.time())"
    steps = [_step(tmp_path, f"p{i}", code) for i in range(2)]
    handles = [target.start(prepared, layout) for prepared, layout in steps]

    assert [_wait_exit(h) for h in handles] == [0, 0]
    (start_a, end_a), (start_b, end_b) = ([float(x) for x in layout.std_log.read_text().split()] for _, layout in steps)
    assert start_a < end_b and start_b < end_a  # the two 1 s sleeps overlapped
    for handle in handles:
        handle.close()


def test_a_failing_step_gives_its_exit_code(target: DaskTarget, tmp_path: Path) -> None:
    prepared, layout = _step(tmp_path, "f", "import sys; print('bad input'); sys.exit(3)")
    handle = target.start(prepared, layout)

    assert _wait_exit(handle) == 3
    assert handle.reason is None
    assert layout.std_log.read_text() == "bad input\n"
    handle.close()


def test_a_task_that_cannot_start_the_step_fails_with_a_reason(target: DaskTarget, tmp_path: Path) -> None:
    prepared, layout = _step(tmp_path, "nocwd", "pass", cwd=tmp_path / "missing")
    handle = target.start(prepared, layout)

    assert _wait_exit(handle) == 1
    assert handle.reason is not None
    assert handle.reason.startswith("the Dask worker could not run the step: FileNotFoundError")
    assert "duto: could not start the step on this Dask worker" in layout.std_log.read_text()
    handle.close()


def test_a_target_with_an_address_uses_that_scheduler_and_leaves_it_running(target: DaskTarget, tmp_path: Path) -> None:
    address = target.client.scheduler_info()["address"]
    external = DaskTarget("external", {**LOCAL_SETTINGS, "address": address, "n_workers": None})
    try:
        prepared, layout = _step(tmp_path, "ext", "print('remote')")
        handle = external.start(prepared, layout)
        assert _wait_exit(handle) == 0
        handle.close()
    finally:
        external.close()

    assert layout.std_log.read_text() == "remote\n"
    prepared, layout = _step(tmp_path, "after", "pass")
    after = target.start(prepared, layout)
    assert _wait_exit(after) == 0  # closing a client of a cluster leaves the cluster up
    after.close()


def test_terminate_tree_stops_the_step_and_its_children(target: DaskTarget, tmp_path: Path) -> None:
    prepared, layout = _step(tmp_path, "c", SLEEPER)
    handle = target.start(prepared, layout)
    [(step_pid, child_pid)] = _pids(layout)

    began = time.monotonic()
    handle.terminate_tree(grace_seconds=2.0)

    assert time.monotonic() - began < 5.0
    assert handle.poll() == -signal.SIGTERM
    _wait_for(lambda: _gone(step_pid) and _gone(child_pid), 5.0, "the step and its child are gone")
    handle.close()


def test_a_lost_worker_restarts_the_step_once_then_fails_it(target: DaskTarget, tmp_path: Path) -> None:
    prepared, layout = _step(tmp_path, "lost", SLEEPER)
    handle = target.start(prepared, layout)

    [first] = _pids(layout)
    _kill_worker_running(target)
    second = _pids(layout, count=2)[1]  # started again on another worker
    assert handle.poll() is None
    _kill_worker_running(target)

    assert _wait_exit(handle) == -signal.SIGKILL
    assert handle.reason is not None
    assert re.fullmatch(
        r"the Dask worker running the step was lost \(worker tcp://127\.0\.0\.1:\d+ died or was killed while running "
        r"it, as when it runs out of memory; it was started again once, and lost each time\)",
        handle.reason,
    )
    # Each attempt's processes died with their worker rather than running on as orphans.
    _wait_for(lambda: all(_gone(pid) for pid in (*first, *second)), 5.0, "both attempts' processes are gone")
    assert "did not end; it starts again" in layout.std_log.read_text()
    handle.close()
    target.client.wait_for_workers(2, timeout=30)  # the nannies restart the killed workers


def _kill_worker_running(target: DaskTarget) -> None:
    processing = _wait_for(
        lambda: {addr: keys for addr, keys in target.client.processing().items() if keys},
        10.0,
        "a worker processes the task",
    )
    assert isinstance(processing, dict)
    [address] = processing
    pid = target.client.run(os.getpid, workers=[address])[address]
    os.kill(pid, signal.SIGKILL)


def test_close_shuts_down_the_cluster_and_its_running_steps(tmp_path: Path) -> None:
    own = DaskTarget("one", {**LOCAL_SETTINGS, "n_workers": 1})
    try:
        prepared, layout = _step(tmp_path, "running", SLEEPER)
        own.start(prepared, layout)
        [(step_pid, child_pid)] = _pids(layout)
        worker_pids = list(own.client.run(os.getpid).values())
    finally:
        began = time.monotonic()
        own.close()
        own.close()  # idempotent

    assert time.monotonic() - began < 10.0
    assert len(worker_pids) == 1
    _wait_for(lambda: all(_gone(p) for p in (*worker_pids, step_pid, child_pid)), 5.0, "workers and step are gone")


# The runner process in small: starts a 1-worker target and a step, says so, then waits to be killed.
KILLED_RUNNER = textwrap.dedent(
    """\
    import os, sys, time
    from pathlib import Path
    from duto.execution.materialize import PreparedStep
    from duto.execution.targets.dask_target import DaskTarget
    from duto.storage.layout import StepLayout

    if __name__ == "__main__":
        target = DaskTarget("one", {"kind": "dask", "n_workers": 1, "threads_per_worker": 1, "processes": True})
        layout = StepLayout(Path(sys.argv[1]))
        step = PreparedStep([sys.executable, "-c", sys.argv[2]], dict(os.environ), layout.root, {}, {}, [])
        target.start(step, layout)
        print(*target.client.run(os.getpid).values(), flush=True)
        time.sleep(60)
    """
)


def test_a_killed_runner_leaves_no_workers_steps_or_held_pipes(tmp_path: Path) -> None:
    layout = StepLayout(tmp_path / "step")
    layout.root.mkdir()
    script = tmp_path / "runner.py"
    script.write_text(KILLED_RUNNER)
    runner = subprocess.Popen(
        [sys.executable, str(script), str(layout.root), SLEEPER],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert runner.stdout is not None
        worker_pids = [int(p) for p in runner.stdout.readline().split()]
        [(step_pid, child_pid)] = _pids(layout)
    finally:
        os.kill(runner.pid, signal.SIGKILL)
    # Reaching EOF on both pipes means no worker kept the runner's stdout or stderr open.
    runner.communicate(timeout=15)

    assert len(worker_pids) == 1
    _wait_for(lambda: all(_gone(p) for p in (*worker_pids, step_pid, child_pid)), 5.0, "workers and step are gone")
