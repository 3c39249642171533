"""`duto server [status|stop]`: serve the workspace over HTTP, in the foreground or detached; find and stop it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from duto.cli.formatting import local_time
from duto.cli.options import WorkspaceOption, err, open_workspace, say
from duto.storage.server_record import DEFAULT_HOST, DEFAULT_PORT

app = typer.Typer(
    help=f"Serve the workspace over HTTP, on {DEFAULT_HOST}:{DEFAULT_PORT} (this machine only) unless told "
    "otherwise, until Ctrl-C or SIGTERM; `status` and `stop` find and stop it. Prints a sign-in URL holding an "
    "admin token, valid while it runs; every route but /api/health needs a token (`duto token create`). Runs it "
    "started go on when it stops.",
    short_help=f"Serve the workspace over HTTP, on {DEFAULT_HOST}:{DEFAULT_PORT} by default; status, stop.",
    invoke_without_command=True,
)


@app.callback()
def server(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="The address to bind; the default answers this machine only (loopback).", metavar="ADDRESS"
        ),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")] = DEFAULT_PORT,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            metavar="NAME",
            help="Answer requests whose Host header is NAME as well (a name of this machine); repeat for more.",
        ),
    ] = None,
    ssl_certfile: Annotated[
        Path | None, typer.Option("--ssl-certfile", help="Serve HTTPS with this certificate.", show_default=False)
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="The private key of --ssl-certfile.", show_default=False)
    ] = None,
    log_level: Annotated[
        str,
        typer.Option("--log-level", metavar="LEVEL", help="uvicorn's log level: debug, info, warning, error."),
    ] = "warning",
    detach: Annotated[
        bool, typer.Option("--detach", help="Serve in the background, logging to .duto/server.log, and return.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the workspace over HTTP (see the group's help)."""
    if ctx.invoked_subcommand is not None:
        return
    from duto.errors import ConfigError
    from duto.server.process import ServeOptions, serve
    from duto.server.process import detach as start_detached

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ConfigError("--ssl-certfile and --ssl-keyfile go together: give both, or neither")
    options = ServeOptions(host, port, tuple(allow_host or ()), ssl_certfile, ssl_keyfile, log_level.lower())
    if not detach:
        serve(workspace, options, say, lambda text: say(Text(text, style="yellow"), err))
        return
    started = start_detached(workspace, options)
    say(f"duto server {started.record.pid} serves at {started.record.url}; it logs to {started.log}")
    if started.sign_in_url is not None:
        say(f"sign in: {started.sign_in_url}")
    say("`duto server status` tells where it is, `duto server stop` stops it", err)


@app.command()
def status(workspace: WorkspaceOption = None) -> None:
    """Say whether a server serves the workspace, and where (exit status 1 when none does)."""
    from datetime import UTC, datetime

    from duto.storage.server_record import running_server

    ws = open_workspace(workspace)
    record = running_server(ws.config.duto_dir)
    if record is None:
        say(f"no server serves {ws.root}; `duto server` starts one")
        raise typer.Exit(1)
    since = local_time(datetime.fromtimestamp(record.started_at, UTC))
    logs = f", logging to {record.log}" if record.log else ""
    say(f"{record.url} (pid {record.pid}, since {since}{logs}) serves {ws.root}")


@app.command()
def stop(workspace: WorkspaceOption = None) -> None:
    """Stop the workspace's server (SIGTERM, then SIGKILL after 10 s); the runs it started go on."""
    from duto.server.process import stop as stop_server
    from duto.storage.server_record import running_server

    ws = open_workspace(workspace)
    record = running_server(ws.config.duto_dir)
    if record is None:
        say(f"no server serves {ws.root}; nothing to stop")
        return
    if stop_server(record, ws):
        say(f"stopped the server {record.pid} at {record.url}")
    else:
        say(f"the server {record.pid} at {record.url} did not stop within 10 s; killed it", err)
