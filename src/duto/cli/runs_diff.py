"""`duto runs diff A B`, like `dvc exp diff`: parameters, metrics, and per step what differs between two runs."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import compact
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say


def diff(
    run_a: Annotated[str, typer.Argument(metavar="A", help="The run to compare from: an id or a unique prefix.")],
    run_b: Annotated[str, typer.Argument(metavar="B", help="The run to compare to: an id or a unique prefix.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Compare two runs: parameters, metrics, and per step what differs (code, data, environment, arguments)."""
    from duto.facade.comparison import changes, last_metrics, metric_changes, step_changes

    ws = open_workspace(workspace)
    a, b = ws.get_run(run_a), ws.get_run(run_b)
    document = {
        "a": a.id,
        "b": b.id,
        "parameters": changes(a.parameters, b.parameters),
        "metrics": metric_changes(last_metrics(a), last_metrics(b)),
        "steps": step_changes(a, b),
    }
    if as_json:
        from duto.cli.documents import print_json

        print_json(document)
        return
    _print(document)


def _print(document: dict[str, Any]) -> None:
    say(f"comparing run {document['a']} (A) with run {document['b']} (B)")
    parameters = document["parameters"]
    if parameters:
        table = Table(title="parameters")
        for column in ("parameter", "A", "B", "change"):
            table.add_column(column)
        for name, change in parameters.items():
            table.add_row(Text(name), *(Text(_show(change[k])) for k in ("a", "b")), change["change"])
        out.print(table)
    else:
        say("parameters: the same")
    metrics = document["metrics"]
    if metrics:
        table = Table(title="metrics (last values)")
        for column in ("metric", "A", "B", "change"):
            table.add_column(column, justify="right" if column in ("A", "B", "change") else "left")
        for name, change in metrics.items():
            delta = change["delta"]
            table.add_row(
                Text(name),
                Text(_show(change["a"])),
                Text(_show(change["b"])),
                "" if delta is None else f"{delta:+.6g}",
            )
        out.print(table)
    else:
        say("metrics: neither run logged any")
    table = Table(title="steps")
    for column in ("step", "code", "data", "environment", "arguments"):
        table.add_column(column)
    details: list[str] = []
    for name, change in document["steps"].items():
        if change["change"] in ("added", "removed", "unknown"):
            table.add_row(Text(name), Text(change["change"], style="yellow"), "", "", "")
            continue
        cells = []
        for group in ("code", "data", "environment", "arguments"):
            reasons = change[group]
            cells.append(Text("differs", style="yellow") if reasons else Text("same", style="dim"))
            details.extend(f"{name}: {reason}" for reason in reasons)
        table.add_row(Text(name), *cells)
    out.print(table)
    for line in details:
        say(f"  {line}")
    if not parameters and not details and all(c["change"] == "same" for c in document["steps"].values()):
        say("the two runs did the same work", err)


def _show(value: Any) -> str:
    return "-" if value is None else compact(value)
