"""What leases cost: a pipeline's wall time with the lease machinery and without it, in the same run.

With it (duto's default) the runner renews its lease by heartbeat and fences every write it makes (one more
query in each write transaction). Without it (`DUTO_LEASES=off`) it takes its lease once and does neither. Each
shape runs in rounds that alternate the two, in fresh workspaces, and each figure is the median of the rounds'
own differences, so a machine whose speed drifts compares each run with its neighbour. Also: the same with
heartbeats every 0.2 s (`DUTO_LEASE_SECONDS=1.2`), the heaviest setting anyone would use, and one lease
acquisition timed on its own. The figures go to bench/results/leases.json; the script exits 0 after printing.

Run it with `make bench` or `.venv/bin/python bench/leases.py`. See bench/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers

from duto import Experiment, Workspace
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep
from duto.processes import alive
from duto.storage.lease_store import Holder, LeaseStore
from duto.storage.runs_store import new_id

STEPS = 100
ROUNDS = 5
RUNNER_EXIT_TIMEOUT = 30.0
# (label, variables for the runs with leases); the runs without have DUTO_LEASES=off.
SETTINGS: list[tuple[str, dict[str, str]]] = [
    ("default lease (30 s, heartbeat every 5 s)", {}),
    ("short lease (1.2 s, heartbeat every 0.2 s)", {"DUTO_LEASE_SECONDS": "1.2"}),
]


def chain(count: int) -> list[CommandStep]:
    data = [PipelineData(f"d{i}") for i in range(count)]
    steps = []
    for i, out in enumerate(data):
        previous = [data[i - 1]] if i else []
        copy = f'cat "$DUTO_INPUT_prev/x" > "$DUTO_OUTPUT_d{i}/x"; ' if i else ""
        inputs = [previous[0].as_input("prev")] if previous else []
        command = f'mkdir -p "$DUTO_OUTPUT_d{i}"; {copy}echo {i} >> "$DUTO_OUTPUT_d{i}/x"'
        steps.append(CommandStep(command, name=f"s{i:03d}", inputs=inputs, outputs=[out], allow_reuse=False))
    return steps


def fanout(count: int) -> list[CommandStep]:
    return [
        CommandStep(
            f'mkdir -p "$DUTO_OUTPUT_o{i}"; echo {i} > "$DUTO_OUTPUT_o{i}/x"',
            name=f"b{i:03d}",
            outputs=[PipelineData(f"o{i}")],
            allow_reuse=False,
        )
        for i in range(count)
    ]


SHAPES: list[tuple[str, Callable[[int], list[CommandStep]]]] = [("chain", chain), ("fan-out", fanout)]


def run_once(root: Path, steps: list[CommandStep], variables: dict[str, str]) -> float:
    """Seconds from submit until the run has ended, in a fresh workspace, with `variables` set for its runner."""
    ws = Workspace.create(root)
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    try:
        start = time.perf_counter()
        run = Experiment(ws, "leases").submit(Pipeline(ws, steps))
        status = run.wait_for_completion(show_output=False, raise_on_error=False)
        seconds = time.perf_counter() - start
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if status != "Finished":
        raise SystemExit(f"a run ended {status}; see {run.layout.runner_log}")
    pid = ws.runs_store.pipeline_run(run.id).runner_pid
    deadline = time.monotonic() + RUNNER_EXIT_TIMEOUT
    while pid and alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return seconds


def acquisition_ms(root: Path, count: int = 200) -> float:
    """Milliseconds one lease acquisition takes (its transaction), the median of `count`."""
    ws = Workspace.create(root)
    leases = LeaseStore(ws.database)
    times = []
    for _ in range(count):
        run_id = new_id()
        ws.runs_store.create_pipeline_run(run_id, "e", {"steps": []}, {}, {}, False, False, [])
        start = time.perf_counter()
        leases.acquire(run_id, Holder.this_process(new_id(), 30))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    os.environ.pop("DUTO_RUNNER", None)
    os.environ.pop("DUTO_WORKSPACE", None)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="duto-bench-leases-") as tmp:
        root = Path(tmp)
        # A whole pipeline each way first: the first runs of a fresh process are slower whatever they do.
        run_once(root / "warm-up-on", chain(STEPS), {})
        run_once(root / "warm-up-off", chain(STEPS), {"DUTO_LEASES": "off"})
        counter = 0
        for label, variables in SETTINGS:
            for shape, build in SHAPES:
                on: list[float] = []
                off: list[float] = []
                with console.status(f"{shape} of {STEPS}, {label}"):
                    for _ in range(ROUNDS):
                        counter += 1
                        on.append(run_once(root / f"w{counter}-on", build(STEPS), variables))
                        off.append(
                            run_once(root / f"w{counter}-off", build(STEPS), {**variables, "DUTO_LEASES": "off"})
                        )
                differences = [(a - b) / STEPS * 1000 for a, b in zip(on, off, strict=True)]
                rows.append(
                    {
                        "setting": label,
                        "shape": shape,
                        "steps": STEPS,
                        "with_s": statistics.median(on),
                        "without_s": statistics.median(off),
                        "ms_per_step": statistics.median(differences),
                        "ratio": statistics.median(a / b for a, b in zip(on, off, strict=True)),
                        "samples_with_s": on,
                        "samples_without_s": off,
                    }
                )
        acquire = acquisition_ms(root / "acquire")

    table = Table(
        title=f"leases: a pipeline of {STEPS} trivial steps with and without heartbeats and fencing "
        f"(medians of {ROUNDS} paired rounds)"
    )
    for column in ("lease", "shape", "with s", "without s", "cost ms/step", "with / without"):
        table.add_column(column, justify="left" if column in ("lease", "shape") else "right")
    for r in rows:
        table.add_row(
            r["setting"],
            r["shape"],
            f"{r['with_s']:.2f}",
            f"{r['without_s']:.2f}",
            f"{r['ms_per_step']:+.2f}",
            f"{r['ratio']:.3f}",
        )
    console.print(table)
    console.print(f"one lease acquisition (taken once per runner): {acquire:.2f} ms", highlight=False)
    console.print(
        "cost ms/step: the median of each round's (with - without) / steps; a few tenths of a ms either way is "
        "the machine's noise.",
        style="dim",
        highlight=False,
    )
    write_figures(
        "leases",
        {"total_s": round(time.perf_counter() - started, 2), "acquire_ms": acquire, "results": rows},
        console,
    )
    return 0


if __name__ == "__main__":
    with own_command_servers():
        sys.exit(main())
