"""`duto pipelines ...` and `duto endpoints ...`: publishing pipelines, and endpoints over their versions.

A published pipeline is given by its id or a unique prefix of it, as runs are; an endpoint by its name, or its
id or a unique prefix of that.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import local_time, status_text
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say
from duto.cli.status import TargetArgument, load_target

if TYPE_CHECKING:
    from duto.facade.pipeline_endpoints import PipelineEndpoint
    from duto.facade.publishing import PublishedPipeline
    from duto.facade.workspace import Workspace

pipelines = typer.Typer(
    help="Publish pipelines, so that they run again later without their code; list, show, enable, disable, delete.",
    no_args_is_help=True,
)
endpoints = typer.Typer(
    help="Pipeline endpoints: a stable name over versions of published pipelines, one of them the default.",
    no_args_is_help=True,
)

PipelineArgument = Annotated[
    str, typer.Argument(metavar="ID", help="A published pipeline's id, or a unique prefix of one.")
]
EndpointArgument = Annotated[
    str, typer.Argument(metavar="ENDPOINT", help="An endpoint's name, or its id or a unique prefix of one.")
]
PipelineOption = Annotated[
    str,
    typer.Option("--pipeline", metavar="ID", help="A published pipeline's id, or a unique prefix of one."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (full ids, UTC times).")]
AllOption = Annotated[bool, typer.Option("--all", "-a", help="The disabled ones too.")]
SHORT_ID = 8


def _published(workspace: Workspace, key: str) -> PublishedPipeline:
    from duto.facade.publishing import PublishedPipeline

    return PublishedPipeline.get(workspace, key)


def _endpoint(workspace: Workspace, key: str) -> PipelineEndpoint:
    from duto.facade.pipeline_endpoints import find_endpoint

    return find_endpoint(workspace, key)


def _local(iso: str) -> str:
    return local_time(datetime.fromisoformat(iso))


def _facts(rows: list[tuple[str, Any]]) -> Table:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")  # an id or URL is folded onto the next line, never cut short
    for label, value in rows:
        if value not in (None, "", [], {}):
            facts.add_row(label, value if isinstance(value, Text) else Text(str(value)))
    return facts


# duto pipelines ----------------------------------------------------------------------------------
@pipelines.command()
def publish(
    target: TargetArgument,
    name: Annotated[str, typer.Option("--name", "-n", help="The published pipeline's name (need not be unique).")],
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What it does.", show_default=False)
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="A version label of your own.", show_default=False)
    ] = None,
    continue_on_step_failure: Annotated[
        bool,
        typer.Option("--continue-on-step-failure", help="Its runs go on with other steps when one step fails."),
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Freeze the pipeline of a Python file (its code stored as it is now) into a published pipeline.

    Prints its id, then its endpoint: the URL the workspace's server (`duto server`) triggers it on.
    """
    _, pipeline = load_target(target, workspace)
    published = pipeline.publish(name, description, version, continue_on_step_failure or None)
    say(published.id)
    say(f"endpoint {published.endpoint}")
    say(f"published {name!r}; see it with `duto pipelines show {published.id[:SHORT_ID]}`", err)


