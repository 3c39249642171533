"""The command server: a resident process with duto's heavy modules imported, which forks itself to run a
`duto` command with its caller's arguments, environment, folder and standard streams, or to become the
detached runner of a submitted run.

`duto.resident` says how clients reach it (`duto.cli.entry` for commands, `duto.execution.launcher` for
runners). The server is single-threaded, so forking it is always safe. It holds a lock file for its key while
it lives (a second server for the same key exits at once), passes on the signals a command's client relays,
hangs up a command whose client went away, and exits when it has had nothing to do for its idle time, or on
SIGTERM once its commands have ended (runners are on their own from the start).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import importlib.util
import io
import json
import os
import selectors
import shlex
import signal
import socket
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duto.execution.launcher import FORKED_FROM_SERVER, run_detached
from duto.processes import fork_detached, set_title
from duto.resident import (
    DEFAULT_IDLE_SECONDS,
    IDLE_ENV,
    ServerPaths,
    adopt_key,
    private_folder,
    receive_message,
    send_message,
)

# What commands import, loaded once by the server so that no command pays for it. The CLI's own modules are
# not among them: they make their consoles as they load, and those must see the command's streams.
PRELOAD = (
    "typer",
    "typer._adapters",  # Typer's parameter parsing, through pydantic, loaded at a command's first option
    "typer._click.decorators",
    "pydantic",
    "rich.console",
    "rich.rule",
    "rich._emoji_codes",  # loaded when markup is first rendered
    "pydantic.plugin._loader",
    "rich.live",
    "rich.progress",
    "rich.table",
    "rich.text",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "fsspec.implementations.dirfs",
    "fsspec.implementations.local",
    "zoneinfo",
    "duto.caching.explain",
    "duto.facade.compute_targets",
    "duto.facade.content_cache",
    "duto.facade.datastore",
    "duto.facade.environment_registry",
    "duto.facade.experiment",
    "duto.pipeline.steps",
    "duto.facade.runs",
    "duto.facade.submission",
    "duto.facade.watching",
    "duto.facade.workspace",
)
# Loaded too where installed: runners of runs with Dask steps, forked from the server, need not import dask.
# (Its numerical libraries start a thread pool of their own, which makes itself whole again in a fork.)
OPTIONAL_PRELOAD = {"distributed": "duto.execution.targets.dask_target"}
ACCEPT_TIMEOUT_SECONDS = 10.0  # a client that connects and sends nothing does not hold the server up
HANGUP_GRACE_SECONDS = 5.0  # a command whose client went away gets SIGHUP, then SIGKILL after this
_MAX_LOG_BYTES = 1 << 20
_CREDENTIALS = struct.Struct("3i")


@dataclass
class Command:
    """A command running in a child of the server, for the client at the other end of `conn`."""

    pid: int
    conn: socket.socket
    inbox: bytes = b""
    hung_up_at: float | None = None


@dataclass
class Server:
    paths: ServerPaths
    idle_seconds: float
    ready: int | None = None  # a pipe to write b"ready" (or b"busy": another server has the key) to, once
    commands: dict[int, Command] = field(default_factory=dict)
    stopping: bool = False

    def _tell(self, word: bytes) -> None:
        if self.ready is not None:
            os.write(self.ready, word)
            os.close(self.ready)
            self.ready = None

    def serve(self) -> int:
        """Serve until idle or told to stop; 0 also when another server holds this key already."""
        lock = open(self.paths.lock, "a+")  # noqa: SIM115 - held for the server's whole life
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._tell(b"busy")
            return 0
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        self._lock = lock
        set_title(server_title())
        for name in PRELOAD:
            importlib.import_module(name)
        for needed, name in OPTIONAL_PRELOAD.items():
            if importlib.util.find_spec(needed) is not None:
                importlib.import_module(name)
        from sqlalchemy.orm import configure_mappers

        configure_mappers()  # once here, not in the first query of every command
        # What is loaded now lives as long as the server and every fork of it: out of the collector's sight, a
        # fork's collections do not walk it (a full collection would take tens of ms each time) nor touch its
        # pages (which stay shared with the server instead of being copied).
        gc.collect()
        gc.freeze()
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        for end in (self._wake_r, self._wake_w):
            end.setblocking(False)
        signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # the wake-up fd tells the loop
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)
        self.listener = self._listen()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(self._wake_r, selectors.EVENT_READ)
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} serving {self.paths.socket} (pid {os.getpid()})", flush=True)
        self._tell(b"ready")
        try:
            self._loop()
        finally:
            self._close_listener()
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} stopped", flush=True)
        return 0

    def _listen(self) -> socket.socket:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        staged = self.paths.folder / f".{self.paths.key}.{os.getpid()}.sock"
        staged.unlink(missing_ok=True)
        listener.bind(str(staged))
        os.replace(staged, self.paths.socket)  # replaces the socket of a server that died: the lock was free
        listener.listen(64)
        listener.setblocking(False)
        return listener

    def _close_listener(self) -> None:
        listener = getattr(self, "listener", None)
        if listener is None or listener.fileno() < 0:
            return
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(listener)
        listener.close()
        self.paths.socket.unlink(missing_ok=True)  # ours: we hold the lock

    def _stop(self, _signum: int, _frame: Any) -> None:
        self.stopping = True

    def _loop(self) -> None:
        last_active = time.monotonic()
        while True:
            if self.stopping:
                self._close_listener()
                if not self.commands:
                    return
            now = time.monotonic()
            if self.commands:
                last_active = now
                timeout: float | None = 1.0 if any(c.hung_up_at for c in self.commands.values()) else None
            else:
                timeout = last_active + self.idle_seconds - now
                if timeout <= 0:
                    return
            for key, _ in self.selector.select(timeout):
                if key.fileobj is self.listener:
                    self._accept()
                elif key.fileobj is self._wake_r:
                    with contextlib.suppress(BlockingIOError):
                        while self._wake_r.recv(4096):
                            pass
                else:
                    self._from_client(key.data)
            self._reap()
            self._kill_hung_up()

    # commands ------------------------------------------------------------------------------------
    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return
        fds: list[int] = []
        try:
            conn.settimeout(ACCEPT_TIMEOUT_SECONDS)
            _pid, uid, _gid = _CREDENTIALS.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
            )
            if uid != os.getuid():
                conn.close()
                return
            first, fds, _flags, _address = socket.recv_fds(conn, 1 << 16, 3)
            request = receive_message(conn, first)
        except (OSError, ValueError):
            request = None
        kind = (request or {}).get("kind")
        if request is not None and kind == "runner" and not fds:
            self._start_runner(conn, request)
            return
        if request is None or kind != "command" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            self._become_command(conn, fds, request)  # never returns
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)  # also done by the child: whichever runs first
        for fd in fds:
            os.close(fd)
        command = Command(pid, conn)
        self.commands[pid] = command
        try:
            conn.settimeout(None)
            send_message(conn, {"pid": pid})
            conn.setblocking(False)
        except OSError:
            self._hang_up(command)
            return
        self.selector.register(conn, selectors.EVENT_READ, pid)

    def _start_runner(self, conn: socket.socket, request: dict[str, Any]) -> None:
        """Fork a detached runner for the run the request names, in the submitter's environment and folder."""
        root, run_id, log = Path(request["root"]), str(request["run_id"]), Path(request["log"])
        with conn:
            try:
                pid = fork_detached(
                    lambda: run_detached(root, run_id, FORKED_FROM_SERVER),
                    log,
                    prepare=lambda: self._leave(request, conn),
                )
                conn.settimeout(ACCEPT_TIMEOUT_SECONDS)
                send_message(conn, {"pid": pid})
            except OSError as exc:
                print(f"could not start a runner for run {run_id}: {exc}", flush=True)

    def _leave(self, request: dict[str, Any], conn: socket.socket) -> None:
        """In a fork: close everything of the server's (its socket, its lock, every client's connection, this
        request's too), and take on the caller's environment and folder."""
        signal.set_wakeup_fd(-1)
        self.selector.close()
        for end in (self.listener, self._wake_r, self._wake_w, self._lock, conn):
            end.close()
        for command in self.commands.values():
            command.conn.close()
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]))
        sys.path[:] = list(request["path"])
        adopt_key(self.paths.key)  # the caller's key, as it reached this server by it

    def _from_client(self, pid: int) -> None:
        command = self.commands.get(pid)
        if command is None:
            return
        try:
            chunk = command.conn.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._hang_up(command)
            return
        command.inbox += chunk
        while len(command.inbox) >= 4:
            (size,) = struct.unpack_from("!I", command.inbox)
            if len(command.inbox) < 4 + size:
                break
            message = command.inbox[4 : 4 + size]
            command.inbox = command.inbox[4 + size :]
            with contextlib.suppress(ValueError, TypeError, KeyError):
                self._signal(pid, int(json.loads(message)["signal"]))

    def _signal(self, pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signum)

    def _hang_up(self, command: Command) -> None:
        """The client went away (closed terminal, killed): the command gets what a terminal's hangup sends."""
        if command.hung_up_at is None:
            command.hung_up_at = time.monotonic()
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(command.conn)
            self._signal(command.pid, signal.SIGHUP)

    def _kill_hung_up(self) -> None:
        now = time.monotonic()
        for command in self.commands.values():
            if command.hung_up_at is not None and now - command.hung_up_at > HANGUP_GRACE_SECONDS:
                self._signal(command.pid, signal.SIGKILL)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            command = self.commands.pop(pid, None)
            if command is None:
                continue
            if command.hung_up_at is None:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(command.conn)
                with contextlib.suppress(OSError):
                    command.conn.setblocking(True)
                    send_message(command.conn, {"exit": os.waitstatus_to_exitcode(status)})
            command.conn.close()

    # in the child --------------------------------------------------------------------------------
    def _become_command(self, conn: socket.socket, fds: list[int], request: dict[str, Any]) -> None:
        """Turn this fork into the command the client asked for, run it, and exit with its status."""
        code = 1
        try:
            os.setpgid(0, 0)
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self._leave(request, conn)
            for number, fd in enumerate(fds):
                os.dup2(fd, number)
                os.close(fd)
            sys.argv = list(request["argv"])
            set_title(shlex.join(["duto", *sys.argv[1:]]))
            _reopen_standard_streams()
            import atexit

            atexit._clear()  # the server's exit handlers are not the command's
            code = _run_command()
            atexit._run_exitfuncs()
        except BaseException:  # a forked child must never return into the server's loop
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)


