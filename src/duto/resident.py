"""Reaching duto's resident process, the command server: where it lives, its key, and its wire format.

The command server (`duto.cli.command_server`) has duto's heavy modules imported and forks itself for each
request: to run a `duto` command with the caller's arguments, environment, folder and standard streams
(`duto.cli.entry`), or to become the detached runner of a submitted run (`duto.execution.launcher`). Either
then starts in milliseconds instead of the second its imports take. Standard library only: the `duto`
command imports this before anything else.

A server serves one interpreter, one copy of duto's code and one set of interpreter settings; any change to
them (an edited or upgraded duto, an installed package, another `PYTHON*` variable) gives another key, so a
server never runs stale code. It exits after `DUTO_COMMAND_SERVER_IDLE` seconds with nothing to do.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time
from pathlib import Path

TYPE_CHECKING = False  # the idiom type checkers honour: this module loads before any command, so no typing
if TYPE_CHECKING:
    from typing import Any

SERVER_ENV = "DUTO_COMMAND_SERVER"  # "off" (or 0, no, false): no server; everything starts on its own
DIR_ENV = "DUTO_COMMAND_SERVER_DIR"  # where servers keep their sockets, locks and logs
IDLE_ENV = "DUTO_COMMAND_SERVER_IDLE"  # seconds a server waits for a request before it exits
DEFAULT_IDLE_SECONDS = 1800.0
START_TIMEOUT_SECONDS = 30.0
_HEADER = struct.Struct("!I")
_KEY_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")
_adopted_key: str | None = None  # see adopt_key


class ServerPaths:
    """The files of the server for one key: its socket, its lock (which holds its pid) and its log."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key
        self.socket = folder / f"{key}.sock"
        self.lock = folder / f"{key}.lock"
        self.log = folder / f"{key}.log"


def server_folder() -> Path:
    """The private folder (mode 0700) servers of this user keep their files in."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "duto"
    return Path("/tmp") / f"duto-{os.getuid()}"


def adopt_key(key: str) -> None:
    """Make `server_key()` answer `key` from now on, in a fork of the server serving it.

    A fork runs its server's code, whatever its `sys.path` becomes: `duto run` puts the pipeline file's folder
    first, which would give another key, so the runner it asks for would come from a second server started
    for that key (a second of imports) or from the command itself, instead of from its own server.
    """
    global _adopted_key
    _adopted_key = key


def server_key() -> str:
    """What a server must share with this process to act for it: interpreter, code and settings."""
    if _adopted_key is not None:
        return _adopted_key
    import hashlib

    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{sys.executable}\0{sys.version}\0".encode())
    for name in sorted(os.environ):
        if name.startswith("PYTHON") or name in _KEY_VARIABLES:
            digest.update(f"{name}={os.environ[name]}\0".encode())
    # An installed, removed or upgraded package changes the folder it lives in. The first entry is the
    # script's or the current folder, which the server never imports from (it runs with -P).
    for entry in sys.path[1:]:
        try:
            digest.update(f"{entry}:{os.stat(entry).st_mtime_ns}\0".encode())
        except OSError:
            digest.update(f"{entry}:-\0".encode())
    package = os.path.dirname(os.path.abspath(__file__))  # duto's own files, this one among them
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{st.st_mtime_ns}:{st.st_size}\0".encode())
    return digest.hexdigest()


def server_allowed() -> bool:
    """Whether this process may use a server at all: Linux, and not turned off."""
    if os.environ.get(SERVER_ENV, "").strip().lower() in ("0", "off", "no", "false"):
        return False
    return sys.platform == "linux" and hasattr(socket, "send_fds")


def private_folder(folder: Path) -> bool:
    """Make `folder` if needed; True when it is this user's alone, as a place for a socket must be."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return False
    return st.st_uid == os.getuid() and st.st_mode & 0o077 == 0


def send_message(conn: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    frame = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(conn, [frame], fds)
        frame = frame[sent:]
    if frame:
        conn.sendall(frame)


def receive_message(conn: socket.socket, first: bytes = b"") -> dict[str, Any] | None:
    """The next message, or None when the other side has gone."""
    buffer = first
    while len(buffer) < _HEADER.size:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    (size,) = _HEADER.unpack_from(buffer)
    body = buffer[_HEADER.size :]
    while len(body) < size:
        chunk = conn.recv(max(65536, size - len(body)))
        if not chunk:
            return None
        body += chunk
    message: dict[str, Any] = json.loads(body[:size])
    return message


def caller_context() -> dict[str, Any]:
    """What a fork of the server takes on to act as this process would: environment, folder, path, umask."""
    mask = os.umask(0)
    os.umask(mask)
    return {"cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path, "umask": mask}


def connect(start: bool = True) -> socket.socket | None:
    """A connection to the server for this process, started if none runs (with `start`); None when none
    serves."""
    if not server_allowed():
        return None
    folder = server_folder()
    if not private_folder(folder):
        return None
    paths = ServerPaths(folder, server_key())
    return _connect(paths.socket) or (_start_server(paths) if start else None)


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def _start_server(paths: ServerPaths) -> socket.socket | None:
    """Start a server for `paths` and return a connection to it, or None if none answered in time."""
    import subprocess

    with open(paths.log, "ab") as log:
        # -P: the server's folder at start-up is no place to import modules from.
        server = subprocess.Popen(
            [sys.executable, "-P", "-m", "duto.cli.command_server", str(paths.folder), paths.key],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    # The process started forks the server, and exits once the server listens (0), or failed (1); a server
    # that found another one starting for the same key also exits 0, and the other answers soon.
    try:
        started = server.wait(timeout=START_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return None
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while started == 0 and time.monotonic() < deadline:
        conn = _connect(paths.socket)
        if conn is not None:
            return conn
        time.sleep(0.01)
    return None


def request_runner(root: Path, run_id: str, log: Path, start: bool = True) -> int | None:
    """Have the server fork a detached runner for a run, writing `log`; its pid, or None when none could.
    Without `start`, only a server that runs already is asked."""
    conn = connect(start)
    if conn is None:
        return None
    with conn:
        try:
            send_message(
                conn, {"kind": "runner", "root": str(root), "run_id": run_id, "log": str(log), **caller_context()}
            )
            answer = receive_message(conn)
        except OSError:
            answer = None
    return int(answer["pid"]) if answer is not None and "pid" in answer else None
