"""A ParallelRunStep's plan and result, on the runner's side: which files to score, and what the scoring made.

Every mini-batch's result is kept by content under `.duto/parallel_runs/<scoring key>/<batch id>.json`, where the
scoring key is the step's fingerprint without its scored input and its ParallelRunConfig options (what scores an
item: code, entry script, arguments, side inputs, environment), and the batch id is the digest of the batch's
items (path and content digest each). A mini-batch that returned one row per item gives each item its row; the
plan then scores only the items that have none (new or changed files), in new mini-batches, and reuses the rest.
A mini-batch whose rows cannot be told apart by item (more rows than items) is reused whole while all of its items
are unchanged; one that failed, or returned fewer rows than items, is scored again. A tabular input's mini-batches
(parts of files) and partitions are fixed by content instead (execution/parallel_batches.py): each is reused whole
by its id.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duto.caching.components import file_key
from duto.execution.attempts import note_in_log
from duto.execution.materialize import InputError, fixed_prefix
from duto.execution.parallel_batches import content_batches, kept_batches
from duto.graph.spec import StepSpec, dataset_paths
from duto.storage.cas import ContentStore, canonical
from duto.storage.hashing import hash_bytes
from duto.storage.layout import StepLayout

PARALLEL_RUN = "parallel_run"
PLAN_FILE = "parallel_run.json"
REUSED_FILE = "parallel_run_reused.json"
THRESHOLD_EXIT = 2  # a node stopped because its failures passed error_threshold (tracking/parallel_driver.py)
Item = tuple[str, str]  # (path relative to the scored input, content digest)


@dataclass(frozen=True)
class ParallelPlan:
    """What this attempt scores (`batches`), and how many items it reuses."""

    batches: list[dict[str, Any]]
    reused_items: int
    total_items: int


def scoring_key(components: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """What an item's row depends on besides the item itself."""
    inputs = {k: v for k, v in components["inputs"].items() if k != options["input"]}
    kept = {k: v for k, v in components.items() if k not in ("inputs", "command", "outputs")}
    return hash_bytes(
        canonical({**kept, "inputs": inputs, "entry_script": options["entry_script"], **_grouping(components, options)})
    )


