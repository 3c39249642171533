"""`duto runner start|stop|status`: the daemon that serves a workspace's runs in the background."""

from __future__ import annotations

import os
import signal
import time
from typing import Annotated

import typer

from duto.cli.options import WorkspaceOption, err, open_workspace, say

app = typer.Typer(
    help="A daemon that runs the workspace's submitted runs and takes over those whose runner stopped.",
    no_args_is_help=True,
)
STOP_WAIT_SECONDS = 15.0


@app.command()
def start(
    foreground: Annotated[
        bool, typer.Option("--foreground", help="Serve in this process until Ctrl-C, logging here.")
    ] = False,
    idle_timeout: Annotated[
        float | None,
        typer.Option(
            "--idle-timeout", min=1, help="Stop after this many seconds with no run to drive.", show_default=False
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Start the daemon for the workspace (detached, writing `.duto/runner-daemon.log`)."""
    import logging

    from duto.execution.daemon import RunnerDaemon, live_daemons, start_detached

    ws = open_workspace(workspace)
    serving = live_daemons(ws.database)
    if serving:
        say(f"a runner daemon already serves {ws.root}: {serving[0].describe('daemon')}")
        return
    if foreground:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        RunnerDaemon(ws.root, idle_timeout).serve()
        return
    log = ws.config.duto_dir / "runner-daemon.log"
    started = start_detached(ws.root, ws.database, idle_timeout, STOP_WAIT_SECONDS)
    if started is None:
        say(f"the runner daemon did not start; see {log}", err)
        raise typer.Exit(1)
    say(f"runner daemon started: {started.describe('daemon')}; it logs to {log}")


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """Say which runner daemons serve the workspace."""
    from duto.execution.daemon import live_daemons

    ws = open_workspace(workspace)
    serving = live_daemons(ws.database)
    if not serving:
        say(f"no runner daemon serves {ws.root}; `duto runner start` starts one")
        return
    for daemon in serving:
        say(f"{daemon.describe('daemon')} serves {ws.root}")


@app.command()
def stop(workspace: WorkspaceOption = None) -> None:
    """Stop the workspace's runner daemons on this machine; the runs they started go on."""
    from duto.execution.daemon import live_daemons
    from duto.processes import alive, machine_id

    ws = open_workspace(workspace)
    here = [d for d in live_daemons(ws.database) if d.machine == machine_id() and d.pid is not None]
    for daemon in here:
        assert daemon.pid is not None
        os.kill(daemon.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    while any(d.pid is not None and alive(d.pid, d.start_ticks) for d in here) and time.monotonic() < deadline:
        time.sleep(0.05)
    say(f"stopped {len(here)} runner daemon(s)" if here else f"no runner daemon of this machine serves {ws.root}")
