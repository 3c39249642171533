"""`duto schedules ...`: the workspace's schedules (made with `Schedule.create` in Python), and what they fired.

A schedule is given by its id or a unique prefix of it. The workspace's server (`duto server`) fires them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import local_time, status_text
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say
from duto.cli.publishing import SHORT_ID, AllOption, JsonOption, _facts

if TYPE_CHECKING:
    from duto.facade.schedules import Schedule
    from duto.facade.workspace import Workspace

app = typer.Typer(
    help="Schedules: recurrences and watched datastore paths that run published pipelines; list, show, enable, "
    "disable, delete, and the runs they started.",
    no_args_is_help=True,
)
ScheduleArgument = Annotated[str, typer.Argument(metavar="ID", help="A schedule's id, or a unique prefix of one.")]


def _schedule(workspace: Workspace, key: str) -> Schedule:
    from duto.facade.schedules import Schedule

    return Schedule.get(workspace, key)


def _local(iso: str | None) -> str:
    return local_time(datetime.fromisoformat(iso)) if iso else ""


def _when(document: dict[str, object]) -> str:
    if document["recurrence_text"]:
        return str(document["recurrence_text"])
    path = f"{document['datastore']}:{document['path_on_datastore'] or '/'}"
    return f"changes under {path}, every {document['polling_interval']:g} min"


@app.command("list")
def list_schedules(all_: AllOption = False, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the schedules, newest first; the disabled ones only with --all."""
    from duto.facade.schedules import Schedule

    documents = [s.to_document() for s in Schedule.list(open_workspace(workspace), active_only=not all_)]
    if as_json:
        from duto.cli.documents import print_json

        print_json(documents)
        return
    if not documents:
        say("no schedules; `Schedule.create(ws, name, pipeline_id, experiment_name, recurrence=...)` makes one", err)
        return
    table = Table(title="schedules")
    for column in ("id", "name", "status", "when", "next", "pipeline"):
        table.add_column(column, no_wrap=column in ("id", "next"))
    for d in documents:
        status = status_text(str(d["status"]))
        if d["stopped_reason"]:
            status.append(" (stopped)", style="yellow")
        upcoming = d["next_fire_times"]
        assert isinstance(upcoming, list)
        pipeline = d["pipeline_id"] or f"endpoint {d['pipeline_endpoint_id']}"
        table.add_row(
            str(d["id"])[:SHORT_ID],
            Text(str(d["name"])),
            status,
            Text(_when(d)),
            _local(upcoming[0]) if upcoming else "",
            str(pipeline)[: SHORT_ID + 9],
        )
    out.print(table)


@app.command("show")
def show_schedule(key: ScheduleArgument, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Show a schedule: when it fires, what it runs, why it stopped (if it did), and its last firings."""
    schedule = _schedule(open_workspace(workspace), key)
    document = schedule.to_document()
    firings = [
        {"tick": f.tick, "run_id": f.run_id, "outcome": f.outcome, "fired_at": f.fired_at.isoformat() + "Z"}
        for f in schedule.firings(10)
    ]
    if as_json:
        from duto.cli.documents import print_json

        print_json({**document, "firings": firings})
        return
    upcoming = document["next_fire_times"]
    parameters = ", ".join(f"{k}={v!r}" for k, v in document["pipeline_parameters"].items())
    stopped = document["stopped_reason"]
    facts = [
        ("schedule", document["id"]),
        ("name", document["name"]),
        ("description", document["description"]),
        ("status", status_text(document["status"])),
        ("stopped", Text(stopped, style="yellow") if stopped else None),
        ("when", _when(document)),
        ("next", ", ".join(_local(t) for t in upcoming)),
        ("runs", document["pipeline_id"] or f"endpoint {document['pipeline_endpoint_id']} (its default version)"),
        ("experiment", document["experiment_name"]),
        ("parameters", parameters),
        ("changed file as", document["data_path_parameter_name"]),
        ("catch up", document["catch_up"]),
        ("created", _local(document["created_at"])),
    ]
    out.print(_facts(facts))
    if firings:
        table = Table(title="last firings")
        for column in ("tick", "run", "fired"):
            table.add_column(column)
        for f in firings:
            run = f["run_id"] or ""
            table.add_row(
                f["tick"], Text(run) if run else Text(str(f["outcome"]), style="yellow"), _local(f["fired_at"])
            )
        out.print(table)


@app.command("enable")
def enable_schedule(key: ScheduleArgument, workspace: WorkspaceOption = None) -> None:
    """Let a schedule fire again (ticks that fell while it was disabled fire nothing)."""
    schedule = _schedule(open_workspace(workspace), key)
    schedule.enable()
    say(f"schedule {schedule.name!r} ({schedule.id}) is Active")


@app.command("disable")
def disable_schedule(key: ScheduleArgument, workspace: WorkspaceOption = None) -> None:
    """Stop a schedule from firing; it stays, and `enable` brings it back."""
    schedule = _schedule(open_workspace(workspace), key)
    schedule.disable()
    say(f"schedule {schedule.name!r} ({schedule.id}) is Disabled")


@app.command("delete")
def delete_schedule(key: ScheduleArgument, workspace: WorkspaceOption = None) -> None:
    """Delete a schedule and its firings; the runs it started stay."""
    schedule = _schedule(open_workspace(workspace), key)
    schedule.delete()
    say(f"deleted schedule {schedule.name!r} ({schedule.id})")


@app.command("runs")
def schedule_runs(key: ScheduleArgument, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """The runs a schedule started, newest first."""
    from duto.facade import documents

    ws = open_workspace(workspace)
    schedule = _schedule(ws, key)
    runs = documents.runs_by_id(ws, schedule.run_ids())
    if as_json:
        from duto.cli.documents import print_json

        print_json(runs)
        return
    if not runs:
        say(f"schedule {schedule.name!r} has started no runs yet", err)
        return
    table = Table(title=f"runs of schedule {schedule.name}")
    for column in ("run", "status", "experiment", "started"):
        table.add_column(column, no_wrap=True)
    for r in runs:
        table.add_row(str(r["id"]), status_text(str(r["status"])), Text(str(r["experiment"])), _local(r["created"]))
    out.print(table)
