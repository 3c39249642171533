"""`duto experiments list|archive|unarchive`: the experiments of a workspace, hiding them, bringing them back."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import as_utc, local_time
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say

app = typer.Typer(help="List, archive and unarchive experiments.", no_args_is_help=True)

ExperimentArgument = Annotated[str, typer.Argument(metavar="NAME", help="The experiment's name.")]


@app.command("list")
def list_experiments(
    archived: Annotated[bool, typer.Option("--archived", help="Only the archived experiments.")] = False,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Active and archived experiments.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the experiments of the workspace with their runs; archived ones only with --archived or --all."""
    ws = open_workspace(workspace)
    store = ws.runs_store
    names = store.experiment_names(archived=None if all_ else archived)
    if not names:
        which = "archived " if archived and not all_ else ""
        say(f"no {which}experiments in this workspace; `duto run FILE.py -e NAME` makes one", err)
        return
    table = Table(title=f"experiments of {ws.name}")
    for column in ("experiment", "runs", "created", "archived"):
        table.add_column(column, justify="right" if column == "runs" else "left")
    for name in names:
        row = store.experiment(name)
        table.add_row(
            Text(name),
            str(len(store.pipeline_runs(experiment=name))),
            local_time(as_utc(row.created_at)),
            local_time(as_utc(row.archived_at)),
        )
    out.print(table)


@app.command()
def archive(
    name: ExperimentArgument,
    delete_runs: Annotated[
        bool, typer.Option("--delete-runs", help="Also delete the experiment's runs for real (see `runs delete`).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting runs.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --delete-runs: cancel runs that have not ended first.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Hide an experiment and its runs from lists; submitting to it is refused until it is unarchived."""
    from duto.cli.runs import GC_HINT, deletion_summary
    from duto.facade.experiment import Experiment

    ws = open_workspace(workspace)
    experiment = Experiment(ws, name)
    ws.runs_store.experiment(name)  # an unknown name is refused here, listing the experiments there are
    runs = ws.runs_store.pipeline_runs(experiment=name)
    if delete_runs and runs and not yes and sys.stdin.isatty():
        say(f"about to delete the {len(runs)} run(s) of experiment {name!r} for good", err)
        if not typer.confirm("delete them and archive the experiment?", default=False, err=True):
            say("nothing was changed", err)
            raise typer.Exit(1)
    for deleted in experiment.archive(delete_runs=delete_runs, force=force):
        say(deletion_summary(deleted))
    kept = "" if delete_runs else f" with its {len(runs)} run(s)"
    say(f"archived experiment {name!r}{kept}; `duto experiments unarchive {name}` brings it back")
    if delete_runs and runs:
        say(GC_HINT, err)


@app.command()
def unarchive(
    name: ExperimentArgument,
    new_name: Annotated[
        str | None, typer.Option("--new-name", help="Bring it back under this name.", show_default=False)
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Bring an archived experiment back into lists (Experiment.reactivate)."""
    from duto.facade.experiment import Experiment

    experiment = Experiment(open_workspace(workspace), name)
    if experiment.archived_time is None:
        experiment.workspace.runs_store.experiment(name)  # says so when there is no such experiment
        say(f"experiment {name!r} is not archived; nothing to do")
        return
    experiment.reactivate(new_name)
    say(f"experiment {experiment.name!r} is active again")
