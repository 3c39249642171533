"""`duto why RUN [STEP]`: for each step, reused from where, or why it ran."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from duto.cli.formatting import status_text
from duto.cli.options import RunArgument, WorkspaceOption, open_workspace, out


def why(
    run_id: RunArgument,
    step: Annotated[
        str | None,
        typer.Argument(
            help="Only this step: its step-run id, or its name when no other step has it.", show_default=False
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Say for each step of a run whether it was reused (and from where) or why it ran."""
    from duto.facade.watching import step_labels

    run = open_workspace(workspace).get_run(run_id)
    steps = run.steps_in_order() if step is None else [run.step_run(step)]
    labels = step_labels((s.id, s.name) for s in run.steps_in_order())
    for step_run in steps:
        info = step_run.get_reuse_info()
        line = Text(labels[step_run.id], style="bold") + Text("  ")
        if info["is_reused"]:
            origin = info["reused_from"]
            where = f"{origin['run_id']}/{origin['step']}" if origin["run_id"] else "a run since deleted"
            gone = " (that run was deleted; the outputs reused stay)" if origin.get("deleted") else ""
            out.print(line + status_text("Reused") + Text(f"  from {where}{gone}"))
            continue
        out.print(line + status_text(step_run.get_status()))
        reasons = info["reasons"] or ["no reuse decision was recorded (the step did not get that far)"]
        for reason in reasons:
            out.print(Text(f"    - {reason}"), highlight=False)
