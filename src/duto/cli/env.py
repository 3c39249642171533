"""`duto env list|build|gc`: the registered environments and the venvs built for them."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from duto.cli.options import WorkspaceOption, err, open_workspace, out, say
from duto.errors import EnvironmentBuildError

if TYPE_CHECKING:
    from duto.environments.builder import EnvironmentBuilder
    from duto.facade.workspace import Workspace

app = typer.Typer(help="List, build and clean up the environments steps run in.", no_args_is_help=True)


class ConsoleLog:
    """A build log printed to a console line by line, as uv writes it."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._pending = b""

    def write(self, data: bytes, /) -> int:
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            say(Text(line.decode(errors="replace"), style="dim"), self._console)
        return len(data)

    def flush(self) -> None:
        if self._pending:
            say(Text(self._pending.decode(errors="replace"), style="dim"), self._console)
            self._pending = b""


def _builder(ws: Workspace) -> EnvironmentBuilder:
    from duto.environments.builder import EnvironmentBuilder, workspace_envs_dir

    return EnvironmentBuilder(workspace_envs_dir(ws.config))


def _registered_keys(ws: Workspace, builder: EnvironmentBuilder) -> dict[str, list[str]]:
    """The venv key of every registered version that duto builds, with the `name:version`s using it."""
    from duto.facade.environment_registry import Environment

    users: dict[str, list[str]] = {}
    for name in Environment.list(ws):
        for version, environment in Environment.versions(ws, name).items():
            spec = environment.to_spec()
            if not spec["user_managed"]:
                with contextlib.suppress(EnvironmentBuildError):  # a local wheel is gone: no venv can be its
                    users.setdefault(builder.key(spec), []).append(f"{name}:{version}")
    return users


@app.command("list")
def list_environments(workspace: WorkspaceOption = None) -> None:
    """List the registered environments, and the venvs built for them."""
    from duto.facade.environment_registry import Environment

    ws = open_workspace(workspace)
    builder = _builder(ws)
    registered = Environment.list(ws)
    if registered:
        table = Table(title=f"environments of {ws.name}")
        for column in ("name", "versions", "python", "packages (latest)", "venv"):
            table.add_column(column, no_wrap=column in ("name", "venv"))
        for name, latest in registered.items():
            spec = latest.to_spec()
            if spec["user_managed"]:
                venv = f"user-managed: {spec['interpreter'] or 'python on PATH'}"
            else:
                built = builder.find(spec)
                venv = built.key if built is not None else "not built"
            table.add_row(
                Text(name),
                ", ".join(Environment.versions(ws, name)),
                spec["python_version"] or "duto's",
                Text(", ".join(spec["pip_packages"]) or "-"),
                venv,
            )
        out.print(table)
    else:
        say("no environments are registered; register one with Environment(...).register(ws)", err)
    built_envs = builder.list()
    if not built_envs:
        say("no venvs are built yet; `duto env build NAME` builds one", err)
        return
    users = _registered_keys(ws, builder)
    table = Table(title="built venvs")
    for column in ("key", "python", "packages", "size", "used by"):
        table.add_column(column, justify="right" if column in ("packages", "size") else "left", no_wrap=True)
    for built in built_envs:
        table.add_row(
            built.key,
            built.python_version or "?",
            str(len(built.packages)),
            _size(_disk_usage(built.path)),
            Text(", ".join(users.get(built.key, [])) or "no registered environment"),
        )
    out.print(table)


@app.command()
def build(
    name: Annotated[str, typer.Argument(help="A registered environment's name.")],
    version: Annotated[
        str | None, typer.Option("--version", help="The version to build (default: the latest).", show_default=False)
    ] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Build anew even when the venv is there.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Build the venv of a registered environment (or say where it is, when it is built already)."""
    from duto.errors import EnvironmentBuildError
    from duto.facade.environment_registry import Environment

    ws = open_workspace(workspace)
    environment = Environment.get(ws, name, version)
    label = f"environment {name!r} version {environment.version}"
    spec = environment.to_spec()
    if spec["user_managed"]:
        say(f"{label} is user-managed ({spec['interpreter'] or 'python on PATH'}); there is nothing to build")
        return
    builder = _builder(ws)
    found = None if refresh else builder.find(spec)
    if found is not None:
        say(f"{label} is built already: {found.path} (python {found.python_version}, {len(found.packages)} package(s))")
        return
    started = time.monotonic()
    with err.status(f"building {label}..."):
        try:
            built = builder.build(spec, log=ConsoleLog(err), refresh=refresh)
        except EnvironmentBuildError as exc:
            # uv's output has just been printed above: the error line need not repeat it.
            raise EnvironmentBuildError(exc.environment, exc.reason) from None
    took = time.monotonic() - started
    packages = ", ".join(f"{package}=={v}" for package, v in built.packages.items()) or "no packages"
    say(f"built {label} in {took:.1f} s: {built.path} (python {built.python_version}; {packages})")


@app.command()
def gc(workspace: WorkspaceOption = None) -> None:
    """Remove the venvs no registered environment version and no unfinished run uses, and dead builds' leftovers."""
    ws = open_workspace(workspace)
    builder = _builder(ws)
    keep = set(_registered_keys(ws, builder)) | _keys_of_unfinished_runs(ws, builder)
    sizes = {entry.name: _disk_usage(entry) for entry in _folders(builder.envs_dir)}
    removed = builder.gc(keep)
    for folder in removed:
        say(f"removed {folder} ({_size(sizes.get(folder, 0))})")
    freed = sum(sizes.get(folder, 0) for folder in removed)
    kept = len([b for b in builder.list() if b.key in keep])
    say(f"removed {len(removed)} folder(s), freed {_size(freed)}; kept {kept} venv(s) of registered environments")


def _keys_of_unfinished_runs(ws: Workspace, builder: EnvironmentBuilder) -> set[str]:
    """The venvs that runs not yet ended may still start steps in, registered or not."""
    from duto.graph.status import TERMINAL

    keys = set()
    for run, _ in ws.runs_store.pipeline_runs(archived=True):
        if run.status in TERMINAL:
            continue
        for step in run.spec.get("steps", []):
            environment = step.get("environment")
            if environment and not environment.get("user_managed"):
                with contextlib.suppress(EnvironmentBuildError):  # a local wheel is gone: no venv can be its
                    keys.add(builder.key(environment))
    return keys


def _folders(path: Path) -> list[Path]:
    return [entry for entry in path.iterdir() if entry.is_dir()] if path.is_dir() else []


def _disk_usage(path: Path) -> int:
    """Bytes of the files under `path`, symlinks not followed (a venv's python links to its base interpreter)."""
    total = 0
    for folder, _, files in os.walk(path):
        for file in files:
            try:
                total += os.lstat(os.path.join(folder, file)).st_size
            except OSError:
                continue  # removed while walking
    return total


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)
