"""`duto runner`: a daemon that serves one workspace, giving every run that no live runner drives a runner.

A submit to a workspace that a live daemon serves hands the run to it instead of starting a runner itself.
A run submitted without deciding its reuse (a trigger the server answered as soon as the run was recorded) is
decided here first, in the daemon's own process, as a submit decides it: a run whose steps are all reused ends
then and needs no runner. The daemon also takes over runs whose runner stopped (killed, crashed, its machine
asleep for good). Each run is driven by a runner the daemon forks, holding the run's lease itself, so the
daemon stays one thread, holds no run, and can stop and start again while the runs go on. It is registered in
the DB (`runner_daemons`) with a lease of its own, renewed by heartbeat; it wakes on every commit to the DB, so
a new run starts in milliseconds.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import uuid
from functools import partial
from pathlib import Path
from types import FrameType

from duto.config import WorkspaceConfig
from duto.execution.launcher import FORKED_FROM_DAEMON, run_detached
from duto.execution.runner import Runner
from duto.graph.status import RunStatus
from duto.processes import alive, can_fork_safely, fork_detached, set_title
from duto.storage.db import Database
from duto.storage.layout import RunLayout
from duto.storage.lease_store import Holder, LeaseStore, lease_seconds
from duto.storage.runs_store import RunsStore

log = logging.getLogger("duto.daemon")
SCAN_SECONDS = 1.0  # the longest the daemon goes without looking for runs to drive
# A runner the daemon started has this long to take its run before the daemon starts another for it.
START_GRACE_SECONDS = 10.0


class RunnerDaemon:
    """Serves the workspace at `root` until stopped (SIGTERM, SIGINT) or idle for `idle_seconds`."""

    def __init__(self, root: Path, idle_seconds: float | None = None) -> None:
        self.config = WorkspaceConfig.load(root)
        self.db = Database(self.config.resolved_db_url())
        self.leases = LeaseStore(self.db)
        self.runs = RunsStore(self.db)
        self.id = uuid.uuid4().hex
        self.idle_seconds = idle_seconds
        self.seconds = lease_seconds()
        self.started: dict[str, tuple[int, float]] = {}  # run id -> (runner pid, time.monotonic() of start)
        self.decided: set[str] = set()  # runs whose reuse this daemon decided (or tried to)
        self.stopping = False

    def serve(self) -> int:
        """Serve until stopped; returns how many runners it started."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        set_title(f"duto runner daemon (workspace {self.config.name}, {self.config.root})")
        self.leases.register_daemon(Holder.this_process(self.id, self.seconds))
        log.info("serving workspace %s (daemon %s)", self.config.root, self.id[:8])
        count = 0
        last_work = time.monotonic()
        next_renewal = time.monotonic() + self.seconds / 6
        try:
            while not self.stopping:
                now = time.monotonic()
                if now >= next_renewal:
                    if not self.leases.renew_daemon(self.id, time.time() + self.seconds):
                        self.leases.register_daemon(Holder.this_process(self.id, self.seconds))
                    next_renewal = now + self.seconds / 6
                started = self._drive_waiting_runs()
                count += started
                if started or self._busy():
                    last_work = now
                elif self.idle_seconds is not None and now - last_work >= self.idle_seconds:
                    log.info("idle for %.0f s: stopping", self.idle_seconds)
                    break
                self.db.wait_for_commit(time.monotonic() + SCAN_SECONDS)
        finally:
            self.leases.remove_daemon(self.id)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("stopped after starting %d runner(s)", count)
        return count

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _reused_whole(self, run_id: str) -> bool:
        """Decide the reuse of a run that no runner ever took, once (Runner.reuse_pass); True when that ended it.

        A run that went further (its runner stopped mid-way) is left to the runner started for it.
        """
        if run_id in self.decided:
            return False
        self.decided.add(run_id)
        try:
            if self.runs.pipeline_run(run_id).status != RunStatus.NOT_STARTED:
                return False
            return Runner(self.config.root, run_id).reuse_pass()
        except Exception:  # the runner started next decides again and records what is wrong
            log.exception("run %s: deciding its reuse failed; a runner takes it", run_id)
            return False

    def _busy(self) -> bool:
        """Whether a runner this daemon started still runs."""
        return any(alive(pid) for pid, _ in self.started.values())

    def _drive_waiting_runs(self) -> int:
        """Start a runner for every run that no live runner drives; returns how many were started."""
        count = 0
        now = time.monotonic()
        waiting = self.leases.runs_to_drive()
        self.decided.intersection_update(waiting)
        for run_id in waiting:
            pid, when = self.started.get(run_id, (0, -START_GRACE_SECONDS))
            if now - when < START_GRACE_SECONDS and pid and alive(pid):
                continue  # its runner is about to take it
            if self._reused_whole(run_id):
                continue
            layout = RunLayout(self.config.runs_dir, run_id)
            layout.root.mkdir(parents=True, exist_ok=True)
            if not can_fork_safely():
                log.error("the daemon has threads and cannot fork runners; stopping")
                self.stopping = True
                return count
            pid = fork_detached(partial(run_detached, self.config.root, run_id, FORKED_FROM_DAEMON), layout.runner_log)
            self.started[run_id] = (pid, now)
            log.info("run %s: started runner pid %d", run_id, pid)
            count += 1
        for run_id in [r for r, (pid, _) in self.started.items() if not alive(pid)]:
            del self.started[run_id]
        return count


def live_daemons(db: Database) -> list[Holder]:
    """The daemons that serve the workspace of `db` now."""
    return LeaseStore(db).live_daemons()


def start_detached(root: Path, db: Database, idle_seconds: float | None = None, wait: float = 15.0) -> Holder | None:
    """Start a daemon for the workspace at `root` that outlives the caller, logging to `.duto/runner-daemon.log`;
    the daemon once it serves (None if it did not within `wait` seconds). Forks when that is safe, else runs
    `python -m duto.execution.daemon` in a session of its own."""
    config = WorkspaceConfig.load(root)
    daemon_log = config.duto_dir / "runner-daemon.log"

    def serve() -> int:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
        RunnerDaemon(root, idle_seconds).serve()
        return 0

    if can_fork_safely():
        fork_detached(serve, daemon_log)
    else:
        with open(daemon_log, "ab") as out:
            argv = [sys.executable, "-m", "duto.execution.daemon", str(root)]
            if idle_seconds is not None:
                argv.append(str(idle_seconds))
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    deadline = time.monotonic() + wait
    while not (serving := live_daemons(db)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return serving[0] if serving else None


def main(argv: list[str]) -> int:
    """`python -m duto.execution.daemon ROOT [IDLE_SECONDS]`: serve a workspace in this process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    idle = float(argv[1]) if len(argv) > 1 else None
    RunnerDaemon(Path(argv[0]), idle).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
