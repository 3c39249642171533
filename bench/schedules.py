"""What schedules cost: polling a watched datastore path.

- **Tree**: a watched folder of 100,000 small files (1 KiB each, 100 folders of 10 subfolders of 100 files, dated
  a minute back as settled data is), then: one full hash of every file (`hash_file_uncached`, the list of paths
  made before the clock starts), a first `scan` with a cold stat cache, a `scan` with a warm stat cache and no
  previous tree (a poller that lost its stored tree), the steady state, a poll of the unchanged tree with
  `previous` (median of 5), and a poll after a burst of 50 new and 50 rewritten files. Next to them, the floor
  of any poll that stats every file: a bare `os.scandir` walk with one stat per file and nothing else. The
  poll's memory is tracemalloc's peak during one poll (timed apart), the tree's its size once read back with
  `from_bytes`, and the stored size that of `to_bytes`. Aim: an unchanged tree polls at least 20x faster than a
  full hash.

Every file is in the page cache for every line (it was just written): the figures are of CPU and system calls,
not of a disk. Aims are reported, never asserted; the script exits 0 after printing. Figures go to
bench/results/schedules.json. Run it with `make bench` or `.venv/bin/python bench/schedules.py`. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table

from duto.scheduling.data_changes import Tree, changes, from_bytes, scan, to_bytes
from duto.storage.hashing import FileHasher, hash_file_uncached

FILES = 100_000
FILE_BYTES = 1024
FOLDERS = 100  # each with 10 subfolders, the files spread evenly over them
POLLS = 5
BURST = 50  # new files, and as many rewritten with new bytes
AIM = 20.0

Section = Callable[[Path, argparse.Namespace, Console], dict[str, Any]]


def build_tree(root: Path, count: int, size: int) -> list[str]:
    """`count` files of `size` bytes (distinct contents) under `root`, dated a minute back; returns their paths."""
    block = os.urandom(size)
    then = time.time() - 60
    per_folder = max(1, count // (FOLDERS * 10))
    paths: list[str] = []
    for i in range(count):
        n = i // per_folder
        folder = f"{root}/d{n // 10 % FOLDERS:03d}/s{n % 10}"
        if i % per_folder == 0:
            os.makedirs(folder, exist_ok=True)
        path = f"{folder}/f{i:06d}.csv"
        head = b"%d\n" % i
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, head + block[: size - len(head)])
            os.utime(fd, (then, then))
        finally:
            os.close(fd)
        paths.append(path)
    return paths


def stat_walk(root: str) -> int:
    """The floor of a poll: every folder listed and every file stat'ed once, nothing else."""
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat(follow_symlinks=False)
                    count += 1
    return count


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def median_time(call: Callable[[], Any], rounds: int) -> float:
    return statistics.median(timed(call)[0] for _ in range(rounds))


def tree_memory(data: bytes) -> tuple[int, Tree]:
    """The bytes a tree holds once read back (tracemalloc's count of what stays allocated)."""
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        tree = from_bytes(data)
        return tracemalloc.get_traced_memory()[0] - held, tree
    finally:
        tracemalloc.stop()


