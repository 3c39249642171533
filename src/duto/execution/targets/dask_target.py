"""The Dask compute target: each step is a task that runs the step's process on a Dask worker.

The only module of duto that imports dask. The worker must reach the workspace at the same paths as the
runner (a LocalCluster shares this machine's disk; a remote cluster needs shared storage).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import distributed
from distributed import Client, KilledWorker, LocalCluster

from duto.errors import DaskTargetError
from duto.execution.materialize import PreparedStep
from duto.storage.layout import StepLayout

CANCEL_FLAG = "cancel"  # a file in the step's folder: the worker stops the step when it appears
ATTEMPTS_FILE = "dask-attempts.txt"  # one line per start of the step on a worker
CHECK_SECONDS = 0.1
CANCEL_MARGIN_SECONDS = 3.0  # past a stop's grace period, how long the worker has to end the task itself
LOCAL_ALLOWED_FAILURES = 1  # a step whose worker dies starts again once on a LocalCluster duto runs

log = logging.getLogger("duto.dask")


# The step's parent on the worker: the leader of the step's process group. It waits for the step and
# exits as the step did, and kills the whole group when its worker dies (the pipe on fd argv[1] reaches
# EOF), so a lost worker leaves no step running behind it. Standard library only; runs with `-I -S`.
_SUPERVISOR = """\
import os, resource, signal, subprocess, sys, threading
watch = int(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: None)  # the group's SIGTERM is for the step: wait for it to end

def orphaned():
    while os.read(watch, 64):
        pass
    os.killpg(0, signal.SIGKILL)

threading.Thread(target=orphaned, daemon=True).start()
try:
    code = subprocess.call(sys.argv[2:], stdin=subprocess.DEVNULL)
except OSError as exc:
    print(f"duto: cannot start the step: {exc}", file=sys.stderr, flush=True)
    code = 127 if isinstance(exc, FileNotFoundError) else 126
if code < 0:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        signal.signal(-code, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), -code)
    code = 128 - code
sys.stdout.flush()
os._exit(code)
"""


def _run_step(command: list[str], cwd: str, env: dict[str, str], paths: dict[str, str], key: str) -> int:
    """The task a worker runs: start the step, stop it on the cancel flag, return its exit code.

    Takes plain values only. `paths` holds "log", "cancel" and "attempts" file paths in the step's folder;
    `key` is the task's own key. A negative code is the signal that killed the step, as with `Popen.returncode`.
    """
    attempts = Path(paths["attempts"])
    retried = attempts.exists()
    with attempts.open("a") as f:
        f.write(f"{time.time():.3f} {os.getpid()} {key}\n")
    watch_read, watch_write = os.pipe()
    try:
        with open(paths["log"], "ab") as log_file:
            if retried:
                log_file.write(b"duto: the step's previous attempt on a Dask worker did not end; it starts again\n")
                log_file.flush()
            try:
                process = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _SUPERVISOR, str(watch_read), *command],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(watch_read,),
                )
            except OSError as exc:
                log_file.write(f"duto: could not start the step on this Dask worker: {exc}\n".encode())
                raise
    except BaseException:
        os.close(watch_write)
        raise
    finally:
        os.close(watch_read)
    exited = _exit_descriptor(process.pid)
    try:
        while True:
            code = _wait(process, exited, CHECK_SECONDS)
            if code is not None:
                return code
            grace = _stop_requested(paths["cancel"], key)
            if grace is not None:
                _stop_group(process, grace)
                return process.wait()
    finally:
        os.close(watch_write)
        if exited is not None:
            os.close(exited)


def _exit_descriptor(pid: int) -> int | None:
    """A pidfd that becomes readable when the process exits, where the platform has them."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _wait(process: subprocess.Popen[bytes], exited: int | None, timeout: float) -> int | None:
    """The exit code once the process has ended, waiting at most `timeout`; wakes at once on a pidfd."""
    if exited is None:
        try:
            return process.wait(timeout=timeout)  # polls in growing steps: up to 50 ms late
        except subprocess.TimeoutExpired:
            return None
    select.select([exited], [], [], timeout)
    return process.poll()


