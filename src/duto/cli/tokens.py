"""`duto token create|list|revoke`: the tokens that let others call the workspace's server.

The workspace's owner needs none of them here: these commands reach the workspace's DB directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import local_time
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say

app = typer.Typer(
    help="Tokens for the workspace's server: read reads, submit also starts and cancels runs, admin does all.",
    no_args_is_help=True,
)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="The token's name: letters, digits, '_', '.', '-'.")],
    scope: Annotated[
        str, typer.Option("--scope", "-s", metavar="read|submit|admin", help="What the token may do.")
    ] = "read",
    expires_in: Annotated[
        str | None,
        typer.Option(
            "--expires-in",
            metavar="DURATION",
            help="Expire after 30d, 12h, 15m, 3600s... (default: never).",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Make a token and print it once, alone on the last line: `TOKEN=$(duto token create ci | tail -n1)`."""
    from duto.facade.tokens import create_token, parse_duration

    duration = parse_duration(expires_in) if expires_in is not None else None
    secret, record = create_token(open_workspace(workspace), name, scope, duration)
    expiry = f"expires {local_time(record.expires_at)}" if record.expires_at is not None else "never expires"
    say(f"token {record.name!r}, scope {record.scope}, {expiry}; it is shown this once, keep it secret:")
    say(secret)


@app.command("list")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (UTC times).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the tokens: name, scope, state, when made, when they expire and were last used (never secrets)."""
    from duto.facade.tokens import list_tokens as listed
    from duto.facade.tokens import token_state

    records = listed(open_workspace(workspace))
    if as_json:
        from duto.cli.documents import print_json

        print_json(
            [
                {
                    "name": r.name,
                    "scope": r.scope,
                    "state": token_state(r),
                    "created": _iso(r.created_at),
                    "expires": _iso(r.expires_at),
                    "last_used": _iso(r.last_used_at),
                    "server_pid": r.server_pid,
                }
                for r in records
            ]
        )
        return
    if not records:
        say("no tokens; `duto token create NAME --scope read|submit|admin` makes one", err)
        return
    table = Table(title="tokens")
    for column in ("name", "scope", "state", "created", "expires", "last used"):
        table.add_column(column, overflow="fold" if column == "name" else "ellipsis", no_wrap=column != "name")
    for r in records:
        table.add_row(
            Text(r.name),
            r.scope,
            token_state(r),
            local_time(r.created_at),
            local_time(r.expires_at) or "never",
            local_time(r.last_used_at) or "never",
        )
    out.print(table)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@app.command()
def revoke(
    name: Annotated[str, typer.Argument(help="The token's name.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke a token: from now on the server answers it 401."""
    from duto.facade.tokens import revoke_token

    record = revoke_token(open_workspace(workspace), name)
    say(f"revoked token {record.name!r} (scope {record.scope})")
