"""Processes of this machine: whether one is still alive, what `ps` calls this one, and starting a detached one
by forking this one."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

# A thread pool that was just shut down (a multi-threaded hash) may take this long for its threads to exit.
_THREADS_SETTLE_SECONDS = 0.1


def alive(pid: int, start_ticks: int | None = None) -> bool:
    """True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. With `start_ticks` (see
    `start_ticks`), only the process that started then counts: a later one given the same pid does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False  # it was reaped between the two looks
    except OSError:
        return True
    if fields[0] in ("Z", "X"):
        return False
    return start_ticks is None or int(fields[19]) == start_ticks


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot: with the pid, it names one process for good."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, from the state on (None where unreadable)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(") ", 1)[-1].split()


def set_title(title: str) -> None:
    """Name this process as `ps` and /proc/PID/cmdline show it: duto's long-lived processes (command servers,
    runners, daemons) and the commands forked from a server would otherwise all read `python -m ...`."""
    import setproctitle

    setproctitle.setproctitle(title)


@functools.cache
def machine_id() -> str:
    """This machine as a process id is meaningful on: its host name and the id of its current boot (read once
    per process: the boot cannot change under it)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "?"
    return f"{socket.gethostname()}/{boot}"


def gone(machine: str | None, pid: int | None, ticks: int | None) -> bool:
    """True when the process recorded as (machine, pid, start ticks) certainly runs no more: it was on this
    machine, and it has exited, or the machine booted since. A process elsewhere is never known to be gone."""
    if machine is None or pid is None:
        return False
    here = machine_id()
    if machine == here:
        return not alive(pid, ticks)
    return machine.split("/")[0] == here.split("/")[0]  # this host, booted again since


def descendants(pid: int) -> list[int]:
    """Every process below `pid` in the process tree, children first."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    frontier.append(child)
    return found


def signal_tree(leader: int, sig: int) -> list[int]:
    """Send `sig` to the process group `leader` leads and to every process below it, wherever its group;
    returns the processes found below it."""
    below = descendants(leader)
    for pid in below:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, sig)
    return below


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of `pids` runs, or `timeout` seconds; returns those still running. Meant for processes
    just sent SIGKILL, which the kernel tears down in moments but not at once."""
    deadline = time.monotonic() + timeout
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.005)
        left = [pid for pid in left if alive(pid)]
    return left


# Threads whose library makes itself whole again in a forked child (os.register_at_fork): fsspec's event
# loop thread, which every fsspec filesystem with an async core starts, and which fsspec replaces after a fork.
FORK_AWARE_THREADS = frozenset({"fsspecIO"})


def can_fork_safely() -> bool:
    """Whether this process may fork and go on running Python in the child: Linux, and no thread but the
    main one and those of FORK_AWARE_THREADS.

    Any other thread (Python's, or a native pool such as a hashing library's) may hold a lock at the moment
    of the fork, and in the child nothing would ever release it. Threads of a pool that was just shut down
    get a moment to exit.
    """
    if sys.platform != "linux":
        return False
    deadline = time.monotonic() + _THREADS_SETTLE_SECONDS
    while True:
        others = [t for t in threading.enumerate() if t is not threading.main_thread()]
        aware = sum(t.name in FORK_AWARE_THREADS for t in others)
        try:
            threads = len(os.listdir("/proc/self/task"))  # native threads too, which `threading` never sees
        except OSError:
            return False
        if threading.current_thread() is threading.main_thread() and aware == len(others) == threads - 1:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)


def fork_detached(target: Callable[[], int], log: Path, prepare: Callable[[], None] | None = None) -> int:
    """Run `target()` in a new process that outlives this one; returns its pid once it has started.

    The process leads a session of its own (no terminal, no signals meant for this one's group), reads
    /dev/null and writes `log`, and is adopted by init: a short-lived middle process forks it and exits at
    once, so it never lingers as a zombie child of a long-lived caller. `prepare()` runs in it first. Call
    only when `can_fork_safely()`.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()  # what is buffered now would otherwise be written twice, by both processes
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as answer:
            pid = int(answer.read() or b"0")
        os.waitpid(middle, 0)
        return pid
    code = 1
    try:
        os.close(read_end)
        child = os.fork()
        if child:
            os.write(write_end, str(child).encode())
            code = 0
        else:
            os.close(write_end)
            os.setsid()
            if prepare is not None:
                prepare()
            _become_detached(log)
            code = target()
    except BaseException:  # a forked child must never return into its parent's code
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):  # nothing left to tell, and nowhere to tell it
                    stream.flush()
        os._exit(code)


def _become_detached(log: Path) -> None:
    """Point the standard streams at /dev/null and `log`, and take back the default signal handlers."""
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(null)
    os.close(out)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own streams, open until it exits
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import atexit

    atexit._clear()  # the parent's exit handlers are the parent's
