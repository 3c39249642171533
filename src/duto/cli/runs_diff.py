"""`duto runs diff A B`, like `dvc exp diff`: parameters, metrics, and per step what differs between two runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from duto.cli.formatting import compact
from duto.cli.options import WorkspaceOption, err, open_workspace, out, say

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun

_MISSING = object()


def diff(
    run_a: Annotated[str, typer.Argument(metavar="A", help="The run to compare from: an id or a unique prefix.")],
    run_b: Annotated[str, typer.Argument(metavar="B", help="The run to compare to: an id or a unique prefix.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Compare two runs: parameters, metrics, and per step what differs (code, data, environment, arguments)."""
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


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{name: {"a", "b", "change"}} for each name whose value differs: changed, added (in B) or removed."""
    found = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, _MISSING), after.get(name, _MISSING)
        if old == new:
            continue
        change = "added" if old is _MISSING else "removed" if new is _MISSING else "changed"
        found[name] = {
            "a": None if old is _MISSING else old,
            "b": None if new is _MISSING else new,
            "change": change,
        }
    return found


def last_metrics(run: PipelineRun) -> dict[str, Any]:
    """The last value of each metric of a run: the pipeline's by name, each step's as `step/name`."""
    by_run = run.get_metrics(recursive=True)
    named = {name: value for name, value in by_run.get(run.id, {}).items()}
    for step in run.steps_in_order():
        named.update({f"{step.key}/{name}": value for name, value in by_run.get(step.id, {}).items()})
    return {name: value[-1] if isinstance(value, list) and value else value for name, value in named.items()}


def metric_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every metric of either run with its values, and B - A where both are numbers."""
    found = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        found[name] = {"a": old, "b": new, "delta": new - old if numbers else None}  # type: ignore[operator]
    return found


def step_changes(a: PipelineRun, b: PipelineRun) -> dict[str, dict[str, Any]]:
    """Per step key (its name, unless two steps share it): "same", "differs" (with what differs by group),
    "added", "removed" or "unknown"."""
    from duto.caching.compare import GROUPS, differences

    cas = a.workspace.content_store

    def read_blob(digest: str) -> bytes | None:
        try:
            return cas.blob_path(digest).read_bytes()
        except FileNotFoundError:
            return None

    before = {s.key: s._row for s in a.steps_in_order()}
    after = {s.key: s._row for s in b.steps_in_order()}
    found: dict[str, dict[str, Any]] = {}
    for name in [*before, *(n for n in after if n not in before)]:
        old, new = before.get(name), after.get(name)
        if old is None or new is None:
            found[name] = {"change": "added" if old is None else "removed"}
        elif old.components is None or new.components is None:
            found[name] = {"change": "unknown", "why": "a run of it recorded no fingerprint (it did not get that far)"}
        else:
            groups = differences(old.components, new.components, read_blob)
            changed = old.fingerprint != new.fingerprint or any(groups.values())
            found[name] = {"change": "differs" if changed else "same", **{g: groups[g] for g in GROUPS}}
    return found


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
