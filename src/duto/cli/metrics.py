"""`duto metrics RUN`: the metrics logged by a pipeline run and its steps, as a table or JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import compact
from duto.cli.options import RunArgument, WorkspaceOption, err, open_workspace, out, say


def metrics(
    run_id: RunArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the metrics of a run and of each of its steps."""
    ws = open_workspace(workspace)
    run = ws.get_run(run_id)
    by_run = run.get_metrics(recursive=True)
    steps = run.steps_in_order()
    if as_json:
        document: dict[str, Any] = {
            "run_id": run.id,
            "metrics": by_run.get(run.id, {}),
            "steps": {s.name: {"run_id": s.id, "metrics": by_run.get(s.id, {})} for s in steps},
        }
        # Plain print: JSON goes out as it is, without Rich's wrapping or highlighting.
        print(json.dumps(document, indent=2, default=str))
        return
    title = f"metrics of run {run.id}"
    table = Table(title=title, min_width=len(title))
    table.add_column("run / step")
    table.add_column("metric")
    table.add_column("value", overflow="fold")
    for label, metric_values in [("(pipeline)", by_run.get(run.id, {}))] + [
        (s.name, by_run.get(s.id, {})) for s in steps
    ]:
        for name, value in metric_values.items():
            table.add_row(Text(label), Text(name), Text(compact(value)))
    if not table.rows:
        say(f"run {run.id} has logged no metrics", err)
        return
    out.print(table)
