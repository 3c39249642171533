"""`duto compute list|create`: the compute targets steps run on."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.options import WorkspaceOption, open_workspace, out, say

app = typer.Typer(help="List and create compute targets.", no_args_is_help=True)


@app.command("list")
def list_targets(workspace: WorkspaceOption = None) -> None:
    """List the compute targets of the workspace."""
    from duto.compute_targets import ComputeTarget

    ws = open_workspace(workspace)
    table = Table(title=f"compute targets of {ws.name}")
    table.add_column("name", no_wrap=True)
    table.add_column("type")
    table.add_column("max_concurrency", justify="right")
    for target in ComputeTarget.list(ws):
        table.add_row(Text(target.name), target.type, str(target.max_concurrency))
    out.print(table)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The target's name, as steps' compute_target give it.")],
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency",
            min=1,
            help="Steps of the whole workspace that run on it at once (default: the machine's cores).",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a local compute target (or change the settings of the one with that name)."""
    from duto.compute_targets import ComputeTarget
    from duto.graph.compute import LocalCompute

    ws = open_workspace(workspace)
    existed = name in ws.compute_targets
    target = ComputeTarget.create(ws, name, LocalCompute.provisioning_configuration(max_concurrency=max_concurrency))
    verb = "updated" if existed else "created"
    say(f"{verb} compute target {target.name!r}: {target.type}, max_concurrency {target.max_concurrency}")
