"""The `duto server` process: one per workspace folder, serving the app with uvicorn in this very process.

While it serves it holds an exclusive lock on `.duto/server.lock` (a second server of the folder is refused,
named), keeps the workspace's server record (`.duto/server.json`), and has a runner daemon serve the runs
submitted over HTTP (starting one when none serves, and stopping it at exit only if it started it). At each
start it mints an admin token for the person who started it and prints a sign-in URL with it, as Jupyter
does; at exit it revokes that token, removes the record and lets go of the lock. SIGTERM and Ctrl-C stop it
within seconds: open requests (server-sent event streams too) get a short grace, then are cut.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from duto.errors import ServerError
from duto.facade.tokens import Scope, create_token, revoke_server_tokens
from duto.facade.workspace import Workspace
from duto.processes import alive, start_ticks
from duto.storage.server_record import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ServerRecord,
    remove_record,
    running_server,
    write_record,
)

LOCK_FILE = "server.lock"
LOG_FILE = "server.log"
LOG_ENV = "DUTO_SERVER_LOG"  # where a detached server's output goes, for its record
SIGN_IN_PREFIX = "sign in: "
GRACEFUL_SHUTDOWN_SECONDS = 3
DAEMON_STOP_SECONDS = 3.0
SCHEDULER_STOP_SECONDS = 5.0  # a pass under way (a trigger, a scan) ends within this
DAEMON_WATCH_SECONDS = 1.0  # how soon a runner daemon that went away is replaced
DETACH_WAIT_SECONDS = 30.0
STOP_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class ServeOptions:
    """What `duto server` was asked for."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    allow_hosts: tuple[str, ...] = ()
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    log_level: str = "warning"

    @property
    def tls(self) -> bool:
        return self.ssl_certfile is not None

    def url(self) -> str:
        """The URL a client of this machine reaches the server at (loopback for a wildcard bind)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else "::1" if self.host == "::" else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or `localhost`; wildcard binds (0.0.0.0, ::) are not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clear_text_warning(options: ServeOptions) -> str | None:
    """The warning to print when the server would answer other machines without TLS, else None."""
    if options.tls or is_loopback(options.host):
        return None
    return (
        f"warning: serving on {options.host}, which other machines can reach, without TLS: tokens and everything "
        "else are sent in clear text, readable by anyone on the network path. Give --ssl-certfile and "
        "--ssl-keyfile, or put the server behind a TLS proxy."
    )


def describe(record: ServerRecord) -> str:
    return f"pid {record.pid} at {record.url}"


@contextlib.contextmanager
def server_lock(workspace: Workspace) -> Iterator[None]:
    """Hold `.duto/server.lock` exclusively while serving.

    Raises:
        ServerError: another server of this workspace holds it; the message names that server.
    """
    global _held_lock
    duto_dir = workspace.config.duto_dir
    handle = open(duto_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held open until the context ends
    _held_lock = handle.fileno()
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            running = running_server(duto_dir)
            who = describe(running) if running is not None else "one that is starting"
            raise ServerError(f"a server already serves {workspace.root}: {who}; `duto server stop` stops it") from None
        yield
    finally:
        _held_lock = None
        handle.close()  # closing lets go of the lock


# The lock's descriptor while this process serves: a process forked from it (the runner daemon it starts) closes
# its copy at once, or the lock would outlive a server killed outright and refuse the next one.
_held_lock: int | None = None


def _release_lock_in_child() -> None:
    global _held_lock
    if _held_lock is not None:
        with contextlib.suppress(OSError):
            os.close(_held_lock)
        _held_lock = None


os.register_at_fork(after_in_child=_release_lock_in_child)


def _stop_daemon(pid: int, ticks: int | None) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + DAEMON_STOP_SECONDS
    while alive(pid, ticks) and time.monotonic() < deadline:
        time.sleep(0.05)


@contextlib.contextmanager
def runner_daemon(workspace: Workspace, say: Callable[[str], None]) -> Iterator[None]:
    """A runner daemon serving the workspace while the server runs, started again if it goes away; the ones
    started here are stopped at exit.

    The server leaves the runs it records to the daemon (their reuse decided there, their runners forked from
    there), so it keeps one: a daemon killed or crashed is replaced within DAEMON_WATCH_SECONDS, and the new one
    takes the runs recorded meanwhile.
    """
    from duto.execution.daemon import live_daemons, start_detached

    started: list[Any] = []

    def ensure() -> None:
        if not live_daemons(workspace.database):
            daemon = start_detached(workspace.root, workspace.database)
            if daemon is None:
                say(f"warning: no runner daemon started; see {workspace.config.duto_dir / 'runner-daemon.log'}")
            else:
                started.append(daemon)

    ensure()  # before any thread of this process exists: the daemon is forked
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(DAEMON_WATCH_SECONDS):
            try:
                ensure()
            except Exception as exc:  # the DB busy, a fork refused: tried again on the next turn
                say(f"warning: checking the runner daemon failed: {exc}")

    watcher = threading.Thread(target=watch, name="duto-daemon-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join(DAEMON_STOP_SECONDS)
        for daemon in started:
            if daemon.pid is not None:
                _stop_daemon(daemon.pid, daemon.start_ticks)


@contextlib.contextmanager
def scheduler(workspace: Workspace) -> Iterator[None]:
    """The workspace's schedules fired from a thread of this process while the server runs (facade/scheduler.py)."""
    from duto.facade.scheduler import Scheduler

    stop = threading.Event()
    thread = threading.Thread(target=Scheduler(workspace).serve, args=(stop,), name="duto-scheduler", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(SCHEDULER_STOP_SECONDS)


class _Terminated(SystemExit):
    """SIGTERM came: a clean exit."""


class _ExitOnTerm:
    """Turn the SIGTERM that uvicorn raises again once it has shut down into a clean exit, so the cleanup runs."""

    def __init__(self) -> None:
        self.previous = signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, _sig: int, _frame: FrameType | None) -> None:
        raise _Terminated(0)

    def restore(self) -> None:
        signal.signal(signal.SIGTERM, self.previous)


