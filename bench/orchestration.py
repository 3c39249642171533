"""duto's orchestration cost per step: a pipeline's wall time minus the same scripts run bare, per step.

Every figure is measured in this one run against a baseline measured in this same run: the step scripts
executed one after another by a `/bin/sh` loop with the same interpreter and equivalent arguments. The
benchmark reports differences and ratios, never absolute thresholds, and exits 0 after printing them.

Run it with `make bench`; the figures also go to bench/results/orchestration.json. See bench/README.md.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from servers import own_command_servers
from step_cost import PARTS, split_chain

from duto import ComputeTarget, Experiment, Workspace
from duto.compute import LocalCompute
from duto.config import default_concurrency
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

CHAIN_STEPS = 100
FANOUT_STEPS = 200
ROUNDS = 3  # each line is the median of up to this many rounds, each in fresh workspaces
BUDGET_S = 150.0  # no new round starts when it would likely end past this many seconds
SERIAL_TARGET = "serial"
RUNNER_EXIT_TIMEOUT = 30.0

# A link of the chain: reads the number the previous link wrote (when given its folder), writes it plus one.
# A bare script taking plain folder paths, so the shell loop runs it exactly as the pipeline does.
CHAIN_SCRIPT = """\
import os
import sys

out = sys.argv[1]
value = 0
if len(sys.argv) > 2:
    with open(os.path.join(sys.argv[2], "value.txt")) as f:
        value = int(f.read())
value += 1
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "value.txt"), "w") as f:
    f.write(str(value))
"""

# The same link, also logging one metric through duto's step-side tracking (an offline run that prints, bare).
TRACKED_CHAIN_SCRIPT = (
    CHAIN_SCRIPT
    + """
from duto import Run

Run.get_context().log("i", value)
"""
)

# One branch of the fan-out: writes its index to its own output folder.
FANOUT_SCRIPT = """\
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "value.txt"), "w") as f:
    f.write(sys.argv[2])
"""


def chain_steps(count: int, target: str | None, allow_reuse: bool = False) -> list[PythonScriptStep]:
    """`count` links, each reading the previous link's PipelineData and writing its own."""
    data = [PipelineData(f"d{i}") for i in range(count)]
    steps: list[PythonScriptStep] = []
    for i, out in enumerate(data):
        previous = [data[i - 1]] if i else []
        steps.append(
            PythonScriptStep(
                "step.py",
                name=f"link_{i:03d}",
                arguments=[out, *previous],
                inputs=previous,
                outputs=[out],
                compute_target=target,
                allow_reuse=allow_reuse,
            )
        )
    return steps


def fanout_steps(count: int, target: str | None) -> list[PythonScriptStep]:
    """`count` independent steps, each writing one small output."""
    steps: list[PythonScriptStep] = []
    for i in range(count):
        out = PipelineData(f"o{i}")
        steps.append(
            PythonScriptStep(
                "step.py",
                name=f"branch_{i:03d}",
                arguments=[out, str(i)],
                outputs=[out],
                compute_target=target,
                allow_reuse=False,
            )
        )
    return steps


def chain_loop(count: int, python: str, out: str) -> str:
    return f'set -e; prev=""; for i in $(seq 0 {count - 1}); do {python} step.py {out}/d$i $prev; prev={out}/d$i; done'


def fanout_loop(count: int, python: str, out: str) -> str:
    return f"set -e; for i in $(seq 0 {count - 1}); do {python} step.py {out}/o$i $i; done"


@dataclass(frozen=True)
class Shape:
    """A pipeline shape: its script, its steps, the shell loop that runs them bare, and the target it uses."""

    name: str
    script: str
    steps: int
    build: Callable[[int, str | None], list[PythonScriptStep]]
    bare_loop: Callable[[int, str, str], str]
    serial: bool = False
    check_chain: bool = False


@dataclass
class Measurement:
    """One line of the report: a pipeline and its bare baseline, each the median of its rounds."""

    name: str
    target: str
    slots: int
    steps: int
    pipeline_samples: list[float] = field(default_factory=list)
    submit_samples: list[float] = field(default_factory=list)
    bare_samples: list[float] = field(default_factory=list)
    # CPU seconds of this process while `wait_for_completion` followed the run (the runner is a process of its own)
    follower_cpu_samples: list[float] = field(default_factory=list)

    @property
    def pipeline_s(self) -> float:
        return statistics.median(self.pipeline_samples)

    @property
    def bare_s(self) -> float:
        return statistics.median(self.bare_samples)

    @property
    def overhead_ms_per_step(self) -> float:
        return (self.pipeline_s - self.bare_s) / self.steps * 1000

    @property
    def ratio(self) -> float:
        return self.pipeline_s / self.bare_s

    @property
    def follower_cpu_ms_per_step(self) -> float:
        return statistics.median(self.follower_cpu_samples) / self.steps * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "slots": self.slots,
            "steps": self.steps,
            "pipeline_s": round(self.pipeline_s, 4),
            "submit_s": round(statistics.median(self.submit_samples), 4),
            "bare_s": round(self.bare_s, 4),
            "ratio": round(self.ratio, 3),
            "overhead_ms_per_step": round(self.overhead_ms_per_step, 2),
            "follower_cpu_ms_per_step": round(self.follower_cpu_ms_per_step, 3),
            "samples": {
                "pipeline_s": [round(s, 4) for s in self.pipeline_samples],
                "submit_s": [round(s, 4) for s in self.submit_samples],
                "bare_s": [round(s, 4) for s in self.bare_samples],
            },
        }


