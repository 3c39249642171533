"""`duto command-server status|stop`: the command servers of this user (see duto.cli.command_server).

Each server serves one key (`duto.resident.server_key`): one interpreter, one copy of duto, one set of
settings. `stop` stops the one whose key is this process's, `stop --all` every one of the user's.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from duto.resident import ServerPaths, server_folder, server_key

app = typer.Typer(
    help="The resident process that starts duto commands in milliseconds (DUTO_COMMAND_SERVER=off: none).",
    no_args_is_help=True,
)
THIS_ONE = "this one: serves this interpreter and duto"  # how `status` marks the server `stop` stops


def live_servers(folder: Path) -> list[tuple[int, ServerPaths]]:
    """(pid, paths) of every server in `folder` that holds its lock now."""
    found = []
    for lock_file in sorted(folder.glob("*.lock")) if folder.is_dir() else []:
        paths = ServerPaths(folder, lock_file.stem)
        with open(lock_file) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = handle.read().strip()
                if text.isdigit():
                    found.append((int(text), paths))
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
    return found


def stop_servers(folder: Path, wait: float = 10.0, kill: bool = False, key: str | None = None) -> list[int]:
    """SIGTERM every server in `folder` (with `key`, only the one serving that key) and wait up to `wait`
    seconds for each to exit; with `kill`, SIGKILL what is left, and the commands they run. Returns their pids.

    The server running the caller (when a command calls this) exits only after it: it is not waited for.
    """
    from duto.processes import alive

    servers = [pid for pid, paths in live_servers(folder) if key is None or paths.key == key]
    commands = [child for pid in servers for child in _children(pid)] if kill else []
    for pid in servers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    others = [pid for pid in servers if pid != os.getppid()]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and any(alive(pid) for pid in others):
        time.sleep(0.02)
    if kill:
        for pid in [*others, *commands]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return servers


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@app.command()
def status() -> None:
    """List the command servers running for this user, and which one serves this duto."""
    from duto.cli.options import say

    servers = live_servers(server_folder())
    if not servers:
        say(f"no command server is running (their folder: {server_folder()})")
        return
    current = server_key()
    for pid, paths in servers:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(paths.lock.stat().st_mtime))
        which = THIS_ONE if paths.key == current else "serves another duto or interpreter"
        say(f"pid {pid}: {which}, since {since}; socket {paths.socket}, log {paths.log}")


@app.command()
def stop(
    every: Annotated[
        bool, typer.Option("--all", help="Stop every command server of this user, whatever it serves.")
    ] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait for them to exit.")] = 10.0,
) -> None:
    """Stop the command server that serves this interpreter and duto (`--all`: every one of this user's).

    Each server exits once the commands it runs have ended.
    """
    from duto.cli.options import say

    folder = server_folder()
    servers = stop_servers(folder, wait, key=None if every else server_key())
    if every or servers:
        say(f"stopped {len(servers)} command server(s)")
        return
    others = len(live_servers(folder))
    say(
        "no command server serves this interpreter and duto; "
        + (f"{others} serve others (`--all` stops them too)" if others else "none runs")
    )