def _stop_requested(cancel_path: str, key: str) -> float | None:
    """The grace period to stop the step with, when the runner asked for it or the task was cancelled."""
    try:
        with open(cancel_path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        pass
    else:
        try:
            return float(text)
        except ValueError:
            return 2.0
    # A released or cancelled future (the client closed, or its runner died) leaves the task running in this
    # thread, with nobody waiting for the step any more.
    try:
        task = distributed.get_worker().state.tasks.get(key)
    except (ValueError, AttributeError):  # not on a worker, or a distributed without this worker state
        return None
    if task is None or task.state in ("cancelled", "released", "forgotten"):
        return 2.0
    return None


def _stop_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the step's process group, SIGKILL what is left after the grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # also children that outlived the step


def _killed_worker_detail(error: KilledWorker) -> str:
    """KilledWorker, said briefly: which worker, and how often the scheduler started the step again."""
    try:
        worker = f"worker {error.last_worker.address}"
        again = error.allowed_failures
    except (AttributeError, IndexError):  # a distributed whose KilledWorker carries other fields
        return f"KilledWorker: {error}"
    times = "once" if again == 1 else f"{again} times"
    retried = f"it was started again {times}, and lost each time" if again else "it was not started again"
    return f"{worker} died or was killed while running it, as when it runs out of memory; {retried}"


class DaskStep:
    """A step running as a Dask task; implements the runner's `StepHandle`.

    `exit_fd` becomes readable when the task ends (a callback of the future writes to a pipe).
    `reason` explains an exit code that the step itself did not produce (a lost worker), else None.
    """

    def __init__(self, future: Any, layout: StepLayout) -> None:
        """`future` is the task's `distributed.Future` (typed Any: distributed annotates few of its methods)."""
        self.future = future
        self.reason: str | None = None
        self._cancel_flag = layout.root / CANCEL_FLAG
        self._code: int | None = None
        self._stop_requested = False
        self._cancel_at: float | None = None
        self._lock = threading.Lock()
        self._read_fd: int | None
        self._write_fd: int | None
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        future.add_done_callback(self._wake)

    @property
    def pid(self) -> int | None:
        return None

    @property
    def exit_fd(self) -> int | None:
        return self._read_fd

    def _wake(self, _future: Any) -> None:
        with self._lock, contextlib.suppress(BlockingIOError):
            if self._write_fd is not None:
                os.write(self._write_fd, b"x")

    def poll(self) -> int | None:
        if self._code is None:
            self._code = self._outcome()
        if self._code is None and self._cancel_at is not None and time.monotonic() >= self._cancel_at:
            self.future.cancel()  # the worker did not end the step in time: its task goes
        return self._code

    def _outcome(self) -> int | None:
        status = self.future.status
        if status == "finished":
            try:
                return int(self.future.result(timeout=30))
            except Exception as exc:  # the worker holding the exit code died right after the step ended
                return self._lost(f"its exit code could not be fetched: {exc.__class__.__name__}: {exc}")
        if status == "error":
            error: BaseException | None
            try:
                error = self.future.exception(timeout=30)
            except Exception as fetch_error:
                error = fetch_error
            if isinstance(error, KilledWorker):
                return self._lost(_killed_worker_detail(error))
            self.reason = f"the Dask worker could not run the step: {error.__class__.__name__}: {error}"
            return 1
        if status in ("cancelled", "lost"):
            if self._stop_requested:
                self.reason = "the step did not stop within its grace period; its Dask task was cancelled"
                return -signal.SIGKILL
            return self._lost(f"its task was {status}, as when the client's connection to the scheduler is lost")
        return None

    def _lost(self, detail: str) -> int:
        """Exit code -9 for a step whose worker went away, with the reason the runner records."""
        self.reason = f"the Dask worker running the step was lost ({detail})"
        return -signal.SIGKILL

    def stop(self, grace_seconds: float) -> None:
        """Ask the worker to stop the step (the cancel flag: SIGTERM, then SIGKILL after the grace period);
        `poll()` cancels the task if the worker has not ended it a little after that."""
        if self._cancel_at is None:
            self._stop_requested = True
            self._cancel_at = time.monotonic() + grace_seconds + CANCEL_MARGIN_SECONDS
            with contextlib.suppress(OSError):
                self._cancel_flag.write_text(f"{grace_seconds}\n")

    def terminate_tree(self, grace_seconds: float = 2.0) -> None:
        """Stop the step, and wait until its task has ended."""
        self.stop(grace_seconds)
        while self.poll() is None:
            time.sleep(0.05)

    def close(self) -> None:
        self.future.release()
        with self._lock:
            for fd in (self._read_fd, self._write_fd):
                if fd is not None:
                    os.close(fd)
            self._read_fd = self._write_fd = None


class DaskTarget:
    """A named Dask target: an existing scheduler at `address`, or a LocalCluster of `n_workers` workers (threads
    of the runner unless `processes` is set) started on the first step and shut down by `close()`."""

    def __init__(self, name: str, settings: dict[str, Any]) -> None:
        self.name = name
        self.settings = dict(settings)
        # Any: distributed's Client and LocalCluster carry few annotations.
        self._cluster: Any = None
        self._client: Any = None
        self._dask_log_level: int | None = None  # the level of the "distributed" logger before this target

    @property
    def client(self) -> Any:
        """The client, connecting (or starting the LocalCluster) on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        address = self.settings.get("address")
        # The scheduler and nannies of a LocalCluster live in this process, and their INFO records (every
        # client, worker and comm opened or closed) would fill the runner's log; their warnings stay.
        dask_log = logging.getLogger("distributed")
        if dask_log.getEffectiveLevel() < logging.WARNING:
            self._dask_log_level = dask_log.level
            dask_log.setLevel(logging.WARNING)
        try:
            if address:
                return Client(address, set_as_default=False)  # type: ignore[no-untyped-call]  # unannotated
            memory_limit = self.settings.get("memory_limit")
            processes = bool(self.settings.get("processes", False))
            # Worker threads talk in-process (no socket at all); worker processes over TCP on loopback only.
            network = {"host": "127.0.0.1", "dashboard_address": ":0"} if processes else {"dashboard_address": None}
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]  # unannotated in distributed
                n_workers=int(self.settings.get("n_workers") or 1),
                threads_per_worker=int(self.settings.get("threads_per_worker") or 1),
                processes=processes,
                **network,
                silence_logs=logging.ERROR,
                scheduler_kwargs={"allowed_failures": LOCAL_ALLOWED_FAILURES},
                **({} if memory_limit is None else {"memory_limit": memory_limit}),
            )
            return Client(self._cluster, set_as_default=False)  # type: ignore[no-untyped-call]  # unannotated
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            where = f"the Dask scheduler at {address}" if address else "a local Dask cluster"
            raise DaskTargetError(
                self.name,
                f"compute target {self.name!r} could not reach {where}: {exc}; check that the scheduler runs and "
                "this machine can connect to it"
                if address
                else f"compute target {self.name!r} could not start {where}: {exc}",
            ) from exc

    def start(self, prepared: PreparedStep, layout: StepLayout) -> DaskStep:
        """Submit the step as a task; its output is appended to `std_log.txt` on the worker's side."""
        client = self.client
        (layout.root / CANCEL_FLAG).unlink(missing_ok=True)
        paths = {
            "log": str(layout.std_log),
            "cancel": str(layout.root / CANCEL_FLAG),
            "attempts": str(layout.root / ATTEMPTS_FILE),
        }
        key = f"duto-step-{layout.root.name}-{uuid.uuid4().hex[:12]}"
        future = client.submit(
            _run_step,
            list(prepared.command),
            str(prepared.cwd),
            dict(prepared.env),
            paths,
            key,
            key=key,
            pure=False,
            retries=1,
        )
        return DaskStep(future, layout)

    def close(self) -> None:
        """Disconnect, and shut down the LocalCluster this target started; safe to call again."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=5)
        if cluster is not None:
            try:
                cluster.close(timeout=10)
            except Exception:
                log.warning(
                    "compute target %r: the local Dask cluster did not shut down cleanly", self.name, exc_info=True
                )
        if self._dask_log_level is not None:
            logging.getLogger("distributed").setLevel(self._dask_log_level)
            self._dask_log_level = None
