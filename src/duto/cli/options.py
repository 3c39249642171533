"""What every command shares: the `--workspace` option, opening the workspace, and the two consoles."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

# Results go to stdout so they can be piped; errors and hints go to stderr.
out = Console()
err = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder (default: DUTO_WORKSPACE, else the nearest one above the current folder).",
        show_default=False,
    ),
]
RunArgument = Annotated[str, typer.Argument(metavar="RUN", help="A run id, or a unique prefix of one.")]


def open_workspace(path: Path | None) -> Workspace:
    """The workspace at `path` (or above it), else the one `Workspace.from_config()` finds."""
    from duto.facade.workspace import Workspace

    return Workspace.from_config(path)


def say(message: str | Text, console: Console = out) -> None:
    """Print a message as it is: no markup, no highlighting, and no line breaks added inside it."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)
