"""`duto command-server status|stop`: the command servers of this user (see duto.cli.command_server)."""

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


def stop_servers(folder: Path, wait: float = 10.0, kill: bool = False) -> list[int]:
    """SIGTERM every server in `folder` and wait up to `wait` seconds for each to exit; with `kill`, SIGKILL
    what is left, and the commands they run. Returns their pids.

    The server running the caller (when a command calls this) exits only after it: it is not waited for.
    """
    from duto.processes import alive

    servers = [pid for pid, _ in live_servers(folder)]
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
        which = "serves this duto" if paths.key == current else "serves another duto or interpreter"
        say(f"pid {pid}: {which}, since {since}; socket {paths.socket}, log {paths.log}")


@app.command()
def stop(
    wait: Annotated[float, typer.Option(help="Seconds to wait for them to exit.")] = 10.0,
) -> None:
    """Stop every command server of this user; each exits once the commands it runs have ended."""
    from duto.cli.options import say

    servers = stop_servers(server_folder(), wait)
    say(f"stopped {len(servers)} command server(s)")
