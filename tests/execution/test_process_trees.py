"""Liveness of processes and the killing of a step's whole tree, on real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from duto.processes import alive, descendants, signal_tree, start_ticks, wait_gone

SLEEPER = "import time; time.sleep(600)"
# Starts a child in a session of its own, prints its pid, then sleeps.
PARENT = f"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", {SLEEPER!r}], start_new_session=True)
print(child.pid, flush=True)
time.sleep(600)
"""


def test_a_zombie_and_a_reaped_process_are_gone_and_a_reused_pid_is_not_the_same_process():
    sleeper = subprocess.Popen([sys.executable, "-c", SLEEPER])
    ticks = start_ticks(sleeper.pid)
    assert ticks is not None
    assert alive(sleeper.pid) and alive(sleeper.pid, ticks)
    assert not alive(sleeper.pid, ticks + 1), "another start time names another process"
    sleeper.kill()
    deadline = time.monotonic() + 5
    while not _is_zombie(sleeper.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(sleeper.pid), "a zombie has exited"
    sleeper.wait()
    assert not alive(sleeper.pid)


def test_signal_tree_reaches_a_child_in_its_own_session_and_wait_gone_sees_it_torn_down():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, start_new_session=True, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert descendants(parent.pid) == [child]
        killed = signal_tree(parent.pid, signal.SIGKILL)
        assert killed == [child]
        parent.wait(timeout=10)
        assert wait_gone(killed, timeout=5) == []
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_wait_gone_gives_up_after_its_timeout_and_names_what_still_runs():
    sleeper = subprocess.Popen([sys.executable, "-c", SLEEPER])
    try:
        started = time.monotonic()
        assert wait_gone([sleeper.pid], timeout=0.2) == [sleeper.pid]
        assert 0.2 <= time.monotonic() - started < 2
    finally:
        sleeper.kill()
        sleeper.wait()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[-1].split()[0] == "Z"
    except OSError:
        return False
