"""`duto dag FILE.py[:NAME]` or `duto dag RUN`: a pipeline's graph in the terminal, or as DOT or Mermaid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from duto.cli import drawing
from duto.cli.options import WorkspaceOption, open_workspace, say
from duto.errors import ConfigError
from duto.graph.spec import PipelineSpec


def dag(
    target: Annotated[
        str,
        typer.Argument(
            metavar="FILE.py[:NAME]|RUN",
            help="A Python file defining a Pipeline (NAME picks one), or a run id or a unique prefix of one.",
        ),
    ],
    as_dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz DOT (for `dot -Tsvg`).")] = False,
    as_mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid flowchart (for Markdown).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Draw a pipeline's graph: the steps in layers, the data between them, and a run's step statuses."""
    if as_dot and as_mermaid:
        raise ConfigError("--dot and --mermaid each print the whole graph; give one of them")
    spec, statuses, title = _graph(target, workspace)
    if as_dot:
        say(drawing.dot(spec, statuses, title).rstrip("\n"))
    elif as_mermaid:
        say(drawing.mermaid(spec, statuses).rstrip("\n"))
    else:
        say(f"{title}: {len(spec.steps)} step(s)")
        for line in drawing.text(spec, statuses):
            say(line)


def _is_file(target: str) -> bool:
    from duto.cli.loading import PipelineTarget

    path = PipelineTarget.parse(target).path
    return path.endswith(".py") or Path(path).is_file()


def _graph(target: str, workspace: Path | None) -> tuple[PipelineSpec, dict[str, str], str]:
    """The spec to draw, each step's status (for a run) and a title."""
    if _is_file(target):
        from duto.cli.status import load_target
        from duto.facade.submission import freeze_pipeline

        _, pipeline = load_target(target, workspace)
        return freeze_pipeline(pipeline, None, snapshots="skip").spec, {}, f"pipeline {target}"
    ws = open_workspace(workspace)
    row = ws.runs_store.pipeline_run(target)
    spec = PipelineSpec.from_json(row.spec)
    statuses = {  # a step run's position is its step's place in the spec
        spec.steps[step.position].key: "Reused" if step.reused_from is not None else step.status
        for step in ws.runs_store.step_runs(row.id)
    }
    return spec, statuses, f"run {row.id}"
