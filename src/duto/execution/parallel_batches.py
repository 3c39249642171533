"""A ParallelRunStep's mini-batches when they are not a count of files: a tabular dataset's files cut into parts of
about `mini_batch_size` bytes of rows, or the groups of files sharing the values of `partition_keys`.

Such a mini-batch is fixed by content: its id is the digest of its files' paths, content digests and, for a part
of a file, its row range. So a re-run finds a mini-batch's kept result by its id, scores only the mini-batches of
changed files, and a killed run goes on from the ones it finished. Known debt: delimited and JSON lines files are
cut at line ends, so a quoted value holding a line break must not sit on a cut (give such a file a
`mini_batch_size` larger than itself, or partitions).
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
CUTS_FOLDER = "cuts"  # under a scoring key's results: where each file's rows are cut, by its content digest
Cut = tuple[tuple[int, int], list[int] | None]  # ((first row, row past the last), [first byte, byte past] | None)


def content_batches(
    options: Mapping[str, Any],
    recipe: Mapping[str, Any] | None,
    items: Sequence[Item],
    folder: str,
    store: Path | None = None,
) -> list[dict[str, Any]] | None:
    """The mini-batches of a tabular input or of partition keys, in output order; None for a file input counted
    in files (execution/parallel_run.py plans those item by item).

    Each is {"id", "keys": [[name, digest]...], "records": rows (tabular) or files, "paths": files, "order", and
    for a tabular input "parts": what `tabular_reading.read_parts` reads}. Where a file's rows are cut is kept by
    its content digest under `store`/cuts, so a re-run reads only new and changed files to plan.

    Raises:
        ConfigError: a file does not match the partition format.
    """
    rows = None if recipe is None else _Rows(recipe, None if store is None else store / CUTS_FOLDER)
    keys = options.get("partition_keys")
    if keys:
        return _partitions(PartitionFormat.parse(options["partition_format"]), keys, rows, items, folder)
    if rows is not None:
        return _tabular_parts(rows, int(options["mini_batch_size"]), items, folder)
    return None


class _Rows:
    """Where a tabular file's rows are, by the recipe's format, kept by the file's digest in `cache`."""

    def __init__(self, recipe: Mapping[str, Any], cache: Path | None) -> None:
        self.recipe, self.cache = recipe, cache

    def cuts(self, path: str, digest: str, size: int) -> list[Cut]:
        """The parts of about `size` bytes of rows (of rows, for parquet) a file is cut into."""
        kept = self._kept(f"{digest}-{size}")
        if kept is not None:
            return [((a, b), span) for (a, b), span in kept]
        cuts = self._parquet_cuts(path, size) if self.recipe["format"] == "parquet" else self._line_cuts(path, size)
        self._keep(f"{digest}-{size}", cuts)
        return cuts

    def count(self, path: str, digest: str) -> int:
        """How many rows a file holds."""
        return sum(stop - start for (start, stop), _ in self.cuts(path, digest, 1 << 62))

    def _parquet_cuts(self, path: str, size: int) -> list[Cut]:
        from duto.graph.tabular_reading import _require_pyarrow

        _require_pyarrow("a ParallelRunStep over parquet files")
        import pyarrow.parquet

        rows = int(pyarrow.parquet.ParquetFile(path).metadata.num_rows)
        per = max(1, min(rows, size * rows // max(1, os.path.getsize(path))))
        return [((start, min(start + per, rows)), None) for start in range(0, rows, per)]

    def _line_cuts(self, path: str, size: int) -> list[Cut]:
        cuts: list[Cut] = []
        with open(path, "rb") as handle:
            if self.recipe["format"] == "delimited" and self.recipe["options"].get("header", True):
                handle.readline()
            begin = at = handle.tell()
            start = count = 0
            for line in handle:
                at += len(line)
                count += 1 if line.strip() else 0  # pandas skips blank lines
                if at - begin >= size:
                    if count > start:
                        cuts.append(((start, count), [begin, at]))
                    begin, start = at, count
            if count > start:
                cuts.append(((start, count), [begin, at]))
        return cuts

    def _kept(self, name: str) -> list[Any] | None:
        if self.cache is None:
            return None
        try:
            kept: list[Any] = json.loads((self.cache / f"{name}.json").read_text())
        except (OSError, ValueError):
            return None
        return kept

    def _keep(self, name: str, cuts: list[Cut]) -> None:
        if self.cache is None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        temporary = self.cache / f"{name}.json.tmp-{os.getpid()}"
        temporary.write_text(json.dumps(cuts))
        os.replace(temporary, self.cache / f"{name}.json")


def _partitions(
    fmt: PartitionFormat, keys: Sequence[str], rows: _Rows | None, items: Sequence[Item], folder: str
) -> list[dict[str, Any]]:
    groups: dict[tuple[PartitionValue, ...], list[Item]] = {}
    for item in items:
        values = fmt.values_of(item[0])
        groups.setdefault(tuple(values[k] for k in keys), []).append(item)
    batches = []
    for position, (_, members) in enumerate(sorted(groups.items(), key=lambda group: group[0])):
        paths = [os.path.join(folder, rel) for rel, _ in members]
        batch: dict[str, Any] = {"keys": [list(i) for i in members], "records": len(members), "paths": paths}
        if rows is not None:
            batch["parts"] = [
                {"path": p, "shown": rel, "bytes": None, "rows": None}
                for p, (rel, _) in zip(paths, members, strict=True)
            ]
            batch["records"] = sum(rows.count(p, digest) for p, (_, digest) in zip(paths, members, strict=True))
        batches.append(_finished(batch, position))
    return batches


def _tabular_parts(rows: _Rows, size: int, items: Sequence[Item], folder: str) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    for rel, digest in items:
        path = os.path.join(folder, rel)
        for (start, stop), span in rows.cuts(path, digest, size):
            part = {"path": path, "shown": rel, "bytes": span, "rows": [start, stop] if span is None else None}
            batch = {"keys": [[f"{rel} rows {start}-{stop}", digest]], "records": stop - start, "paths": [path]}
            batches.append(_finished({**batch, "parts": [part]}, len(batches)))
    return batches


def _finished(batch: dict[str, Any], position: int) -> dict[str, Any]:
    """The batch with its id (the digest of its keys) and its place in the output."""
    return {"id": hash_bytes(canonical(batch["keys"])), **batch, "order": f"{position:09d}"}


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
