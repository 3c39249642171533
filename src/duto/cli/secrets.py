"""`duto secrets set|list|delete`: the workspace's named secrets, which datastores' settings name.

A value is never an argument (it would stay in the shell's history and the process list): `set` reads it from a
hidden prompt, from standard input, or from an environment variable. Nothing prints a value.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from duto.cli.options import WorkspaceOption, err, open_workspace, say

app = typer.Typer(
    help="Named secrets (datastore credentials): set, list, delete; values are never shown.",
    no_args_is_help=True,
)


@app.command("set")
def set_secret(
    name: Annotated[str, typer.Argument(help="The secret's name: letters, digits, '.', '-', '_'.")],
    from_env: Annotated[
        str | None,
        typer.Option("--from-env", metavar="VARIABLE", help="Take the value from this environment variable."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Keep a secret: typed at a hidden prompt, piped on standard input, or taken from --from-env."""
    if from_env is not None:
        value = os.environ.get(from_env)
        if not value:
            err.print(f"environment variable {from_env} is not set or empty", markup=False)
            raise typer.Exit(1)
    elif sys.stdin.isatty():
        value = typer.prompt(f"value of {name}", hide_input=True)
    else:
        value = sys.stdin.read().rstrip("\r\n")
    open_workspace(workspace).set_secret(name, value)
    say(f"secret {name!r} kept ({len(value)} characters)")


@app.command("list")
def list_secrets(workspace: WorkspaceOption = None) -> None:
    """The names of the secrets the workspace holds, one a line (never their values)."""
    for entry in open_workspace(workspace).get_default_keyvault().list_secrets():
        say(entry["name"])


@app.command()
def delete(
    name: Annotated[str, typer.Argument(help="The secret's name.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Forget a secret."""
    from duto.storage.secrets import SecretStore

    found = SecretStore(open_workspace(workspace).config.duto_dir).delete(name)
    say(f"secret {name!r} deleted" if found else f"no secret named {name!r}")
