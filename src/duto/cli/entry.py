"""The `duto` command's entry point: hand the command to the command server, or run it here.

The command server (`duto.cli.command_server`) is a resident process with duto's heavy modules imported;
it runs each command in a fork of itself, with this process's arguments, environment, folder and standard
streams, so a command costs milliseconds to start instead of the second its imports take. This module is
the client: standard library only, so that it starts at once. It starts the server when none answers,
forwards signals to the command and exits with its status. Where no server can serve (another system,
`DUTO_COMMAND_SERVER=off`, closed streams), the command runs in this process instead.

A server serves one interpreter, one copy of duto's code and one set of interpreter settings; any change
to them (an edited or upgraded duto, an installed package, another `PYTHON*` variable) gives another key,
so a server never runs stale code. It exits after `DUTO_COMMAND_SERVER_IDLE` seconds with nothing to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

SERVER_ENV = "DUTO_COMMAND_SERVER"  # "off" (or 0, no, false) runs every command in its own process
DIR_ENV = "DUTO_COMMAND_SERVER_DIR"  # where servers keep their sockets, locks and logs
IDLE_ENV = "DUTO_COMMAND_SERVER_IDLE"  # seconds a server waits for a command before it exits
DEFAULT_IDLE_SECONDS = 1800.0
START_TIMEOUT_SECONDS = 30.0
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
_HEADER = struct.Struct("!I")
_KEY_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE")


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


def server_key() -> str:
    """What a server must share with this process to run its commands: interpreter, code and settings."""
    import hashlib

    import duto

    digest = hashlib.blake2b(digest_size=10)
    digest.update(f"{sys.executable}\0{sys.version}\0{duto.__version__}\0".encode())
    for name in sorted(os.environ):
        if name.startswith("PYTHON") or name in _KEY_VARIABLES:
            digest.update(f"{name}={os.environ[name]}\0".encode())
    # An installed, removed or upgraded package changes the folder it lives in.
    for entry in sys.path[1:]:
        try:
            digest.update(f"{entry}:{os.stat(entry).st_mtime_ns}\0".encode())
        except OSError:
            digest.update(f"{entry}:-\0".encode())
    package = os.path.dirname(os.path.abspath(duto.__file__))
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{st.st_mtime_ns}:{st.st_size}\0".encode())
    return digest.hexdigest()


def server_enabled() -> bool:
    """Whether commands of this process may go to a server: Linux, not turned off, and the three standard
    streams open (a closed one cannot be passed on, and a socket opened now would take its number)."""
    if os.environ.get(SERVER_ENV, "").strip().lower() in ("0", "off", "no", "false"):
        return False
    if sys.platform != "linux" or not hasattr(socket, "send_fds"):
        return False
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


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
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        conn = _connect(paths.socket)
        if conn is not None:
            return conn
        if server.poll() is not None and server.returncode != 0:
            return None  # it failed; its log says why
        time.sleep(0.01)  # a server started by another command at the same moment also answers here
    return None


def _request() -> dict[str, Any]:
    return {
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "path": sys.path,
        "umask": _umask(),
    }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _forward(conn: socket.socket) -> int | None:
    """Send the command; relay signals until it ends. Its exit code, or None if the server dropped it
    before it started (the caller then tries elsewhere)."""
    try:
        send_message(conn, _request(), [0, 1, 2])
        started = receive_message(conn)
    except OSError:
        return None
    if started is None or "pid" not in started:
        return None

    def relay(signum: int, _frame: Any) -> None:
        # If the server is gone, its answer (or its absence) ends the wait below.
        with contextlib.suppress(OSError):
            send_message(conn, {"signal": signum})

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, relay)
    try:
        ended = receive_message(conn)
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
    if not server_enabled():
        _run_here()
        return
    folder = server_folder()
    if not private_folder(folder):
        _run_here()
        return
    paths = ServerPaths(folder, server_key())
    for _attempt in range(2):  # a server may close between our connect and its accept: start another
        conn = _connect(paths.socket) or _start_server(paths)
        if conn is None:
            break
        with conn:
            code = _forward(conn)
        if code is not None:
            _exit_like(code)
            return
    _run_here()
