"""`duto runs list|show|resume|cancel|delete`: the runs of a workspace, one run's steps, taking a run over,
stopping it, deleting it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli import runs_diff
from duto.cli.formatting import as_utc, duration, local_time, parse_time, size_text, status_text
from duto.cli.options import RunArgument, WorkspaceOption, err, open_workspace, out, say
from duto.graph.status import TERMINAL
from duto.storage.lease_store import holder_of

if TYPE_CHECKING:
    from duto.facade.run_deletion import RunDeletion
    from duto.facade.runs import PipelineRun
    from duto.facade.step_runs import StepRun

app = typer.Typer(help="List, show, compare, resume, cancel and delete pipeline runs.", no_args_is_help=True)
SHORT_ID = 8  # characters of a run id in tables, as `git log --oneline` shows 7 of a hash


@app.command("list")
def list_runs(
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Only the runs of this experiment.", show_default=False)
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            "-s",
            metavar="STATUS",
            help="Only runs in this status (e.g. Finished, Failed); repeat or separate with commas for more.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only runs created since then: an age (30m, 2h, 3d, 1w) or an ISO date or time (2024-05-01).",
            show_default=False,
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="KEY[=VALUE]",
            help="Only runs with this tag (and value); repeat for more, all must match.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many runs.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array (full ids, UTC times).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the runs of the workspace, newest first."""
    from duto.cli.documents import print_json
    from duto.facade.documents import list_runs as run_documents
    from duto.facade.run_filters import parse_since, parse_statuses, parse_tags

    statuses = parse_statuses(status or [])
    since_utc = None if since is None else parse_since(since)
    tags = parse_tags(tag or [])
    ws = open_workspace(workspace)
    if as_json:
        print_json(run_documents(ws, experiment, statuses, since_utc, tags, limit))
        return
    store = ws.runs_store
    rows = store.pipeline_runs(experiment=experiment, limit=limit, statuses=statuses, since=since_utc, tags=tags)
    reused = store.fully_reused([row.id for row, _ in rows])
    if not rows:
        where = f"in experiment {experiment!r}" if experiment else "in this workspace"
        if statuses or since or tags:
            say(f"no runs {where} match --status, --since and --tag as given; drop a filter to see more", err)
        else:
            say(f"no runs {where} yet; submit one with `duto run FILE.py`", err)
        return
    table = Table(title=f"runs of {ws.name}")
    table.add_column("run", no_wrap=True)
    table.add_column("experiment", overflow="ellipsis", max_width=24)
    table.add_column("status")
    table.add_column("created", no_wrap=True)
    table.add_column("duration", justify="right", no_wrap=True)
    ids = short_ids([row.id for row, _ in rows])
    for row, experiment_name in rows:
        table.add_row(
            ids[row.id],
            Text(experiment_name),
            _status_with_runner(row),
            local_time(as_utc(row.created_at)),
            "reused" if row.id in reused else duration(as_utc(row.started_at), as_utc(row.ended_at)),
        )
    out.print(table)
    if len(rows) == limit:
        say(f"(the newest {limit}; --limit shows more)", err)


def short_ids(ids: list[str], length: int = SHORT_ID) -> dict[str, str]:
    """Each id cut to `length` characters, as git shortens hashes, longer where two would look the same.

    Commands take these back, since a run id may be given by a unique prefix.
    """
    shown = {run_id: run_id[:length] for run_id in ids}
    for run_id in ids:
        width = length
        while width < len(run_id) and any(o != run_id and o.startswith(run_id[:width]) for o in ids):
            width += 1
        shown[run_id] = run_id[:width]
    return shown