def bench_tree(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    root = tmp / "watched"
    with console.status(f"writing {args.files:,} files of {args.file_bytes} bytes"):
        build_s, paths = timed(lambda: build_tree(root, args.files, args.file_bytes))
    with console.status("hashing every file, then scanning"):
        full_hash_s, _ = timed(lambda: [hash_file_uncached(p) for p in paths])
        hasher = FileHasher(tmp / "cache" / "hashes.db")
        cold_s, first = timed(lambda: scan(root, hasher))
        warm_s, _ = timed(lambda: scan(root, hasher))
        poll_s = median_time(lambda: scan(root, hasher, first), args.polls)
        floor_s = median_time(lambda: stat_walk(str(root)), args.polls)
    with console.status("memory and storage of a tree"):
        tracemalloc.start()
        try:
            scan(root, hasher, first)
            poll_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        to_bytes_s, data = timed(lambda: to_bytes(first))
        from_bytes_s, _ = timed(lambda: from_bytes(data))
        tree_bytes, _ = tree_memory(data)
    with console.status(f"a burst of {BURST} new and {BURST} rewritten files"):
        for i in range(BURST):
            (root / "burst").mkdir(exist_ok=True)
            (root / "burst" / f"new-{i:02d}.csv").write_bytes(b"new %d\n" % i)
            Path(paths[i * (len(paths) // BURST)]).write_bytes(b"rewritten %d\n" % i)
        burst_s, after = timed(lambda: scan(root, hasher, first))
        burst_changes = len(changes(first, after))
    return {
        "files": len(first.files),
        "file_bytes": args.file_bytes,
        "build_s": build_s,
        "full_hash_s": full_hash_s,
        "first_scan_cold_s": cold_s,
        "scan_warm_cache_no_previous_s": warm_s,
        "unchanged_poll_s": poll_s,
        "stat_walk_floor_s": floor_s,
        "burst_poll_s": burst_s,
        "burst_changes": burst_changes,
        "burst_expected": 2 * BURST,
        "poll_peak_bytes": poll_peak,
        "tree_bytes": tree_bytes,
        "stored_bytes": len(data),
        "to_bytes_s": to_bytes_s,
        "from_bytes_s": from_bytes_s,
        "ratio_full_hash_over_poll": full_hash_s / poll_s,
        "ratio_full_hash_over_floor": full_hash_s / floor_s,
        "polls": args.polls,
    }


def print_tree(console: Console, f: dict[str, Any]) -> None:
    files = f["files"]
    table = Table(title=f"A watched tree of {files:,} files of {f['file_bytes']} bytes (polls: median of {f['polls']})")
    for column in ("line", "s", "µs/file", "full hash / line"):
        table.add_column(column, justify="left" if column == "line" else "right")
    lines = [
        ("full hash of every file (hash_file_uncached)", f["full_hash_s"]),
        ("first scan, cold stat cache", f["first_scan_cold_s"]),
        ("scan, warm stat cache, no previous tree", f["scan_warm_cache_no_previous_s"]),
        ("poll of the unchanged tree with previous", f["unchanged_poll_s"]),
        (f"poll after {f['burst_expected']} new or rewritten files", f["burst_poll_s"]),
        ("floor: scandir walk, one stat per file", f["stat_walk_floor_s"]),
    ]
    for label, seconds in lines:
        table.add_row(label, f"{seconds:.3f}", f"{seconds / files * 1e6:.1f}", f"{f['full_hash_s'] / seconds:.1f}x")
    console.print(table)
    mib = 1024 * 1024
    console.print(
        f"memory: a poll's peak {f['poll_peak_bytes'] / mib:.1f} MiB; a tree in memory {f['tree_bytes'] / mib:.1f} "
        f"MiB ({f['tree_bytes'] / files:.0f} B/file); stored {f['stored_bytes'] / mib:.1f} MiB "
        f"(to_bytes {f['to_bytes_s']:.2f} s, from_bytes {f['from_bytes_s']:.2f} s); building the tree took "
        f"{f['build_s']:.1f} s",
        highlight=False,
    )
    if f["burst_changes"] != f["burst_expected"]:
        console.print(f"[red]the burst poll found {f['burst_changes']} changes, not {f['burst_expected']}[/]")
    ratio = f["ratio_full_hash_over_poll"]
    console.print(
        f"aim: an unchanged tree polls at least {AIM:.0f}x faster than a full hash: {ratio:.1f}x "
        f"({'met' if ratio >= AIM else 'missed'}); the floor of any poll that stats every file is "
        f"{f['ratio_full_hash_over_floor']:.1f}x",
        highlight=False,
    )


def tree_section(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    figures = bench_tree(tmp, args, console)
    print_tree(console, figures)
    return figures


# Each section measures in a temp folder of its own, prints its tables and returns its figures, kept under its
# name in schedules.json. A section for the scheduler itself (`bench_scheduler`) joins this list.
SECTIONS: list[tuple[str, Section]] = [("tree", tree_section)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES, help="files of the watched tree")
    parser.add_argument("--file-bytes", type=int, default=FILE_BYTES, help="the size of each file")
    parser.add_argument("--polls", type=int, default=POLLS, help="timed polls of the unchanged tree")
    args = parser.parse_args()
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    figures: dict[str, Any] = {}
    for name, section in SECTIONS:
        with tempfile.TemporaryDirectory(prefix=f"duto-bench-schedules-{name}-") as tmp:
            figures[name] = section(Path(tmp), args, console)
    write_figures("schedules", figures, console)


if __name__ == "__main__":
    main()
