"""A ParallelRunStep's mini-batches when they are not a count of files: a tabular dataset's files cut into parts of
about `mini_batch_size` bytes of rows, or the groups of files sharing the values of `partition_keys`.

Such a mini-batch is fixed by content: its id is the digest of its files' paths, content digests and, for a part
of a file, its row range. So a re-run finds a mini-batch's kept result by its id, scores only the mini-batches of
changed files, and a killed run goes on from the ones it finished. Known debt: delimited and JSON lines files are
cut at line ends, so a quoted value holding a line break must not sit on a cut (v1 reads such files whole).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from duto.graph.partitions import PartitionFormat, PartitionValue
from duto.storage.cas import canonical
from duto.storage.hashing import hash_bytes

Item = tuple[str, str]  # (path relative to the scored input, content digest), as execution/parallel_run.py has it


def content_batches(
    options: Mapping[str, Any], recipe: Mapping[str, Any] | None, items: Sequence[Item], folder: str
) -> list[dict[str, Any]] | None:
    """The mini-batches of a tabular input or of partition keys, in output order; None for a file input counted
    in files (execution/parallel_run.py plans those item by item).

    Each is {"id", "keys": [[name, digest]...], "records": rows (tabular) or files, "paths": files, "order", and
    for a tabular input "parts": what `tabular_reading.read_parts` reads}.

    Raises:
        ConfigError: a file does not match the partition format.
    """
    keys = options.get("partition_keys")
    if keys:
        return _partitions(PartitionFormat.parse(options["partition_format"]), keys, recipe, items, folder)
    if recipe is not None:
        return _tabular_parts(recipe, int(options["mini_batch_size"]), items, folder)
    return None


def _partitions(
    fmt: PartitionFormat, keys: Sequence[str], recipe: Mapping[str, Any] | None, items: Sequence[Item], folder: str
) -> list[dict[str, Any]]:
    groups: dict[tuple[PartitionValue, ...], list[Item]] = {}
    for item in items:
        values = fmt.values_of(item[0])
        groups.setdefault(tuple(values[k] for k in keys), []).append(item)
    batches = []
    for position, (_, members) in enumerate(sorted(groups.items(), key=lambda group: group[0])):
        paths = [os.path.join(folder, rel) for rel, _ in members]
        batch: dict[str, Any] = {"keys": [list(i) for i in members], "records": len(members), "paths": paths}
        if recipe is not None:
            batch["parts"] = [
                {"path": p, "shown": rel, "bytes": None, "rows": None}
                for p, (rel, _) in zip(paths, members, strict=True)
            ]
            batch["records"] = sum(_row_count(recipe, p) for p in paths)
        batches.append(_finished(batch, position))
    return batches


def _tabular_parts(recipe: Mapping[str, Any], size: int, items: Sequence[Item], folder: str) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    for rel, digest in items:
        path = os.path.join(folder, rel)
        for (start, stop), span in _cuts(recipe, path, size):
            part = {"path": path, "shown": rel, "bytes": span, "rows": [start, stop] if span is None else None}
            batch = {"keys": [[f"{rel} rows {start}-{stop}", digest]], "records": stop - start, "paths": [path]}
            batches.append(_finished({**batch, "parts": [part]}, len(batches)))
    return batches


def _finished(batch: dict[str, Any], position: int) -> dict[str, Any]:
    """The batch with its id (the digest of its keys) and its place in the output."""
    return {"id": hash_bytes(canonical(batch["keys"])), **batch, "order": f"{position:09d}"}


def _cuts(recipe: Mapping[str, Any], path: str, size: int) -> list[tuple[tuple[int, int], list[int] | None]]:
    """((first row, row past the last), [first byte, byte past the last] or None for parquet) of each part."""
    if recipe["format"] == "parquet":
        rows = _parquet_rows(path)
        per = max(1, size * rows // max(1, os.path.getsize(path)))
        return [((start, min(start + per, rows)), None) for start in range(0, rows, per)]
    cuts: list[tuple[tuple[int, int], list[int] | None]] = []
    with open(path, "rb") as handle:
        if _has_header(recipe):
            handle.readline()
        begin = at = handle.tell()
        start = count = 0
        for line in handle:
            at += len(line)
            count += 1 if line.strip() else 0
            if at - begin >= size:
                if count > start:
                    cuts.append(((start, count), [begin, at]))
                begin, start = at, count
        if count > start:
            cuts.append(((start, count), [begin, at]))
    return cuts


def _row_count(recipe: Mapping[str, Any], path: str) -> int:
    if recipe["format"] == "parquet":
        return _parquet_rows(path)
    with open(path, "rb") as handle:
        if _has_header(recipe):
            handle.readline()
        return sum(1 for line in handle if line.strip())


def _has_header(recipe: Mapping[str, Any]) -> bool:
    return recipe["format"] == "delimited" and bool(recipe["options"].get("header", True))


def _parquet_rows(path: str) -> int:
    from duto.graph.tabular_reading import _require_pyarrow

    _require_pyarrow("a ParallelRunStep over parquet files")
    import pyarrow.parquet

    return int(pyarrow.parquet.ParquetFile(path).metadata.num_rows)


def kept_batches(
    store: Path, batches: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[str, list[str]]]]:
    """The batches still to score, and (order, rows) of those whose kept result has a row per record."""
    todo, reused = [], []
    for batch in batches:
        try:
            result = json.loads((store / f"{batch['id']}.json").read_text())
        except (OSError, ValueError):  # never scored, or torn: scored again
            todo.append(batch)
            continue
        rows = result.get("rows")
        if result.get("error") is None and rows is not None and len(rows) >= batch["records"]:
            reused.append((batch["order"], list(rows)))
        else:
            todo.append(batch)
    return todo, reused