@app.command()
def show(
    run_id: RunArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: the run's details and its steps.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a run's details and its steps."""
    ws = open_workspace(workspace)
    run = ws.get_run(run_id)
    if as_json:
        from duto.cli.documents import print_json
        from duto.facade.documents import show_run

        print_json(show_run(run))
        return
    details = run.get_details()
    started, ended = parse_time(details["startTimeUtc"]), parse_time(details["endTimeUtc"])
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("run", run.id)
    facts.add_row("experiment", Text(details["experiment"]))
    row = ws.runs_store.pipeline_run(run.id)
    facts.add_row("status", _status_with_runner(row))
    if row.runner_pid is not None:
        driver = holder_of(row)
        taken = f"; taken over {row.takeovers} time(s)" if row.takeovers else ""
        state = "" if details["status"] in TERMINAL else (" (drives it)" if driver.live() else " (gone)")
        facts.add_row("runner", Text(f"{driver.describe()}{state}{taken}"))
    if details["reason"]:
        facts.add_row("reason", Text(details["reason"]))
    if details["description"]:
        facts.add_row("description", Text(details["description"]))
    facts.add_row("started", local_time(started))
    facts.add_row("ended", local_time(ended))
    steps = run.steps_in_order()
    every_step_reused = bool(steps) and all(s.is_reused for s in steps)
    facts.add_row("duration", "reused (every step)" if every_step_reused else duration(started, ended))
    if details["parameters"]:
        facts.add_row("parameters", Text(", ".join(f"{k}={v!r}" for k, v in details["parameters"].items())))
    if details["tags"]:
        facts.add_row("tags", Text(", ".join(f"{k}={v}" for k, v in details["tags"].items())))
    out.print(facts)
    out.print(steps_table(steps))
    environments = environments_table(steps)
    if environments.row_count:
        out.print(environments)
    modules = modules_table(steps)
    if modules.row_count:
        out.print(modules)


app.command()(runs_diff.diff)  # listed after show


def _status_with_runner(row: Any) -> Text:
    """A run's status, saying so when the run goes on but no live runner drives it."""
    text = status_text(row.status)
    if row.status not in TERMINAL and not holder_of(row).live() and row.runner_pid is not None:
        text.append(" (its runner is gone: `duto runs resume`)", style="yellow")
    return text


def modules_table(steps: list[StepRun]) -> Table:
    """The module and version each step made from a module version came from (a spec's `module`)."""
    table = Table(title="modules")
    for column in ("step", "module", "version", "ports"):
        table.add_column(column)
    if not steps:
        return table
    from duto.facade.watching import step_labels

    spec_steps = steps[0].parent.workspace.runs_store.pipeline_run(steps[0].parent.id).spec["steps"]
    labels = step_labels((s.id, s.name) for s in steps)
    for step in steps:
        position = step._cached.position
        module = spec_steps[position].get("module") if position < len(spec_steps) else None
        if module is None:
            continue
        ports = [f"{p} <- {'|'.join(types)}" for p, types in module["inputs"].items()]
        ports += [f"{p} -> {kind}" for p, kind in module["outputs"].items()]
        table.add_row(Text(labels[step.id]), Text(module["module"]), Text(module["version"]), Text(", ".join(ports)))
    return table


def environments_table(steps: list[StepRun]) -> Table:
    """The environment each step ran in: its name, Python, and the resolved package set recorded for it."""
    table = Table(title="environments")
    for column in ("step", "environment", "python", "packages"):
        table.add_column(column)
    if not steps:
        return table
    spec = steps[0].parent.workspace.runs_store.pipeline_run(steps[0].parent.id).spec
    from duto.facade.watching import step_labels

    environment_names = [(s.get("environment") or {}).get("name", "") for s in spec["steps"]]
    labels = step_labels((s.id, s.name) for s in steps)
    for step in steps:
        components = step.get_reuse_info()["components"] or {}
        environment = components.get("environment") or {}
        packages = environment.get("packages")
        if packages is None:
            continue
        position = step._cached.position
        name = environment_names[position] if position < len(environment_names) else ""
        listed = " ".join(f"{k}=={v}" for k, v in sorted(packages.items())) or "(none)"
        table.add_row(Text(labels[step.id]), Text(name), environment.get("python", ""), Text(listed))
    return table


def steps_table(steps: list[StepRun]) -> Table:
    """A run's steps: name (with a short step-run id when two steps share it), status (Reused for a reused
    step), target, duration, exit code, and why."""
    from duto.caching.explain import summarize
    from duto.facade.watching import step_labels

    table = Table(title="steps")
    for column in ("step", "status", "target", "duration", "exit code", "why"):
        table.add_column(column, justify="right" if column in ("duration", "exit code") else "left")
    labels = step_labels((s.id, s.name) for s in steps)
    for step in steps:
        details = step.get_details()
        reuse = step.get_reuse_info()
        why = [details["reason"]] if details["reason"] else []
        if not reuse["is_reused"] and reuse["reasons"]:
            why.append(f"ran because {summarize(reuse['reasons'])}")
        table.add_row(
            Text(labels[step.id]),
            status_text("Reused" if reuse["is_reused"] else details["status"]),
            Text(details["target"]),
            "reused"
            if reuse["is_reused"]
            else duration(parse_time(details["startTimeUtc"]), parse_time(details["endTimeUtc"])),
            "" if details["exitCode"] is None else str(details["exitCode"]),
            Text("; ".join(why)),
        )
    return table


def follow_to_end(run: PipelineRun) -> None:
    """Follow a run to its end, live; say how it ended and, when it did not finish, why (exit code 1).

    Ctrl-C stops following only: the run goes on.
    """
    try:
        status = run.wait_for_completion(show_output=True, raise_on_error=False)
    except KeyboardInterrupt:  # wait_for_completion has said that the run goes on, and how to find it
        raise typer.Exit(130) from None
    details = run.get_details()
    took = duration(parse_time(details["startTimeUtc"]), parse_time(details["endTimeUtc"]))
    steps = run.steps_in_order()
    if status == "Finished" and steps and all(s.is_reused for s in steps):
        took = "no time: every step was reused"
    say(Text.assemble(f"run {run.id} ", status_text(status), f" in {took}" if took else ""))
    if status != "Finished":
        names = [s.name for s in steps]
        for step in steps:
            if step.get_status() == "Failed":
                why = step.reason or f"exited with code {step.exit_code}"
                address = step.name if names.count(step.name) == 1 else step.id
                say(f"step {step.name!r} failed: {why}; its log: `duto logs {run.id} {address}`", err)
        if details["reason"]:
            say(f"run reason: {details['reason']}", err)
        raise typer.Exit(1)


def _going_run(run_id: str, workspace: Path | None, verb: str) -> PipelineRun | None:
    """The run, unless it has ended (then say so: there is nothing to `verb`)."""
    run = open_workspace(workspace).get_run(run_id)
    status = run.get_status()
    if status in TERMINAL:
        say(f"run {run.id} already ended {status}; nothing to {verb}")
        return None
    return run


@app.command()
def resume(
    run_id: RunArgument,
    detach: Annotated[bool, typer.Option("--detach", help="Return once a runner has it, not at its end.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Stop a runner of this machine that holds the run but is stuck.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Take over a run whose runner stopped: finished steps stay finished, the ones that were going run again."""
    run = _going_run(run_id, workspace, "resume")
    if run is None:
        return
    if run.resume(force=force):
        say(f"resuming run {run.id}: a new runner takes it over")
    else:
        say(f"run {run.id} is driven by {run.driver.describe()}; nothing to resume (--force stops that runner)")
    if not detach:
        follow_to_end(run)


@app.command()
def cancel(run_id: RunArgument, workspace: WorkspaceOption = None) -> None:
    """Cancel a run: running steps are stopped, steps not started end Canceled."""
    run = _going_run(run_id, workspace, "cancel")
    if run is None:
        return
    run.cancel()
    say(f"cancel requested for run {run.id} (status now {run.get_status()})")


@app.command()
def delete(
    run_ids: Annotated[
        list[str], typer.Argument(metavar="RUN...", help="Run ids, or unique prefixes of them.", show_default=False)
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Cancel runs that have not ended, then delete them.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete runs for real: their records, logs and the outputs only they use; outputs kept runs reused stay.

    `duto cache gc` then frees what they held in the content store.
    """
    from duto.facade.run_deletion import delete_runs, resolve_runs

    ws = open_workspace(workspace)
    ids = resolve_runs(ws, run_ids)
    if not yes and sys.stdin.isatty():
        say(f"about to delete {len(ids)} run(s) for good: {', '.join(ids)}", err)
        if not typer.confirm("delete them?", default=False, err=True):
            say("nothing was deleted", err)
            raise typer.Exit(1)
    for deleted in delete_runs(ws, ids, force=force):
        say(deletion_summary(deleted))
    say(GC_HINT, err)


GC_HINT = "what they held in the content store is unreferenced now: `duto cache gc` frees it"


def deletion_summary(deleted: RunDeletion) -> str:
    """One line: what deleting a run removed, and what it kept for the runs that reused it."""
    records = deleted.records
    parts = [f"{records.row_count} rows", f"run folder {size_text(deleted.folder_bytes)}"]
    if deleted.outputs_removed:
        parts.append(f"{len(deleted.outputs_removed)} published output(s) ({size_text(deleted.output_bytes)})")
    line = f"deleted run {records.run_id} ({records.experiment}, {records.status}"
    line += ", canceled first" if deleted.canceled else ""
    line += "): " + ", ".join(parts)
    if deleted.outputs_kept:
        line += f"; kept {len(deleted.outputs_kept)} output(s) that other runs reused"
    return line