def server_title() -> str:
    """What `ps` shows for a server: the interpreter and the duto it serves, which its key stands for."""
    import duto

    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return f"duto command-server ({version} {sys.executable}, duto {Path(duto.__file__).parent})"


def _reopen_standard_streams() -> None:
    """Standard streams over the client's descriptors, set up as Python sets up its own at start-up."""
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    encoding = sys.stdout.encoding if sys.stdout is not None else "utf-8"
    errors = sys.stdout.errors if sys.stdout is not None else "strict"
    # Opened for the process's life, as Python's own standard streams are.
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding, errors)  # noqa: SIM115
    streams = []
    for fd in (1, 2):
        raw = open(fd, "wb", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
        streams.append(
            io.TextIOWrapper(
                raw,  # a raw FileIO when unbuffered, as Python's own -u streams are
                encoding,
                "backslashreplace" if fd == 2 else errors,
                line_buffering=fd == 2 or os.isatty(fd),
                write_through=unbuffered,
            )
        )
    sys.stdout = streams[0]
    sys.stderr = streams[1]


def _run_command() -> int:
    from duto.cli.app import main

    try:
        main()
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    """`python -P -m duto.cli.command_server FOLDER KEY`, as `duto.cli.entry` starts it."""
    folder, key = Path(argv[0]), argv[1]
    if not private_folder(folder):
        print(f"{folder} is not a private folder of this user; not serving", file=sys.stderr)
        return 1
    # The process the client started waits only until the server, a child of it, listens (or fails), and
    # ends: the server is adopted by init, and nothing of the client's waits on it.
    read_end, write_end = os.pipe()
    if os.fork():
        os.close(write_end)
        with os.fdopen(read_end, "rb") as told:
            return 0 if told.read() in (b"ready", b"busy") else 1
    os.close(read_end)
    paths = ServerPaths(folder, key)
    with contextlib.suppress(OSError):
        if paths.log.stat().st_size > _MAX_LOG_BYTES:
            paths.log.write_bytes(b"")
    idle = float(os.environ.get(IDLE_ENV) or DEFAULT_IDLE_SECONDS)
    return Server(paths, idle, ready=write_end).serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
