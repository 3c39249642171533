"""Comparing runs: their parameters, the last values of their metrics, and per step what differs (code, data,
environment, arguments) from its fingerprint components. `duto runs diff` and `GET /api/compare` both read it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from duto.caching.compare import GROUPS, differences
from duto.facade import documents
from duto.tracking.metrics import aggregate

# Metrics whose rows build one table together (`aggregate`), not a series of values.
TABLE_KINDS = ("row", "table")

if TYPE_CHECKING:
    from duto.facade.runs import PipelineRun
    from duto.facade.workspace import Workspace

_MISSING = object()


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


def last_metrics(run: PipelineRun, image_address: Callable[[str, str], str] | None = None) -> dict[str, Any]:
    """The last value of each metric of a run: the pipeline's by name, each step's as `step/name` (a reused
    step's are its original's).

    Read as the last row of each metric (one query, `MetricStore.last_metrics`), with what `get_metrics` would give
    for it: a value logged once as it is (a list: its last item), a value logged again its last, a row or
    table metric (rare and small) its whole table, from one more query each. With `image_address`, an image a
    step logged is `image_address(step_run_id, name)` rather than the place of its file on this machine.
    """
    return {name: value for name, (value, _) in _last_metrics(run, image_address).items()}


def _last_metrics(run: PipelineRun, image_address: Callable[[str, str], str] | None) -> dict[str, tuple[Any, str]]:
    """`last_metrics`, each value with the kind of its metric (scalar, list, row, table, image)."""
    store = run.workspace.metric_store
    steps = run.steps_in_order()
    source = {step.id: step._row.reused_from or step.id for step in steps}
    by_run: dict[str, dict[str, tuple[Any, str]]] = {}
    for row, rows in store.last_metrics([run.id, *source.values()]):
        if row.kind in TABLE_KINDS:
            value = aggregate(store.metric_rows(row.run_id, row.name))[row.name]
        elif rows == 1 and isinstance(row.value, list) and row.value:
            value = row.value[-1]
        else:
            value = row.value
        by_run.setdefault(row.run_id, {})[row.name] = (value, str(row.kind))
    named = dict(by_run.get(run.id, {}))
    for step in steps:
        for name, (value, kind) in by_run.get(source[step.id], {}).items():
            shown = image_address(step.id, name) if kind == "image" and image_address is not None else value
            named[f"{step.key}/{name}"] = (shown, kind)
    return named


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


def compare(
    workspace: Workspace, run_ids: Sequence[str], image_address: Callable[[str, str, str], str] | None = None
) -> dict[str, Any]:
    """Two or more runs side by side, each against the first (the baseline).

    With `image_address`, an image a step logged is `image_address(run_id, step_run_id, name)`, and its metric's
    row says `image`.

    Returns:
        `runs` (as `duto runs list --json` gives them), `parameters` and `metrics` (each name with its value in
        every run, None where a run has none, and `differs`), `steps` (each step key of any run, with per run
        its change from the baseline as `step_changes` gives it, "baseline" for the baseline's own, and the
        groups that differ in any run) and `edges`, the baseline's graph as source and target step keys.
    """
    runs = [workspace.get_run(run_id) for run_id in run_ids]
    baseline = runs[0]
    against = [step_changes(baseline, run) for run in runs[1:]]
    ordered = {run.id: run.steps_in_order() for run in runs}
    keys = [s.key for s in ordered[baseline.id]]
    for found in against:
        keys.extend(key for key in found if key not in keys)
    names = {s.key: s.name for run in reversed(runs) for s in ordered[run.id]}
    steps = []
    for key in keys:
        in_baseline = any(s.key == key for s in ordered[baseline.id])
        per_run: list[dict[str, Any]] = [{"change": "baseline" if in_baseline else "absent"}]
        per_run.extend(found.get(key, {"change": "absent"}) for found in against)
        steps.append(
            {
                "key": key,
                "name": names.get(key, key),
                "differs": any(c["change"] not in ("baseline", "same") for c in per_run),
                "groups": sorted({g for change in per_run for g in GROUPS if change.get(g)}),
                "runs": per_run,
            }
        )
    spec = workspace.runs_store.pipeline_run(baseline.id).spec
    edges = sorted({(e["source"], e["target"]) for e in spec.get("edges", [])})
    return {
        "runs": documents.runs_by_id(workspace, [run.id for run in runs]),
        "parameters": _side_by_side([run.parameters for run in runs]),
        "metrics": _metric_rows(runs, image_address),
        "steps": steps,
        "edges": [{"source": source, "target": target} for source, target in edges],
    }


def _metric_rows(
    runs: Sequence[PipelineRun], image_address: Callable[[str, str, str], str] | None
) -> list[dict[str, Any]]:
    found = [_last_metrics(run, _address_in(run.id, image_address)) for run in runs]
    images = {name for named in found for name, (_, kind) in named.items() if kind == "image"}
    rows = _side_by_side([{name: value for name, (value, _) in named.items()} for named in found])
    return [{**row, "image": row["name"] in images} for row in rows]


def _address_in(run_id: str, image_address: Callable[[str, str, str], str] | None) -> Callable[[str, str], str] | None:
    """`image_address` for the steps of run `run_id`."""
    if image_address is None:
        return None
    return lambda step_run_id, name: image_address(run_id, step_run_id, name)


def _side_by_side(values: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each name of any mapping with its value in each (None where missing) and whether they differ."""
    names = sorted({name for mapping in values for name in mapping})
    rows = []
    for name in names:
        column = [mapping.get(name, _MISSING) for mapping in values]
        differs = any(value != column[0] for value in column[1:])
        rows.append({"name": name, "values": [None if v is _MISSING else v for v in column], "differs": differs})
    return rows
