"""What schedules cost: the scheduler of `duto server` with 1,000 schedules, and polling a watched datastore path.

- **Scheduler**: a real `duto server` on a fresh workspace with 1,000 active schedules of a published one-step
  pipeline (reused whole, so a fired run starts no runner). First all 1,000 due only in 2099: the server's CPU
  seconds per minute while it watches them (idle). Then each made a cron line due once a minute, at second
  `i % 60` (1,000 runs a minute, about 17 a second): the server's CPU seconds per minute while it fires them,
  and the lag from each tick's due time to its run recorded (p50, p99), over the firings of one minute.

- **Tree**: a watched folder of 100,000 small files (1 KiB each, 100 folders of 10 subfolders of 100 files, dated
  a minute back as settled data is), then: one full hash of every file (`hash_file_uncached`, the list of paths
  made before the clock starts), a first `scan` with a cold stat cache, a `scan` with a warm stat cache and no
  previous tree (a poller that lost its stored tree), the steady state, a poll of the unchanged tree with
  `previous` (median of 5), and a poll after a burst of 50 new and 50 rewritten files. Next to them, the floor
  of any poll that stats every file: a bare `os.scandir` walk with one stat per file and nothing else. Then the
  same with a kernel watch (`scheduling.tree_watch`, as the scheduler polls on Linux): the first watched scan,
  which puts a watch on every folder, the poll of the unchanged tree, and the poll after the burst. The
  poll's memory is tracemalloc's peak during one poll (timed apart), the tree's its size once read back with
  `from_bytes`, and the stored size that of `to_bytes`. Aim: an unchanged tree polls at least 20x faster than a
  full hash (the scheduler's poll: watched where the kernel watches, else by stat).

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers

from duto.scheduling.data_changes import Tree, changes, from_bytes, scan, to_bytes
from duto.scheduling.tree_watch import TreeWatcher
from duto.storage.hashing import FileHasher, hash_file_uncached
from server import kill_leftovers, served, wait_for_end

FILES = 100_000
FILE_BYTES = 1024
FOLDERS = 100  # each with 10 subfolders, the files spread evenly over them
POLLS = 5
BURST = 50  # new files, and as many rewritten with new bytes
AIM = 20.0
SCHEDULES = 1000

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
    with console.status("watching the tree"):
        watcher = TreeWatcher.open()
        watch = watcher.tree("bench") if watcher is not None else None
        watched_scan_s, watched = timed(lambda: scan(root, hasher, first, watch))
        watched_poll_s = median_time(lambda: scan(root, hasher, watched, watch), args.polls)
        vouched = scan(root, hasher, watched, watch) is watched
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
        watched_burst_s, watched_after = timed(lambda: scan(root, hasher, watched, watch))
        watched_burst_changes = len(changes(watched, watched_after))
        if watcher is not None:
            watcher.close()
    return {
        "files": len(first.files),
        "file_bytes": args.file_bytes,
        "build_s": build_s,
        "full_hash_s": full_hash_s,
        "first_scan_cold_s": cold_s,
        "scan_warm_cache_no_previous_s": warm_s,
        "unchanged_poll_s": poll_s,
        "watched": watcher is not None,
        "watched_first_scan_s": watched_scan_s,
        "watched_unchanged_poll_s": watched_poll_s,
        "watched_poll_vouched": vouched,
        "watched_burst_poll_s": watched_burst_s,
        "watched_burst_changes": watched_burst_changes,
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
        "ratio_full_hash_over_watched_poll": full_hash_s / watched_poll_s,
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
        ("poll of the unchanged tree with previous, by stat", f["unchanged_poll_s"]),
        (f"poll by stat after {f['burst_expected']} new or rewritten files", f["burst_poll_s"]),
        ("floor: scandir walk, one stat per file", f["stat_walk_floor_s"]),
        ("first watched scan (a watch on every folder)", f["watched_first_scan_s"]),
        ("watched poll of the unchanged tree (the scheduler's)", f["watched_unchanged_poll_s"]),
        (f"watched poll after {f['burst_expected']} new or rewritten files", f["watched_burst_poll_s"]),
    ]
    for label, seconds in lines:
        table.add_row(label, f"{seconds:.6f}", f"{seconds / files * 1e6:.2f}", f"{f['full_hash_s'] / seconds:.1f}x")
    console.print(table)
    mib = 1024 * 1024
    console.print(
        f"memory: a poll's peak {f['poll_peak_bytes'] / mib:.1f} MiB; a tree in memory {f['tree_bytes'] / mib:.1f} "
        f"MiB ({f['tree_bytes'] / files:.0f} B/file); stored {f['stored_bytes'] / mib:.1f} MiB "
        f"(to_bytes {f['to_bytes_s']:.2f} s, from_bytes {f['from_bytes_s']:.2f} s); building the tree took "
        f"{f['build_s']:.1f} s",
        highlight=False,
    )
    for key in ("burst_changes", "watched_burst_changes"):
        if f[key] != f["burst_expected"]:
            console.print(f"[red]a burst poll found {f[key]} changes, not {f['burst_expected']}[/]")
    if not f["watched"] or not f["watched_poll_vouched"]:
        console.print("[yellow]no kernel watch here: the scheduler polls by stat[/]")
    ratio = f["ratio_full_hash_over_watched_poll"] if f["watched"] else f["ratio_full_hash_over_poll"]
    console.print(
        f"aim: an unchanged tree polls at least {AIM:.0f}x faster than a full hash: {ratio:,.1f}x "
        f"({'met' if ratio >= AIM else 'missed'}); by stat alone {f['ratio_full_hash_over_poll']:.1f}x, and the "
        f"floor of any poll that stats every file is {f['ratio_full_hash_over_floor']:.1f}x",
        highlight=False,
    )


def tree_section(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    figures = bench_tree(tmp, args, console)
    print_tree(console, figures)
    return figures


# Each section measures in a temp folder of its own, prints its tables and returns its figures, kept under its
# name in schedules.json.
def bench_scheduler(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    """1,000 schedules under a real server: CPU per minute idle and firing, and the due-to-recorded lag."""
    from duto import Workspace
    from duto.pipeline import Pipeline, Schedule, ScheduleRecurrence
    from duto.pipeline.steps import CommandStep
    from duto.storage.db import dispose_all

    ws = Workspace.create(tmp / "ws")
    os.chdir(ws.root)
    published = Pipeline(ws, [CommandStep("echo hello", name="hello")]).publish("tick")
    wait_for_end(ws, published.submit(ws, "warm-up").id)
    later = ScheduleRecurrence(frequency="Day", interval=1, start_time="2099-01-01T00:00:00")
    made = time.perf_counter()
    schedules = [Schedule.create(ws, f"s{i}", published.id, "ticks", recurrence=later) for i in range(args.schedules)]
    made = time.perf_counter() - made
    figures: dict[str, Any] = {"schedules": args.schedules, "create_ms_each": made / args.schedules * 1000}
    try:
        with served(ws, tmp / "server.log") as server:
            pid = server.process.pid
            time.sleep(3)  # the scheduler's first read of them
            start = cpu_seconds(pid)
            time.sleep(args.idle_seconds)
            figures["idle_cpu_s_per_min"] = (cpu_seconds(pid) - start) * 60 / args.idle_seconds
            for i, schedule in enumerate(schedules):
                schedule.update(recurrence=ScheduleRecurrence(cron=f"* * * * * {i % 60}"))
            time.sleep(5)
            since = datetime.now(UTC)
            start = cpu_seconds(pid)
            time.sleep(60)
            figures["firing_cpu_s_per_min"] = cpu_seconds(pid) - start
            lags = firing_lags(ws, since, since + timedelta(seconds=60))
            figures["fired_in_a_minute"] = len(lags)
            figures["lag_p50_ms"] = percentile(lags, 0.5)
            figures["lag_p99_ms"] = percentile(lags, 0.99)
            for schedule in schedules:
                schedule.disable()
    finally:
        kill_leftovers(ws)
        dispose_all()
        os.chdir(tmp.parent)
    return figures


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def firing_lags(ws: Any, since: datetime, until: datetime) -> list[float]:
    """Milliseconds from each tick due in [since, until) to its firing, which is written with its run."""
    from sqlalchemy import select

    from duto.storage import models

    lags = []
    with ws.database.reading() as s:
        for tick, fired in s.execute(select(models.ScheduleFiring.tick, models.ScheduleFiring.fired_at)):
            due = datetime.strptime(tick, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            if since <= due < until:
                lags.append((fired.replace(tzinfo=UTC) - due).total_seconds() * 1000)
    return lags


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def scheduler_section(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    f = bench_scheduler(tmp, args, console)
    table = Table(title=f"Scheduler: {f['schedules']} active schedules under a real duto server")
    for column in ("idle CPU s/min", "firing CPU s/min", "fired in 1 min", "lag p50 ms", "lag p99 ms"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{f['idle_cpu_s_per_min']:.2f}",
        f"{f['firing_cpu_s_per_min']:.2f}",
        str(f["fired_in_a_minute"]),
        f"{f['lag_p50_ms']:.0f}",
        f"{f['lag_p99_ms']:.0f}",
    )
    console.print(table)
    return f


SECTIONS: list[tuple[str, Section]] = [("scheduler", scheduler_section), ("tree", tree_section)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES, help="files of the watched tree")
    parser.add_argument("--file-bytes", type=int, default=FILE_BYTES, help="the size of each file")
    parser.add_argument("--polls", type=int, default=POLLS, help="timed polls of the unchanged tree")
    parser.add_argument("--schedules", type=int, default=SCHEDULES, help="active schedules for the scheduler")
    parser.add_argument("--idle-seconds", type=float, default=30.0, help="how long the idle scheduler is watched")
    args = parser.parse_args()
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    figures: dict[str, Any] = {}
    with own_command_servers():
        for name, section in SECTIONS:
            with tempfile.TemporaryDirectory(prefix=f"duto-bench-schedules-{name}-") as tmp:
                figures[name] = section(Path(tmp), args, console)
    write_figures("schedules", figures, console)


if __name__ == "__main__":
    main()
