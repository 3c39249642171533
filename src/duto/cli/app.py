"""The `duto` command: its subcommands, and the one place user errors become a red line and exit code 1.

Commands import the workspace, runs and pipelines inside their bodies, so `duto --help` stays quick.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from duto.cli import (
    assets,
    cache,
    command_servers,
    compute,
    dag,
    env,
    experiments,
    logs,
    metrics,
    publishing,
    runner,
    runs,
    schedules,
    secrets,
    server,
    status,
    tokens,
    why,
)
from duto.cli.group import DutoGroup
from duto.cli.options import WorkspaceOption, err, open_workspace, say
from duto.config import WORKSPACE_ENV
from duto.errors import ConfigError, DutoError, UserCodeError, WorkspaceExistsError
from duto.graph.params import ParameterValue, parse_parameter_text

app = typer.Typer(
    name="duto",
    cls=DutoGroup,  # lists the commands in the order of duto.cli.group.COMMAND_ORDER
    help="Local-first machine-learning pipelines: run them, reuse unchanged steps, track every run.",
    no_args_is_help=True,
    add_completion=False,
    # A failure in the user's own pipeline file is theirs to read as a plain traceback; duto's own
    # errors never get that far (see main).
    pretty_exceptions_enable=False,
)
app.add_typer(runs.app, name="runs")
app.add_typer(experiments.app, name="experiments")
app.add_typer(compute.app, name="compute")
app.add_typer(env.app, name="env")
app.add_typer(publishing.pipelines, name="pipelines")
app.add_typer(publishing.endpoints, name="endpoints")
app.add_typer(schedules.app, name="schedules")
app.add_typer(assets.datasets, name="datasets")
app.add_typer(assets.models, name="models")
app.add_typer(cache.app, name="cache")
app.add_typer(command_servers.app, name="command-server")
app.add_typer(runner.app, name="runner")
app.add_typer(server.app, name="server")
app.add_typer(tokens.app, name="token")
app.add_typer(secrets.app, name="secrets")
app.command()(why.why)
app.command()(logs.logs)
app.command()(metrics.metrics)
app.command()(status.status)
app.command()(dag.dag)


def _show_version(value: bool) -> None:
    if value:
        from duto import __version__

        say(f"duto {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Print duto's version and exit.")
    ] = False,
) -> None:
    """Local-first machine-learning pipelines: run them, reuse unchanged steps, track every run."""


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="The folder to make a workspace in (created if missing).")] = Path("."),
) -> None:
    """Create a workspace: its settings, metadata DB and default datastore, in PATH/.duto."""
    from duto.facade.workspace import Workspace

    try:
        ws = Workspace.create(path, exist_ok=False)
    except WorkspaceExistsError as exc:
        raise ConfigError(f"a duto workspace already exists in {exc.path}; nothing was changed") from None
    say(f"created duto workspace {ws.name!r} in {ws.root}")


@app.command()
def run(
    target: Annotated[
        str,
        typer.Argument(
            metavar="FILE.py[:NAME]",
            help="A Python file defining a Pipeline (NAME picks a Pipeline or a function returning one), or a "
            "pipeline YAML file in v1's shape.",
        ),
    ],
    experiment: Annotated[
        str | None,
        typer.Option(
            "--experiment", "-e", help="The experiment to submit to (default: the file's name).", show_default=False
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="NAME=VALUE", help="Override a pipeline parameter; repeat for more."),
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Print the run id and return while the run goes on.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Submit the pipeline of a Python or YAML file, then follow it to its end (or return at once with --detach)."""
    from duto.cli.loading import PipelineTarget, load_pipeline

    parameters = parse_parameters(param or [])
    if workspace is not None:
        # The file opens its workspace itself with `Workspace.from_config()`, which reads this variable.
        os.environ[WORKSPACE_ENV] = str(open_workspace(workspace).root)
    pipeline_target = PipelineTarget.parse(target)
    pipeline = load_pipeline(pipeline_target)
    experiment_name = experiment or Path(pipeline_target.path).stem
    submitted = pipeline.submit(experiment_name, pipeline_parameters=parameters)
    run_id = submitted.id
    if detach:
        say(run_id)
        say(f"follow it with `duto logs {run_id} --follow`, see it with `duto runs show {run_id}`", err)
        return
    say(f"submitted run {run_id} to experiment {experiment_name!r}")
    runs.follow_to_end(submitted)


def parse_parameters(items: list[str]) -> dict[str, ParameterValue]:
    """`NAME=VALUE` texts as pipeline parameters; values read as numbers and booleans where they can be.

    Raises:
        ConfigError: for an item that is not NAME=VALUE.
    """
    parameters: dict[str, ParameterValue] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {item!r} must look like NAME=VALUE, e.g. --param lr=0.1")
        parameters[name.strip()] = parse_parameter_text(value)
    return parameters


def main() -> None:
    """Run the `duto` command in this process (`duto.cli.entry` decides where it runs)."""
    try:
        app(prog_name="duto")
    except UserCodeError as exc:
        # The user's own code failed: its traceback from their file on, as `python FILE.py` prints it.
        sys.stderr.write(exc.shown)
        sys.exit(1)
    except (DutoError, FileNotFoundError) as exc:
        # One red line, no traceback: the message says what happened and what to do.
        say(Text(f"error: {exc}", style="red"), err)
        sys.exit(1)


if __name__ == "__main__":
    main()
