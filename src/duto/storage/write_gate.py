"""Who writes next to a SQLite DB: the threads of a process and the processes of a machine wait in turn.

SQLite lets one transaction write at a time. A transaction that finds the write lock taken waits in SQLite's
busy handler, which sleeps and tries again with growing sleeps (1 ms, then longer, up to 100 ms each). With
many writers that polling is unfair: some wait for seconds while others get through at once, and a server
answering many requests shows that as its slowest answers. A write transaction (`Database.writing`) first
passes this gate: a lock of its process's threads, then an exclusive `flock` on a file beside the DB, which the
kernel hands to the next waiter the moment it is let go. Writers then wait for each other's transactions,
not for a sleep. The busy handler stays for what does not come through the gate (a transaction that began
by reading and then writes, another program on the file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

_UNAVAILABLE = -1  # the lock file could not be opened (a read-only folder): threads still queue


class WriteGate:
    """The gate of one DB file in this process; `held()` is re-entrant within a thread."""

    def __init__(self, lock_file: Path) -> None:
        self.lock_file = lock_file
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            self._depth += 1
            fd = self._descriptor() if self._depth == 1 else _UNAVAILABLE
            try:
                if fd != _UNAVAILABLE:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    if fd != _UNAVAILABLE:
                        fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                self._depth -= 1

    def _descriptor(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                self._fd = _UNAVAILABLE
        return self._fd

    def forget(self) -> None:
        """In a forked child: close the descriptor shared with the parent (its lock stays the parent's)."""
        if self._fd is not None and self._fd != _UNAVAILABLE:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database_file: str) -> WriteGate:
    """This process's gate for the SQLite DB at `database_file` (its lock file is beside it)."""
    gate = _gates.get(database_file)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(database_file, WriteGate(Path(f"{database_file}-write.lock")))
    return gate


def _forget_gates_in_child() -> None:
    """A forked child makes gates of its own: the parent's threads' lock may have been held at the fork, and its
    lock file's descriptor is the parent's."""
    global _gates_lock
    _gates_lock = threading.Lock()
    for gate in _gates.values():
        gate.forget()
    _gates.clear()


os.register_at_fork(after_in_child=_forget_gates_in_child)
