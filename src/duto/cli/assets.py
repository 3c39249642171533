"""`duto datasets list|show|lineage|unregister` and `duto models list|show|delete`: the registered versions and where
they came from."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from duto.cli.options import WorkspaceOption, open_workspace, out

datasets = typer.Typer(help="Registered datasets: their versions and lineage.", no_args_is_help=True)
models = typer.Typer(help="Registered models: their versions and lineage.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (full ids, UTC times).")]
NameArgument = Annotated[str, typer.Argument(help="The registered name.")]
VersionOption = Annotated[
    str, typer.Option("--version", "-v", help="A version number, or 'latest'.", show_default=True)
]


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data))


def _run_of(document: dict[str, Any]) -> str:
    produced = document.get("produced_by")
    if not produced:
        return ""
    step = produced.get("step_name") or produced.get("step_run_id") or ""
    return f"{produced['pipeline_run_id']} / {step}"


def _facts(document: dict[str, Any], keys: list[str]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key in keys:
        value = document.get(key)
        if value not in (None, "", [], {}):
            grid.add_row(key, value if isinstance(value, str) else json.dumps(value))
    return grid


@datasets.command("list")
def list_datasets(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List the registered datasets, each at its latest version."""
    from duto.facade.datasets import dataset_documents

    found = dataset_documents(open_workspace(workspace))
    if as_json:
        _print_json(found)
        return
    table = Table(title="datasets")
    for column in ("name", "version", "registered", "produced by", "description"):
        table.add_column(column, no_wrap=column != "description")
    for d in found:
        table.add_row(d["name"], str(d["version"]), d["created_at"][:19], _run_of(d), d["description"] or "")
    out.print(table)


@datasets.command()
def show(
    name: NameArgument,
    version: VersionOption = "latest",
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one version of a registered dataset: what it reads, its content's digest, its tags."""
    from duto.facade.datasets import dataset_version_document

    document = dataset_version_document(open_workspace(workspace), name, version)
    if as_json:
        _print_json(document)
        return
    out.print(
        _facts(
            document,
            [
                "name",
                "version",
                "id",
                "digest",
                "single_file",
                "definition",
                "description",
                "tags",
                "created_at",
                "produced_by",
            ],
        )
    )


@datasets.command()
def lineage(name: NameArgument, workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Each version of a dataset: the run that produced it, the runs that read it, the models made from it."""
    from duto.facade.datasets import dataset_lineage

    found = dataset_lineage(open_workspace(workspace), name)
    if as_json:
        _print_json(found)
        return
    table = Table(title=f"lineage of dataset {name}")
    for column in ("version", "produced by", "read by", "models"):
        table.add_column(column, overflow="fold")
    for v in found:
        readers = "\n".join(f"{c['pipeline_run_id']} / {c['step_name']} ({c['input_name']})" for c in v["consumed_by"])
        made = ", ".join(f"{m['name']}:{m['version']}" for m in v["models"])
        table.add_row(str(v["version"]), _run_of(v), readers, made)
    out.print(table)


@models.command("list")
def list_models(
    workspace: WorkspaceOption = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Only this model's versions.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the registered models, every version of each."""
    from duto.facade.models import model_documents

    found = model_documents(open_workspace(workspace), name)
    if as_json:
        _print_json(found)
        return
    table = Table(title="models")
    for column in ("name", "version", "file", "framework", "registered", "produced by"):
        table.add_column(column, no_wrap=True)
    for m in found:
        table.add_row(
            m["name"], str(m["version"]), m["file_name"], m["framework"] or "", m["created_at"][:19], _run_of(m)
        )
    out.print(table)


@models.command("show")
def show_model(
    name: NameArgument,
    version: VersionOption = "latest",
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one version of a registered model, with the run and datasets it came from."""
    from duto.facade.models import model_version_document

    document = model_version_document(open_workspace(workspace), name, version)
    if as_json:
        _print_json(document)
        return
    keys = ["name", "version", "id", "file_name", "digest", "framework", "description", "tags", "properties"]
    out.print(_facts(document, [*keys, "created_at", "produced_by", "datasets"]))


AllOption = Annotated[bool, typer.Option("--all", help="Every version of the name.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _unregister(kind: str, name: str, version: str | None, every: bool, yes: bool, unregister: Any) -> None:
    """Unregister a version (or every version) of a dataset or model, asking first unless `yes`."""
    if (version is None) == (not every):
        raise typer.BadParameter(
            f"give the version to unregister (--version N, or 'latest'), or --all for every version of {name!r}"
        )
    what = f"every version of {kind} {name!r}" if every else f"version {version} of {kind} {name!r}"
    if not yes and not typer.confirm(f"unregister {what}?", default=False, err=True):
        raise typer.Exit(1)
    numbers = unregister(name, None if every else version)
    out.print(
        f"unregistered {kind} {name!r} version{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}; "
        "runs that used them still name them, and `duto cache gc` reclaims what nothing else keeps"
    )


@datasets.command("unregister")
def unregister_dataset(
    name: NameArgument,
    version: Annotated[str | None, typer.Option("--version", "-v", help="The version, or 'latest'.")] = None,
    every: AllOption = False,
    yes: YesOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Unregister a version of a dataset (or every version, with --all); its number is never given again."""
    from duto.facade.datasets import unregister_dataset as unregister

    ws = open_workspace(workspace)
    _unregister("dataset", name, version, every, yes, lambda n, v: unregister(ws, n, v))


@models.command("delete")
def delete_model(
    name: NameArgument,
    version: Annotated[str | None, typer.Option("--version", "-v", help="The version, or 'latest'.")] = None,
    every: AllOption = False,
    yes: YesOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Unregister a version of a model (or every version, with --all); its number is never given again."""
    from duto.facade.models import unregister_model

    ws = open_workspace(workspace)
    _unregister("model", name, version, every, yes, lambda n, v: unregister_model(ws, n, v))
