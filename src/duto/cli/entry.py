"""The `duto` command's entry point: hand the command to the command server, or run it here.

This is the client of `duto.resident`'s server for commands: it passes on its arguments, environment,
folder and standard streams, relays the signals it gets to the command, and exits with the command's
status. It imports the standard library only, so that it starts at once. Where no server can serve
(another system, `DUTO_COMMAND_SERVER=off`, a closed standard stream), the command runs in this process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys

from duto import resident

TYPE_CHECKING = False  # the idiom type checkers honour: the `duto` command loads this first, so no typing
if TYPE_CHECKING:
    from typing import Any

# The signals a terminal or a supervisor sends to a command; they are passed on to it.
FORWARDED_SIGNALS = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGWINCH,
    signal.SIGUSR1,
    signal.SIGUSR2,
)


def _streams_open() -> bool:
    """A closed standard stream cannot be passed on, and a socket opened now would take its number."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


def _forward(conn: socket.socket) -> int | None:
    """Send the command; relay signals until it ends. Its exit code, or None if the server dropped it
    before it started (the caller then tries elsewhere)."""
    try:
        resident.send_message(conn, {"kind": "command", "argv": sys.argv, **resident.caller_context()}, [0, 1, 2])
        started = resident.receive_message(conn)
    except OSError:
        return None
    if started is None or "pid" not in started:
        return None

    def relay(signum: int, _frame: Any) -> None:
        # If the server is gone, its answer (or its absence) ends the wait below.
        with contextlib.suppress(OSError):
            resident.send_message(conn, {"signal": signum})

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, relay)
    try:
        ended = resident.receive_message(conn)
    except OSError:
        ended = None
    if ended is None or "exit" not in ended:
        sys.stderr.write("duto: the command server stopped while running this command\n")
        return 1
    return int(ended["exit"])


def _exit_like(code: int) -> None:
    """Exit as the command did: with its code, or killed by the same signal."""
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 128 - code
    sys.exit(code)


def _run_here() -> None:
    from duto.cli.app import main as run_command

    run_command()


def main() -> None:
    """Entry point of the `duto` command."""
    if sys.argv[1:2] == ["server"]:
        # The server runs in this process, so that its pid is the one recorded and signals reach it.
        _run_here()
        return
    if _streams_open():
        for _attempt in range(2):  # a server may close between our connect and its accept: start another
            conn = resident.connect()
            if conn is None:
                break
            with conn:
                code = _forward(conn)
            if code is not None:
                _exit_like(code)
                return
    _run_here()
