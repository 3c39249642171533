"""`duto logs RUN [STEP]`: the steps' logs as written so far, or followed live until the run ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.rule import Rule
from rich.text import Text

from duto.cli.formatting import status_text
from duto.cli.options import RunArgument, WorkspaceOption, err, open_workspace, out, say
from duto.errors import ConfigError

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun
    from duto.facade.step_runs import StepRun


def logs(
    run_id: RunArgument,
    step: Annotated[
        str | None,
        typer.Argument(
            help="Only this step's log: its step-run id, or its name when no other step has it.", show_default=False
        ),
    ] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream new lines until the run ends.")] = False,
    attempt: Annotated[
        int | None,
        typer.Option("--attempt", min=1, help="An earlier attempt's log (of the one step named).", show_default=False),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Print the log of each step of a run (or of one step); steps that ran again say so."""
    ws = open_workspace(workspace)
    run = ws.get_run(run_id)
    steps = _steps(run, step)
    if attempt is not None:
        if step is None:
            raise ConfigError("--attempt needs the step whose attempt to show: `duto logs RUN STEP --attempt N`")
        text = steps[0].get_stdout_log(attempt)
        out.out(text if text.endswith("\n") or not text else text + "\n", highlight=False, end="")
        return
    if follow:
        from duto.facade.watching import follow_run

        only = steps[0].id if step is not None else None
        status = follow_run(run, show_output=True, only_step=only, show_table=False, console=out)
        say(f"run {run.id} ended {status}", err)
        return
    from duto.facade.watching import step_labels

    every = steps if step is None else run.steps_in_order()
    names = [s.name for s in every]
    labels = step_labels((s.id, s.name) for s in every)
    for step_run in steps:
        # The hint below names the step as `duto logs` takes it: by its name unless another step has it too.
        address = step_run.name if names.count(step_run.name) == 1 else step_run.id
        title = Text.assemble((labels[step_run.id], "bold"), " (", status_text(step_run.get_status()), ")")
        out.print(Rule(title, align="left"))
        for kept in step_run.attempts:
            say(
                f"(attempt {kept['attempt']} {kept['outcome']}: {kept['reason']}; its log: "
                f"`duto logs {run.id} {address} --attempt {kept['attempt']}`)",
                err,
            )
        text = step_run.get_stdout_log()
        # Raw text: a log is not Rich markup, and it keeps its own line breaks.
        out.out(text if text.endswith("\n") or not text else text + "\n", highlight=False, end="")
        if not text:
            out.print("(no output yet)", style="dim")


def _steps(run: PipelineRun, name: str | None) -> list[StepRun]:
    """Every step of the run in the order they can run, or the one `name` addresses (a step-run id, or a name
    only one step has)."""
    return run.steps_in_order() if name is None else [run.step_run(name)]