def _grouping(components: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """What makes a mini-batch besides its items, where it is more than a count of files: a tabular input's recipe
    (how rows are read), the partition keys and format. A tabular part's row range is in its id already, so
    `mini_batch_size` need not be here. Empty for a file input counted in files, whose keys stay as they were."""
    grouping: dict[str, Any] = {}
    recipe = components["inputs"].get(options["input"], {}).get("tabular")
    if recipe is not None:
        grouping["tabular"] = {k: v for k, v in recipe.items() if k != "direct"}
    if options.get("partition_keys"):
        grouping["partition_keys"] = list(options["partition_keys"])
        grouping["partition_format"] = options["partition_format"]
    return grouping


def scored_items(
    spec: StepSpec, components: Mapping[str, Any], cas: ContentStore, parameters: Mapping[str, Any], default: str
) -> list[Item]:
    """The scored input's files, by their path under the folder the step is given, in path order."""
    options = spec.parallel_run or {}
    port = spec.input(options["input"])
    part = components["inputs"][port.name]
    if port.source["kind"] == "step_output":
        return sorted(cas.files_of(part["digest"]).items())
    items: list[Item] = []
    for entry in dataset_paths(port.source, parameters):
        if "url" in entry:
            raise InputError(
                f"ParallelRunStep {spec.name!r}: input {port.name!r} names a URL; it scores the files of a folder on a "
                "datastore, a local folder, or a folder another step writes"
            )
        if "local" in entry:
            prefix = "/" + fixed_prefix(entry["local"])
        else:
            prefix = file_key(entry["datastore"], fixed_prefix(entry["path"]), default)
        for key, digest in part["files"].items():
            if key.startswith(f"{prefix}/"):
                items.append((key[len(prefix) + 1 :], digest))
            elif key == prefix:  # the dataset is one file: the step is given that file
                items.append((os.path.basename(key), digest))
    return sorted(set(items))


def _batch_id(items: list[Item]) -> str:
    return hash_bytes(canonical([list(i) for i in items]))


def _known(store: Path) -> tuple[dict[Item, str], dict[str, dict[str, Any]]]:
    """From the results kept: each item's row (where one row came back per item), and the batches whose rows
    cannot be told apart by item, by id."""
    rows: dict[Item, str] = {}
    whole: dict[str, dict[str, Any]] = {}
    if not store.is_dir():
        return rows, whole
    for entry in os.scandir(store):
        if not entry.name.endswith(".json"):
            continue
        try:
            result = json.loads(Path(entry.path).read_text())
        except (OSError, ValueError):
            continue  # a result being written by a node right now, or torn: scored again
        got, keys = result.get("rows"), result.get("keys") or []
        if result.get("error") is not None or got is None or len(got) < len(keys):
            continue
        if len(got) == len(keys):
            rows.update(((k[0], k[1]), row) for k, row in zip(keys, got, strict=True))
        else:
            whole[result["id"]] = result
    return rows, whole


def plan(
    spec: StepSpec,
    items: list[Item],
    input_path: str,
    store: Path,
    layout: StepLayout,
    output_dir: str | None,
    reuse: bool = True,
) -> ParallelPlan:
    """Write the plan the nodes read (`PLAN_FILE`) and the rows reused (`REUSED_FILE`) in the step's folder;
    without `reuse` (allow_reuse=False, regenerate_outputs) every item is scored."""
    options = spec.parallel_run or {}
    folder = input_path if not os.path.isfile(input_path) else os.path.dirname(input_path)
    recipe = spec.input(options["input"]).source.get("tabular")
    grouped = content_batches(options, recipe, items, folder, store)
    if grouped is not None:
        todo_batches, kept = kept_batches(store, grouped) if reuse else (grouped, [])
        total = sum(b["records"] for b in grouped)
        written = _write_plan(options, recipe, todo_batches, kept, store, layout, output_dir)
        return ParallelPlan(written, total - sum(b["records"] for b in todo_batches), total)
    rows, whole = _known(store) if reuse else ({}, {})
    reused: list[tuple[str, list[str]]] = []
    covered: set[Item] = set()
    present = set(items)
    for result in whole.values():
        keys = [(k[0], k[1]) for k in result["keys"]]
        if keys and all(k in present for k in keys) and not covered.intersection(keys):
            covered.update(keys)
            reused.append((keys[0][0], list(result["rows"])))
    todo: list[Item] = []
    for item in items:
        if item in covered:
            continue
        row = rows.get(item)
        if row is None:
            todo.append(item)
        else:
            reused.append((item[0], [row]))
    size = int(options["mini_batch_size"])
    batches = []
    for start in range(0, len(todo), size):
        chunk = todo[start : start + size]
        paths = [os.path.join(folder, rel) for rel, _ in chunk]
        batches.append({"id": _batch_id(chunk), "keys": [list(i) for i in chunk], "paths": paths})
    _write_plan(options, None, batches, reused, store, layout, output_dir)
    return ParallelPlan(batches, len(items) - len(todo), len(items))


def plan_attempt(
    spec: StepSpec,
    components: Mapping[str, Any],
    input_path: str,
    output_dir: str | None,
    layout: StepLayout,
    cas: ContentStore,
    context: tuple[Mapping[str, Any], str, Path],
    reuse: bool,
) -> bool:
    """Plan an attempt of a ParallelRunStep and say so in its log; False when every item's row is known from
    earlier mini-batches. `context` is the run's parameters, its default datastore and the workspace's `.duto`
    folder, where the rows of mini-batches are kept."""
    parameters, default_datastore, duto_dir = context
    options = spec.parallel_run or {}
    items = scored_items(spec, components, cas, parameters, default_datastore)
    store = duto_dir / "parallel_runs" / scoring_key(components, options)
    planned = plan(spec, items, input_path, store, layout, output_dir, reuse=reuse)
    note_in_log(
        layout.std_log,
        f"parallel run: {planned.total_items} items; {planned.reused_items} reused from earlier mini-batches, "
        f"{planned.total_items - planned.reused_items} to score in {len(planned.batches)} mini-batches",
    )
    return bool(planned.batches)


def _write_plan(
    options: Mapping[str, Any],
    recipe: Mapping[str, Any] | None,
    batches: list[dict[str, Any]],
    reused: list[tuple[str, list[str]]],
    store: Path,
    layout: StepLayout,
    output_dir: str | None,
) -> list[dict[str, Any]]:
    """Write the plan the nodes read (with the tabular recipe they read rows by) and the rows reused."""
    document = {
        **options,
        "batches": batches,
        "results": str(store),
        "logs": str(logs_dir(layout)),
        "output_dir": output_dir,
    }
    if recipe is not None:
        document["tabular"] = dict(recipe)
    layout.root.mkdir(parents=True, exist_ok=True)
    (layout.root / PLAN_FILE).write_text(json.dumps(document))
    (layout.root / REUSED_FILE).write_text(json.dumps(reused))
    return batches


def logs_dir(layout: StepLayout) -> Path:
    """The step's v1 logs (`logs/user`, `logs/sys`, `logs/job_result.txt`), among its run files."""
    return layout.files / "logs"


def assemble(spec: StepSpec, layout: StepLayout, output_dir: str | None) -> str | None:
    """Gather the results of the plan into the append file and `logs/job_result.txt`; return why the step fails
    (a threshold passed), or None."""
    options = spec.parallel_run or {}
    document = json.loads((layout.root / PLAN_FILE).read_text())
    reused = [(first, rows) for first, rows in json.loads((layout.root / REUSED_FILE).read_text())]
    store = Path(document["results"])
    pieces: list[tuple[str, list[str]]] = list(reused)
    failures: list[tuple[str, str]] = []
    failed_items = failed_batches = unscored = 0
    for batch in document["batches"]:
        keys, records = batch["keys"], records_of(batch)
        try:
            result = json.loads((store / f"{batch['id']}.json").read_text())
        except (OSError, ValueError):  # not scored (a node stopped at a threshold), or torn by a power cut
            unscored += records
            continue
        got = result.get("rows")
        if result.get("error") is not None or got is None:
            failed_batches += 1
            failed_items += records
            failures.extend((k[0], result.get("error") or "no rows") for k in keys)
            continue
        if len(got) < records:
            short = records - len(got)
            failed_items += short
            items = ", ".join(k[0] for k in keys)
            what = "rows" if "parts" in batch else "items"
            failures.append((f"{short} of [{items}]", f"run() returned {len(got)} rows for {records} {what}"))
        if "order" in batch:  # a mini-batch fixed by content: its rows stay together, in its place
            pieces.append((batch["order"], list(got)))
        elif len(got) == len(keys):
            pieces.extend((k[0], [row]) for k, row in zip(keys, got, strict=True))
        else:
            pieces.append((keys[0][0], list(got)))
    pieces.sort(key=lambda piece: piece[0])
    rows = [row for _, group in pieces for row in group]
    if options["output_action"] == "append_row" and output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(output_dir) / options["append_row_file_name"], "w") as handle:
            handle.writelines(f"{row}\n" for row in rows)
    total_batches = len(document["batches"])
    why = _threshold_passed(options, failed_items + unscored, failed_batches, total_batches)
    logs = logs_dir(layout)
    (logs / "sys").mkdir(parents=True, exist_ok=True)
    with open(logs / "sys" / "failed_items.txt", "w") as handle:
        handle.writelines(f"{item}\t{_last_line(error)}\n" for item, error in failures)
    scored = sum(records_of(b) for b in document["batches"])
    summary = [
        f"finished at {time.strftime('%Y-%m-%d %H:%M:%S')}",
        f"items: {len(rows) + failed_items + unscored if options['output_action'] == 'append_row' else scored}",
        f"scored in this run: {scored} items in {total_batches} mini-batches",
        f"reused from earlier runs: {sum(len(r) for _, r in reused)} rows",
        f"rows: {len(rows)}",
        f"failed items: {failed_items}; failed mini-batches: {failed_batches}; not scored: {unscored}",
        f"result: {'Failed: ' + why if why else 'Finished'}",
    ]
    (logs / "job_result.txt").write_text("\n".join(summary) + "\n")
    return why


def records_of(batch: Mapping[str, Any]) -> int:
    """What error_threshold counts in a mini-batch: its files, or its rows for a tabular input."""
    return int(batch.get("records", len(batch["keys"])))


def _threshold_passed(options: Mapping[str, Any], failed_items: int, failed_batches: int, batches: int) -> str | None:
    threshold = int(options["error_threshold"])
    if threshold != -1 and failed_items > threshold:
        return (
            f"{failed_items} items failed, more than error_threshold ({threshold}) allows; "
            "see logs/sys/failed_items.txt"
        )
    count = options.get("allowed_failed_count")
    if count is not None and failed_batches > int(count):
        return f"{failed_batches} mini-batches failed, more than allowed_failed_count ({count}) allows"
    percent = options.get("allowed_failed_percent")
    if percent is not None and batches and 100.0 * failed_batches / batches > float(percent):
        return (
            f"{failed_batches} of {batches} mini-batches failed, more than allowed_failed_percent ({percent:g}%) allows"
        )
    return None


def _last_line(error: str) -> str:
    """The line of a traceback that says what went wrong."""
    lines = error.strip().splitlines()
    return lines[-1] if lines else error
