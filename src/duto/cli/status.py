"""`duto status FILE.py[:NAME]`: a dry run, like `dvc status`: which steps would run again and why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from duto.cli.options import WorkspaceOption, err, open_workspace, out, say
from duto.config import WORKSPACE_ENV

if TYPE_CHECKING:
    from duto.cli.loading import PipelineTarget
    from duto.execution.dry_run import StepPlan
    from duto.facade.submission import Pipeline

TargetArgument = Annotated[
    str,
    typer.Argument(
        metavar="FILE.py[:NAME]",
        help="A Python file defining a Pipeline; NAME picks a Pipeline or a function returning one.",
    ),
]


def load_target(target: str, workspace: Path | None) -> tuple[PipelineTarget, Pipeline]:
    """Load the pipeline of `FILE.py[:NAME]` as `duto run` does, in the workspace given (if one is)."""
    from duto.cli.loading import PipelineTarget, load_pipeline

    if workspace is not None:
        # The file opens its workspace itself with `Workspace.from_config()`, which reads this variable.
        os.environ[WORKSPACE_ENV] = str(open_workspace(workspace).root)
    parsed = PipelineTarget.parse(target)
    return parsed, load_pipeline(parsed)


def status(
    target: TargetArgument,
    experiment: Annotated[
        str | None,
        typer.Option(
            "--experiment",
            "-e",
            help="The experiment whose runs to compare with (default: the file's name, as `duto run`).",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="NAME=VALUE", help="Override a pipeline parameter; repeat for more."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: each step, what it would do and why.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Say which steps of a pipeline would run again and why, without running anything (a dry run)."""
    from duto.cli.app import parse_parameters
    from duto.facade.submission import plan_pipeline

    parameters = parse_parameters(param or [])
    parsed, pipeline = load_target(target, workspace)
    experiment_name = experiment or Path(parsed.path).stem
    plans = plan_pipeline(pipeline, experiment_name, parameters)
    if as_json:
        from duto.cli.documents import print_json

        print_json({"pipeline": target, "experiment": experiment_name, "steps": [_document(p) for p in plans]})
        return
    width = max(len(p.key) for p in plans)  # a step's key is its name, unless an earlier step has that name
    for plan in plans:
        out.print(Text(plan.key.ljust(width), style="bold") + Text("  ") + describe(plan), soft_wrap=True)
    would_run = sum(p.outcome != "reuse" for p in plans)
    if would_run:
        say(f"{would_run} of {len(plans)} steps would run; `duto run {target}` runs them", err)
    else:
        say(f"all {len(plans)} steps are up to date; `duto run {target}` would reuse every one", err)


def describe(plan: StepPlan) -> Text:
    """'up to date (would reuse run X)', 'would run: <why>' or 'would fail: <why>'."""
    from duto.caching.explain import summarize

    if plan.outcome == "reuse":
        assert plan.reused_from is not None
        origin = plan.reused_from
        return Text("up to date", style="green") + Text(f" (would reuse run {origin['run_id']}/{origin['step']})")
    label = "would run" if plan.outcome == "run" else "would fail"
    return Text(label, style="yellow" if plan.outcome == "run" else "red") + Text(f": {summarize(plan.reasons)}")


def _document(plan: StepPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "key": plan.key,
        "outcome": plan.outcome,
        "would_run": plan.outcome != "reuse",
        "reasons": plan.reasons,
        "reused_from": plan.reused_from,
        "fingerprint": plan.fingerprint,
    }