def serve(root: Path | None, options: ServeOptions, say: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Serve the workspace at `root` (or the one found as the SDK finds it) until SIGTERM or Ctrl-C.

    Raises:
        ServerError: another server serves this workspace.
    """
    import uvicorn

    from duto.server.app import create_app

    workspace = Workspace.from_config(root)
    duto_dir = workspace.config.duto_dir
    pid = os.getpid()
    log = os.environ.pop(LOG_ENV, None)  # set by `detach`; not for the processes this one starts
    with server_lock(workspace):
        warning = clear_text_warning(options)
        if warning is not None:
            warn(warning)
        app = create_app(workspace.root, options.host, options.allow_hosts)
        secret, _ = create_token(workspace, f"server-{pid}-{secrets.token_hex(3)}", Scope.ADMIN, server_pid=pid)
        url = options.url()
        announced = []

        def announce() -> None:
            announced.append(True)
            write_record(duto_dir, ServerRecord(pid, start_ticks(pid), url, time.time(), log))
            say(f"duto server {pid} serves {workspace.root} at {url}")
            say(f"API docs: {url}/api/docs")
            say("open this URL to sign in (it holds an admin token, valid while this server runs):")
            say(f"{SIGN_IN_PREFIX}{url}/?token={secret}")

        class Server(uvicorn.Server):
            async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
                await super().startup(sockets)
                if self.started:
                    announce()

        config = uvicorn.Config(
            app,
            host=options.host,
            port=options.port,
            log_level=options.log_level,
            ssl_certfile=str(options.ssl_certfile) if options.ssl_certfile else None,
            ssl_keyfile=str(options.ssl_keyfile) if options.ssl_keyfile else None,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        term = _ExitOnTerm()
        try:
            with runner_daemon(workspace, warn), scheduler(workspace):  # the daemon first: it is forked
                Server(config).run()
        except KeyboardInterrupt:
            pass
        except _Terminated:
            pass
        except SystemExit:
            if announced:
                raise
            # uvicorn exits when it cannot listen, having logged why.
            raise ServerError(
                f"could not serve on {options.host}:{options.port} (see above); `--port` picks another port"
            ) from None
        finally:
            term.restore()
            revoke_server_tokens(workspace, pid)
            remove_record(duto_dir, pid)
            if announced:
                say(f"duto server {pid} stopped")


def serve_argv(root: Path, options: ServeOptions) -> list[str]:
    """The `duto server` command line that serves with `options` in the foreground."""
    argv = [sys.executable, "-m", "duto.cli", "server", "--host", options.host, "--port", str(options.port)]
    argv += ["--workspace", str(root), "--log-level", options.log_level]
    for name in options.allow_hosts:
        argv += ["--allow-host", name]
    if options.ssl_certfile is not None:
        argv += ["--ssl-certfile", str(options.ssl_certfile)]
    if options.ssl_keyfile is not None:
        argv += ["--ssl-keyfile", str(options.ssl_keyfile)]
    return argv


def _health(url: str) -> bool:
    context = ssl.create_default_context()
    context.check_hostname = False  # our own server, just started, on this machine: only whether it answers
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=1, context=context) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


def _sign_in_line(log: IO[str]) -> str | None:
    for line in log.read().splitlines():
        if line.startswith(SIGN_IN_PREFIX):
            return line[len(SIGN_IN_PREFIX) :]
    return None


@dataclass(frozen=True)
class Detached:
    record: ServerRecord
    sign_in_url: str | None
    log: Path


def detach(root: Path | None, options: ServeOptions) -> Detached:
    """Start `duto server` with `options` as a process of its own, logging to `.duto/server.log`; return once it
    answers.

    Raises:
        ServerError: a server already serves the workspace, or the new one died or did not answer in time
            (the message ends with its log's tail).
    """
    workspace = Workspace.from_config(root)
    duto_dir = workspace.config.duto_dir
    running = running_server(duto_dir)
    if running is not None:
        raise ServerError(f"a server already serves {workspace.root}: {describe(running)}; `duto server stop` stops it")
    log = duto_dir / LOG_FILE
    with log.open("ab") as out:
        offset = out.tell()
        process = subprocess.Popen(
            serve_argv(workspace.root, options),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            cwd=workspace.root,
            env={**os.environ, LOG_ENV: str(log)},
        )
    deadline = time.monotonic() + DETACH_WAIT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        record = running_server(duto_dir)
        if record is not None and record.pid == process.pid and _health(record.url):
            with log.open() as text:
                text.seek(offset)
                return Detached(record, _sign_in_line(text), log)
        time.sleep(0.1)
    if process.poll() is None:
        process.terminate()
    with log.open(errors="replace") as text:
        text.seek(offset)
        tail = "".join(text.readlines()[-20:])
    raise ServerError(f"the server did not start; the end of {log}:\n{tail.rstrip()}")


def stop(record: ServerRecord, workspace: Workspace) -> bool:
    """SIGTERM the server of `record`, SIGKILL if still there after 10 s; True if it stopped by itself."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while record.is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not record.is_running():
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGKILL)
    while record.is_running():
        time.sleep(0.05)
    # It had no chance to clean up after itself.
    revoke_server_tokens(workspace, record.pid)
    remove_record(workspace.config.duto_dir, record.pid)
    return False