@contextmanager
def fresh_workspace(script: str) -> Iterator[tuple[Workspace, Path, Path]]:
    """A new workspace in a temp folder, the step script alone in its source folder, and a bare-run folder."""
    with tempfile.TemporaryDirectory(prefix="duto-bench-") as tmp:
        root = Path(tmp)
        ws = Workspace.create(root / "ws")
        source = root / "src"
        source.mkdir()
        (source / "step.py").write_text(script)
        bare = root / "bare"
        bare.mkdir()
        yield ws, source, bare


def run_bare(shape: Shape, source: Path, out: Path) -> float:
    """Wall seconds of the shell loop running the shape's script once per step, one after another."""
    command = shape.bare_loop(shape.steps, shlex.quote(sys.executable), shlex.quote(str(out)))
    start = time.perf_counter()
    subprocess.run(["/bin/sh", "-c", command], cwd=source, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def wait_for_runner_exit(pid: int | None) -> None:
    """Let the detached runner finish exiting, so it takes no CPU from the next measurement."""
    deadline = time.monotonic() + RUNNER_EXIT_TIMEOUT
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[-1][:1] == "Z":
                    return
        except (ProcessLookupError, FileNotFoundError):
            return
        time.sleep(0.01)


def run_pipeline(ws: Workspace, source: Path, shape: Shape) -> tuple[float, float, float]:
    """(seconds from submit until wait_for_completion returns, seconds of submit alone, CPU seconds of this process
    while wait_for_completion followed the run) for one run."""
    target = SERIAL_TARGET if shape.serial else None
    pipeline = Pipeline(ws, steps=shape.build(shape.steps, target), default_source_directory=source)
    experiment = Experiment(ws, "bench")
    start = time.perf_counter()
    run = experiment.submit(pipeline)
    submitted, cpu = time.perf_counter(), time.process_time()
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    end, follower_cpu = time.perf_counter(), time.process_time() - cpu
    if status != "Finished":
        raise SystemExit(f"{shape.name}: the run ended {status}; see {run.layout.runner_log}")
    wait_for_runner_exit(ws.runs_store.pipeline_run(run.id).runner_pid)
    if shape.check_chain:
        last = run.find_step_run(f"link_{shape.steps - 1:03d}")[0]
        value = (last.get_output_data(f"d{shape.steps - 1}").local_path / "value.txt").read_text()
        if int(value) != shape.steps:
            raise SystemExit(f"{shape.name}: the last link wrote {value}, expected {shape.steps}")
    return end - start, submitted - start, follower_cpu


def measure_once(shape: Shape, into: Measurement | None) -> Measurement:
    """One bare loop and one pipeline run of `shape` in a fresh workspace, added to `into`."""
    with fresh_workspace(shape.script) as (ws, source, bare):
        target = "local"
        if shape.serial:
            ComputeTarget.create(ws, SERIAL_TARGET, LocalCompute.provisioning_configuration(max_concurrency=1))
            target = SERIAL_TARGET
        if into is None:
            into = Measurement(shape.name, target, ComputeTarget(ws, target).max_concurrency, shape.steps)
        into.bare_samples.append(run_bare(shape, source, bare))
        pipeline_s, submit_s, follower_cpu = run_pipeline(ws, source, shape)
        into.pipeline_samples.append(pipeline_s)
        into.submit_samples.append(submit_s)
        into.follower_cpu_samples.append(follower_cpu)
    return into


def report(console: Console, results: dict[str, Measurement], rounds: int) -> dict[str, float]:
    """Print the table and the notes that say how to read it; returns the derived figures."""
    fixed = results["single step"]
    fixed_s = fixed.pipeline_s - fixed.bare_s
    table = Table(title=f"duto orchestration cost per step ({default_concurrency()} cores, median of {rounds} rounds)")
    table.add_column("shape")
    table.add_column("target (slots)")
    for column in ("steps", "pipeline s", "bare loop s", "ratio", "overhead ms/step", "without fixed ms/step"):
        table.add_column(column, justify="right", style="bold" if column.startswith("overhead") else None)
    for m in results.values():
        net = "" if m is fixed else f"{(m.pipeline_s - m.bare_s - fixed_s) / (m.steps - 1) * 1000:.1f}"
        table.add_row(
            m.name,
            f"{m.target} ({m.slots})",
            str(m.steps),
            f"{m.pipeline_s:.2f}",
            f"{m.bare_s:.2f}",
            f"{m.ratio:.2f}",
            f"{m.overhead_ms_per_step:.1f}",
            net,
        )
    console.print(table)
    plain, tracked = results["chain"], results["chain + Run.log"]
    derived = {
        "fixed_s": fixed_s,
        "tracking_step_side_ms_per_step": (tracked.bare_s - plain.bare_s) / plain.steps * 1000,
        "tracking_runner_side_ms_per_step": tracked.overhead_ms_per_step - plain.overhead_ms_per_step,
    }
    notes = [
        "overhead ms/step = (pipeline s - bare loop s) / steps. pipeline s runs from submit until "
        "wait_for_completion returns; bare loop s runs the same script once per step from a sequential shell loop.",
        f"single step: the fixed cost of a run ({fixed_s:.2f} s: submit, runner start, completion poll). "
        "without fixed ms/step takes it out: (pipeline s - bare loop s - fixed) / (steps - 1).",
        "fan-out on local (N) runs N steps at once against the sequential loop; on serial (1) it is like for like.",
        f"tracking, one Run.log per step: {derived['tracking_step_side_ms_per_step']:+.1f} ms/step bare (importing "
        f"duto's step side, which only prints offline), {derived['tracking_runner_side_ms_per_step']:+.1f} ms/step "
        "more under duto (the step writing it as JSON, json imported, and the runner storing it).",
    ]
    for note in notes:
        console.print(note, style="dim", highlight=False)
    return derived


def split_step_cost(console: Console) -> dict[str, float]:
    """Where the runner's time for a chain step goes (see step_cost.py): a table, and its figures."""
    with fresh_workspace(CHAIN_SCRIPT) as (ws, source, _):
        warm = Pipeline(ws, steps=chain_steps(2, None), default_source_directory=source)
        Experiment(ws, "warm-up").submit(warm).wait_for_completion(show_output=False)
        chain = Pipeline(ws, steps=chain_steps(CHAIN_STEPS, None), default_source_directory=source)
        split = split_chain(ws, chain, CHAIN_STEPS)
    table = Table(title=f"where the runner's time for a step goes ({CHAIN_STEPS}-step chain, runner on a thread)")
    for column in (*PARTS, "runner busy", "runner CPU"):
        table.add_column(f"{column} ms/step", justify="right", style="bold" if column == "runner busy" else None)
    table.add_row(*(f"{split[c]:.2f}" for c in (*PARTS, "runner busy", "runner CPU")))
    console.print(table)
    console.print(
        "DB: its transactions, SQLAlchemy's work and SQLite's; files: folders and files made, opened, linked, copied, "
        "renamed, removed; spawn: fork and exec of the step's process; rest: the runner's other work. Waiting for "
        "the step's process is left out.",
        highlight=False,
    )
    return split


def main() -> int:
    os.environ.pop("DUTO_RUNNER", None)  # the default, as users get it: a detached runner process
    os.environ.pop("DUTO_WORKSPACE", None)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)  # piped or captured: room for the table instead of Rich's 80 columns
    shapes = [
        Shape("single step", CHAIN_SCRIPT, 1, chain_steps, chain_loop),
        Shape("chain", CHAIN_SCRIPT, CHAIN_STEPS, chain_steps, chain_loop, check_chain=True),
        Shape("chain + Run.log", TRACKED_CHAIN_SCRIPT, CHAIN_STEPS, chain_steps, chain_loop, check_chain=True),
        Shape("fan-out", FANOUT_SCRIPT, FANOUT_STEPS, fanout_steps, fanout_loop),
        Shape("fan-out", FANOUT_SCRIPT, FANOUT_STEPS, fanout_steps, fanout_loop, serial=True),
    ]
    results: dict[str, Measurement] = {}
    started = time.perf_counter()
    rounds = 0
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        refresh_per_second=4,
        transient=True,
    ) as progress:
        task = progress.add_task("warming up: interpreter, duto and the runner into the page cache", total=None)
        measure_once(Shape("warm-up", CHAIN_SCRIPT, 2, chain_steps, chain_loop), None)
        progress.update(task, total=ROUNDS * len(shapes), completed=0)
        while rounds < ROUNDS:
            round_started = time.perf_counter()
            for shape in shapes:
                key = f"{shape.name} serial" if shape.serial else shape.name
                progress.update(task, description=f"round {rounds + 1}/{ROUNDS}: {key}, {shape.steps} steps")
                results[key] = measure_once(shape, results.get(key))
                progress.advance(task)
            rounds += 1
            now = time.perf_counter()
            if now - started + (now - round_started) > BUDGET_S:
                break  # another round would overrun the time budget (a slow or busy machine)
    derived = report(console, results, rounds)
    split = split_step_cost(console)
    figures = {
        "step_cost_ms": {k: round(v, 2) for k, v in split.items()},
        "rounds": rounds,
        "total_s": round(time.perf_counter() - started, 2),
        "derived": {k: round(v, 3) for k, v in derived.items()},
        "results": [m.to_json() for m in results.values()],
    }
    write_figures("orchestration", figures, console)
    return 0


if __name__ == "__main__":
    with own_command_servers():
        sys.exit(main())
