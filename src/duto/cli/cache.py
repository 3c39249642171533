"""`duto cache list|verify|gc`: the store of step outputs that reuse draws on."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import as_utc, local_time, size_text
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say

app = typer.Typer(help="Look after the store of step outputs that reuse draws on.", no_args_is_help=True)


@app.command("list")
def list_entries(workspace: WorkspaceOption = None) -> None:
    """List reusable step runs: fingerprint, where they ran, their outputs and whether they are intact."""
    from duto.facade.content_cache import cache_entries

    entries = cache_entries(open_workspace(workspace))
    if not entries:
        say("the cache holds no reusable step runs yet", err)
        return
    table = Table(title="reusable step runs")
    for column in ("fingerprint", "run", "step", "outputs", "size", "intact", "created"):
        table.add_column(column, justify="right" if column == "size" else "left")
    for entry in entries:
        table.add_row(
            entry.fingerprint[:16],
            entry.pipeline_run_id,
            Text(entry.step_name),
            Text(", ".join(entry.outputs) or "-"),
            size_text(entry.size),
            Text("yes", style="green") if entry.intact else Text("no", style="red"),
            local_time(as_utc(entry.created_at)),
        )
    out.print(table)


@app.command()
def verify(workspace: WorkspaceOption = None) -> None:
    """Re-hash every stored blob and manifest; corrupt ones are removed, so the steps that need them run again.

    Exits with 1 when something was corrupt or missing.
    """
    from rich.status import Status

    from duto.facade.content_cache import verify_cache

    with Status("re-hashing the store", console=err):
        report = verify_cache(open_workspace(workspace))
    say(f"{report.checked} blobs and manifests checked, {len(report.corrupt)} corrupt")
    for fault in report.corrupt:
        say(f"  corrupt and removed: {fault.kind} {fault.digest}")
    if report.entries_dropped:
        say(
            f"{len(report.entries_dropped)} reuse entries dropped, their outputs no longer whole; "
            "these steps run again when their pipelines are next submitted:"
        )
        for dropped in report.entries_dropped:
            say(f"  step {dropped.step_name!r} of run {dropped.pipeline_run_id}: {dropped.fault.describe()}")
    if report.damaged:
        raise typer.Exit(1)


@app.command()
def gc(workspace: WorkspaceOption = None) -> None:
    """Remove what no run references, and stray temporary files."""
    from duto.facade.content_cache import collect_garbage

    report = collect_garbage(open_workspace(workspace))
    say(
        f"removed {report.manifests} manifests, {report.blobs} blobs and {report.temporary} temporary files "
        f"({size_text(report.bytes_freed)})"
    )
