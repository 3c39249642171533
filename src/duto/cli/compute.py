"""`duto compute list|create|delete`: the compute targets steps run on."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.options import WorkspaceOption, open_workspace, out, say

app = typer.Typer(help="List, create and delete compute targets.", no_args_is_help=True)


@app.command("list")
def list_targets(workspace: WorkspaceOption = None) -> None:
    """List the compute targets of the workspace."""
    from duto.facade.compute_targets import ComputeTarget

    ws = open_workspace(workspace)
    table = Table(title=f"compute targets of {ws.name}")
    table.add_column("name", no_wrap=True)
    table.add_column("type")
    table.add_column("max_concurrency", justify="right")
    table.add_column("settings")
    for target in ComputeTarget.list(ws):
        settings = ", ".join(
            f"{k}={v}"
            for k, v in ws.config.compute_targets[target.name].items()
            if k not in ("kind", "type", "max_concurrency") and v
        )
        table.add_row(Text(target.name), target.type, str(target.max_concurrency), Text(settings))
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
    memory_gb: Annotated[
        float | None,
        typer.Option(
            "--memory-gb", min=0.1, help="Memory steps may take at once (default: the machine's).", show_default=False
        ),
    ] = None,
    dask_workers: Annotated[
        int | None,
        typer.Option(
            "--dask-workers",
            min=1,
            help="A Dask target: a local cluster of N worker threads in the runner, one step at a time each.",
            show_default=False,
        ),
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address", help="A Dask target: an existing scheduler, e.g. tcp://host:8786.", show_default=False
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a compute target (or change the settings of the one with that name): local cores, or Dask."""
    from duto.facade.compute_targets import ComputeTarget
    from duto.graph.compute import DaskCompute, LocalCompute

    ws = open_workspace(workspace)
    existed = name in ws.compute_targets
    if dask_workers is not None or dask_address is not None:
        config: Any = DaskCompute.provisioning_configuration(
            address=dask_address, n_workers=dask_workers, max_concurrency=max_concurrency
        )
    else:
        config = LocalCompute.provisioning_configuration(max_concurrency=max_concurrency, memory_gb=memory_gb)
    target = ComputeTarget.create(ws, name, config)
    verb = "updated" if existed else "created"
    say(f"{verb} compute target {target.name!r}: {target.type}, max_concurrency {target.max_concurrency}")


@app.command()
def delete(
    name: Annotated[str, typer.Argument(help="The target to delete.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a compute target (the built-in `local` stays)."""
    from duto.facade.compute_targets import ComputeTarget

    ComputeTarget(open_workspace(workspace), name).delete()
    say(f"deleted compute target {name!r}")