@pipelines.command("list")
def list_pipelines(all_: AllOption = False, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the published pipelines, newest first; the disabled ones only with --all."""
    from duto.facade.publishing import PublishedPipeline

    found = PublishedPipeline.list(open_workspace(workspace), active_only=not all_)
    if as_json:
        from duto.cli.documents import print_json

        print_json([p.to_document() for p in found])
        return
    if not found:
        say("no published pipelines; `duto pipelines publish FILE.py --name NAME` makes one", err)
        return
    table = Table(title="published pipelines")
    for column in ("id", "name", "version", "status", "steps", "created"):
        table.add_column(column, no_wrap=column in ("id", "created"))
    for p in found:
        d = p.to_document()
        table.add_row(
            d["id"][:SHORT_ID],
            Text(d["name"]),
            Text(d["version"] or ""),
            status_text(d["status"]),
            str(len(d["steps"])),
            _local(d["created"]),
        )
    out.print(table)


@pipelines.command("show")
def show_pipeline(key: PipelineArgument, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Show a published pipeline: its status, endpoint, parameters' defaults and steps."""
    document = _published(open_workspace(workspace), key).to_document()
    if as_json:
        from duto.cli.documents import print_json

        print_json(document)
        return
    parameters = ", ".join(f"{k}={v!r}" for k, v in document["parameters"].items())
    facts = [
        ("published pipeline", document["id"]),
        ("name", document["name"]),
        ("description", document["description"]),
        ("version", document["version"]),
        ("status", status_text(document["status"])),
        ("endpoint", document["endpoint"]),
        ("created", _local(document["created"])),
        ("from run", document["source_run_id"]),
        ("parameters", parameters),
        ("steps", ", ".join(document["steps"])),
    ]
    out.print(_facts(facts))


@pipelines.command("enable")
def enable_pipeline(key: PipelineArgument, workspace: WorkspaceOption = None) -> None:
    """Let a published pipeline start runs again."""
    published = _published(open_workspace(workspace), key)
    published.enable()
    say(f"published pipeline {published.name!r} ({published.id}) is Active")


@pipelines.command("disable")
def disable_pipeline(key: PipelineArgument, workspace: WorkspaceOption = None) -> None:
    """Stop a published pipeline from starting runs; it stays, and `enable` brings it back."""
    published = _published(open_workspace(workspace), key)
    published.disable()
    say(f"published pipeline {published.name!r} ({published.id}) is Disabled")


@pipelines.command("delete")
def delete_pipeline(key: PipelineArgument, workspace: WorkspaceOption = None) -> None:
    """Delete a published pipeline for good (`duto cache gc` then frees the code only it kept)."""
    published = _published(open_workspace(workspace), key)
    published.delete()
    say(f"deleted published pipeline {published.name!r} ({published.id})")


# duto endpoints ----------------------------------------------------------------------------------
@endpoints.command("create")
def create_endpoint(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The endpoint's name, unique in the workspace.")],
    pipeline: PipelineOption,
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What it does.", show_default=False)
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Make an endpoint whose version 0, its default, is a published pipeline; prints its id, then its endpoint."""
    from duto.facade.pipeline_endpoints import PipelineEndpoint

    ws = open_workspace(workspace)
    endpoint = PipelineEndpoint.publish(ws, name, description, _published(ws, pipeline))
    say(endpoint.id)
    say(f"endpoint {endpoint.endpoint}")


@endpoints.command("list")
def list_endpoints(all_: AllOption = False, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """List the pipeline endpoints by name; the disabled ones only with --all."""
    from duto.facade.pipeline_endpoints import PipelineEndpoint

    found = PipelineEndpoint.list(open_workspace(workspace), active_only=not all_)
    if as_json:
        from duto.cli.documents import print_json

        print_json([e.to_document() for e in found])
        return
    if not found:
        say("no pipeline endpoints; `duto endpoints create NAME --pipeline ID` makes one", err)
        return
    table = Table(title="pipeline endpoints")
    for column in ("name", "id", "status", "default", "versions"):
        table.add_column(column, no_wrap=column == "id")
    for e in found:
        d = e.to_document()
        table.add_row(
            Text(d["name"]), d["id"][:SHORT_ID], status_text(d["status"]), d["default_version"], str(len(d["versions"]))
        )
    out.print(table)


@endpoints.command("show")
def show_endpoint(key: EndpointArgument, as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:
    """Show an endpoint: its status, URL, default version and each version's published pipeline."""
    ws = open_workspace(workspace)
    document = _endpoint(ws, key).to_document()
    if as_json:
        from duto.cli.documents import print_json

        print_json(document)
        return
    out.print(
        _facts(
            [
                ("pipeline endpoint", document["name"]),
                ("id", document["id"]),
                ("description", document["description"]),
                ("status", status_text(document["status"])),
                ("endpoint", document["endpoint"]),
                ("default version", document["default_version"]),
            ]
        )
    )
    table = Table(title="versions")
    for column in ("version", "published pipeline", "name", "status"):
        table.add_column(column, no_wrap=column == "published pipeline")
    for entry in document["versions"]:
        published = _published(ws, entry["pipeline_id"]).to_document()
        mark = " (default)" if entry["version"] == document["default_version"] else ""
        table.add_row(
            entry["version"] + mark, published["id"], Text(published["name"]), status_text(published["status"])
        )
    out.print(table)


@endpoints.command("add")
def add_version(
    key: EndpointArgument,
    pipeline: PipelineOption,
    default: Annotated[bool, typer.Option("--default", help="Make the new version the default.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a published pipeline to an endpoint as its next version (the default only with --default)."""
    ws = open_workspace(workspace)
    endpoint = _endpoint(ws, key)
    published = _published(ws, pipeline)
    version = endpoint.add_default(published) if default else endpoint.add(published)
    say(f"added {published.id} to endpoint {endpoint.name!r} as version {version}; default: {endpoint.default_version}")


@endpoints.command("set-default")
def set_default(
    key: EndpointArgument,
    version: Annotated[str, typer.Argument(metavar="VERSION", help="One of the endpoint's versions: 0, 1, ...")],
    workspace: WorkspaceOption = None,
) -> None:
    """Make one of an endpoint's versions its default: the one its triggers run."""
    endpoint = _endpoint(open_workspace(workspace), key)
    endpoint.set_default_version(version)
    say(f"endpoint {endpoint.name!r} runs version {version} by default")


@endpoints.command("enable")
def enable_endpoint(key: EndpointArgument, workspace: WorkspaceOption = None) -> None:
    """Let an endpoint start runs again."""
    endpoint = _endpoint(open_workspace(workspace), key)
    endpoint.enable()
    say(f"endpoint {endpoint.name!r} is Active")


@endpoints.command("disable")
def disable_endpoint(key: EndpointArgument, workspace: WorkspaceOption = None) -> None:
    """Stop an endpoint from starting runs; its versions stay."""
    endpoint = _endpoint(open_workspace(workspace), key)
    endpoint.disable()
    say(f"endpoint {endpoint.name!r} is Disabled")
