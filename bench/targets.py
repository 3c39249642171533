"""The Dask compute target against the local one: parallel speed-up on CPU-bound steps, and cost per step.

(b) 8 CPU-bound steps of about 1 s each (a pure-Python busy loop of a fixed number of iterations, so the
    work is the same whatever runs it) on a 2-worker LocalCluster target, against the same steps one after
    another on a `local` target with max_concurrency=1.
(c) trivial steps on the Dask target and on `local`: a chain of 20 (one step at a time: the latency each step
    adds), a fan-out of 20 (2 at a time on both targets), and a single step (the fixed cost of a run).

Everything goes through duto's public API with the default detached runner, timed from `submit` until
`wait_for_completion` returns, minus nothing: the Dask figures include starting the LocalCluster and
shutting it down, and whatever importing dask costs the runner (none when the command server, which the
warm-up starts, forks it: it has dask loaded). Figures are differences and ratios against the local target
measured in the same run; the script exits 0 after printing them. The figures go to bench/results/targets.json.
Run it with `.venv/bin/python bench/targets.py` (or `make bench`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers

from duto import ComputeTarget, Environment, Experiment, RunConfiguration, Workspace
from duto.compute import DaskCompute, LocalCompute
from duto.conda_dependencies import CondaDependencies
from duto.config import default_concurrency
from duto.pipeline import Pipeline, StepSequence
from duto.pipeline.steps import PythonScriptStep

CLUSTER = "cluster"  # the Dask target: a LocalCluster of 2 workers (threads that each start the step's process)
SERIAL = "serial"  # a local target running one step at a time
WORKERS = 2
BUSY_STEPS = 8
BUSY_SECONDS = 1.0
TRIVIAL_STEPS = 20
ROUNDS = 3  # the trivial-step lines are the median of this many runs
# The busy-step lines: this many rounds of a serial run then a cluster run. Each speed-up is the median of the
# rounds' own ratios, so a machine whose speed drifts (a shared host) compares each run with its neighbour.
BUSY_ROUNDS = 4
RUNNER_EXIT_TIMEOUT = 30.0

# A fixed number of iterations of pure-Python work; prints the seconds the loop took.
BUSY_SCRIPT = """\
import sys
import time

start = time.perf_counter()
total = 0
for i in range(int(sys.argv[1])):
    total += i * i
print(f"{time.perf_counter() - start:.4f}")
"""

TRIVIAL_SCRIPT = "pass\n"


@dataclass
class Timing:
    """One line: a pipeline shape on one target, each sample a whole run from submit to completion."""

    shape: str
    target: str
    steps: int
    samples: list[float] = field(default_factory=list)
    spans: list[float] = field(default_factory=list)  # first step start to last step end, from the run records
    loops: list[float] = field(default_factory=list)  # the busy loop's own seconds, as each step printed them

    @property
    def seconds(self) -> float:
        return statistics.median(self.samples)

    @property
    def span(self) -> float:
        return statistics.median(self.spans)

    @property
    def loop(self) -> float:
        return statistics.mean(self.loops) if self.loops else 0.0

    @property
    def ms_per_step(self) -> float:
        return self.seconds / self.steps * 1000

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "target": self.target,
            "steps": self.steps,
            "seconds": round(self.seconds, 4),
            "steps_span_s": round(self.span, 4),
            "ms_per_step": round(self.ms_per_step, 2),
            "samples_s": [round(s, 4) for s in self.samples],
            "spans_s": [round(s, 4) for s in self.spans],
            "mean_busy_loop_s": round(self.loop, 4),
        }


def calibrate(python: str, script: Path) -> int:
    """Iterations of the busy loop that take about BUSY_SECONDS on one core of this machine."""
    probe = 2_000_000
    best = min(
        float(subprocess.run([python, str(script), str(probe)], check=True, capture_output=True, text=True).stdout)
        for _ in range(3)
    )
    return int(probe * BUSY_SECONDS / best)


def wait_for_runner_exit(pid: int | None) -> None:
    """Let the detached runner (and the cluster it closes) finish exiting before the next measurement."""
    deadline = time.monotonic() + RUNNER_EXIT_TIMEOUT
    while pid and time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(") ", 1)[-1][:1] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.01)


def run_once(
    ws: Workspace, source: Path, steps: list[PythonScriptStep] | StepSequence
) -> tuple[float, float, list[str]]:
    """(seconds from submit until wait_for_completion returns, seconds from first step start to last step end,
    each step's log)."""
    pipeline = Pipeline(ws, steps=steps, default_source_directory=str(source))
    start = time.perf_counter()
    run = Experiment(ws, "bench-targets").submit(pipeline)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    elapsed = time.perf_counter() - start
    if status != "Finished":
        raise SystemExit(f"the run ended {status}; see {run.layout.runner_log}")
    wait_for_runner_exit(ws.runs_store.pipeline_run(run.id).runner_pid)
    step_runs = run.get_steps()
    details = [s.get_details() for s in step_runs]
    starts = [datetime.fromisoformat(d["startTimeUtc"]) for d in details]
    ends = [datetime.fromisoformat(d["endTimeUtc"]) for d in details]
    return elapsed, (max(ends) - min(starts)).total_seconds(), [s.get_stdout_log() for s in step_runs]


def busy_steps(target: str, iterations: int) -> list[PythonScriptStep]:
    return [
        PythonScriptStep(
            "busy.py",
            name=f"busy_{i}",
            arguments=[str(iterations)],
            compute_target=target,
            allow_reuse=False,
        )
        for i in range(BUSY_STEPS)
    ]


def trivial_steps(target: str, count: int, runconfig: RunConfiguration | None = None) -> list[PythonScriptStep]:
    return [
        PythonScriptStep("trivial.py", name=f"t_{i:02d}", compute_target=target, allow_reuse=False, runconfig=runconfig)
        for i in range(count)
    ]


def bare_environment() -> RunConfiguration:
    """A venv of its own with no packages: what a step pays for running in a built environment, alone."""
    env = Environment("bench-venv")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[])
    return RunConfiguration(environment=env)


def measure(
    into: dict[str, Timing],
    ws: Workspace,
    source: Path,
    shape: str,
    target: str,
    steps: int,
    build: Callable[[], list[PythonScriptStep] | StepSequence],
) -> None:
    key = f"{shape} @ {target}"
    timing = into.setdefault(key, Timing(shape, target, steps))
    elapsed, span, logs = run_once(ws, source, build())
    timing.samples.append(elapsed)
    timing.spans.append(span)
    if shape.startswith(f"{BUSY_STEPS} busy"):
        timing.loops.extend(float(text.split()[-1]) for text in logs)


def report(console: Console, timings: dict[str, Timing], iterations: int) -> dict[str, float]:
    default = timings[f"chain of {TRIVIAL_STEPS} (default) @ local"]
    in_env = timings[f"chain of {TRIVIAL_STEPS} (environment) @ local"]
    envs = Table(title=f"(a) a chain of {TRIVIAL_STEPS} trivial steps: in a built environment vs the default")
    for column in ("runs in", "wall s", "ms/step", "span ms/step"):
        envs.add_column(column, justify="left" if column == "runs in" else "right")
    for label, timing in (("workspace default (duto's interpreter)", default), ("an already-built venv", in_env)):
        envs.add_row(
            label, f"{timing.seconds:.2f}", f"{timing.ms_per_step:.1f}", f"{timing.span / timing.steps * 1000:.1f}"
        )
    console.print(envs)
    console.print(
        f"a step in a built environment costs {in_env.ms_per_step - default.ms_per_step:+.1f} ms per step "
        f"({(in_env.span - default.span) / TRIVIAL_STEPS * 1000:+.1f} ms by the steps' span)",
        style="dim",
        highlight=False,
    )
    serial, cluster = timings[f"{BUSY_STEPS} busy steps @ {SERIAL}"], timings[f"{BUSY_STEPS} busy steps @ {CLUSTER}"]
    speedup_wall = statistics.median(a / b for a, b in zip(serial.samples, cluster.samples, strict=True))
    speedup_span = statistics.median(a / b for a, b in zip(serial.spans, cluster.spans, strict=True))
    table = Table(
        title=f"(b) {BUSY_STEPS} CPU-bound steps of ~{BUSY_SECONDS:g} s ({default_concurrency()} cores, "
        f"{BUSY_ROUNDS} rounds; speed-ups: the median of the rounds' ratios)"
    )
    table.add_column("target")
    for column in ("wall s", "steps span s", "mean loop s", "speed-up (wall)", "speed-up (span)"):
        table.add_column(column, justify="right", style="bold" if column.startswith("speed-up") else None)
    table.add_row(
        f"{SERIAL} (local, 1 at a time)",
        f"{serial.seconds:.2f}",
        f"{serial.span:.2f}",
        f"{serial.loop:.2f}",
        "1.00",
        "1.00",
    )
    table.add_row(
        f"{CLUSTER} (Dask, {WORKERS} workers)",
        f"{cluster.seconds:.2f}",
        f"{cluster.span:.2f}",
        f"{cluster.loop:.2f}",
        f"{speedup_wall:.2f}",
        f"{speedup_span:.2f}",
    )
    console.print(table)

    per_step = Table(title=f"(c) trivial steps, Dask ({WORKERS} workers) against local (median of {ROUNDS} runs)")
    per_step.add_column("shape")
    columns = ("steps", "local s", "dask s", "local ms/step", "dask ms/step", "difference ms/step", "span ms/step")
    for column in columns:
        per_step.add_column(column, justify="right", style="bold" if column.startswith("difference") else None)
    derived: dict[str, float] = {
        "env_ms_per_step_default": default.ms_per_step,
        "env_ms_per_step_environment": in_env.ms_per_step,
        "busy_iterations": iterations,
        "speedup_wall": speedup_wall,
        "speedup_span": speedup_span,
    }
    for shape in ("single step", f"chain of {TRIVIAL_STEPS}", f"fan-out of {TRIVIAL_STEPS}"):
        local, dask = timings[f"{shape} @ local"], timings[f"{shape} @ {CLUSTER}"]
        per_step.add_row(
            shape,
            str(local.steps),
            f"{local.seconds:.2f}",
            f"{dask.seconds:.2f}",
            f"{local.ms_per_step:.1f}",
            f"{dask.ms_per_step:.1f}",
            f"{dask.ms_per_step - local.ms_per_step:+.1f}",
            f"{local.span / local.steps * 1000:.1f} / {dask.span / dask.steps * 1000:.1f}",
        )
    console.print(per_step)
    fixed_local = timings["single step @ local"].seconds
    fixed_dask = timings[f"single step @ {CLUSTER}"].seconds
    chain_local = timings[f"chain of {TRIVIAL_STEPS} @ local"].seconds
    chain_dask = timings[f"chain of {TRIVIAL_STEPS} @ {CLUSTER}"].seconds
    derived.update(
        {
            "fixed_s_local": fixed_local,
            "fixed_s_dask": fixed_dask,
            "chain_marginal_ms_local": (chain_local - fixed_local) / (TRIVIAL_STEPS - 1) * 1000,
            "chain_marginal_ms_dask": (chain_dask - fixed_dask) / (TRIVIAL_STEPS - 1) * 1000,
        }
    )
    notes = [
        "wall s: submit until wait_for_completion returns, with the default detached runner (forked by duto's "
        "command server, which has dask loaded). On the Dask target it includes starting the LocalCluster and "
        "closing it.",
        "steps span s: the first step's start to the last step's end, from the step run records: the parallel "
        "part alone, without the cluster's start and shutdown.",
        "mean loop s: the busy loop's own time inside each step; above ~1 s on the cluster, the two steps did not "
        "get a core each (other load on the machine, or the runner and Dask's processes).",
        "span ms/step (local / Dask): the steps' own span over their count, from the run records, without the "
        "run's start and end.",
        f"each busy step runs {iterations:,} loop iterations, calibrated to ~{BUSY_SECONDS:g} s on one core here.",
        f"fixed cost of a run (single step): local {fixed_local:.2f} s, Dask {fixed_dask:.2f} s "
        f"({fixed_dask - fixed_local:+.2f} s: the cluster's start and stop, a client, a task per step).",
        f"each added step of the chain, fixed cost taken out ((chain - single) / {TRIVIAL_STEPS - 1}): "
        f"local {derived['chain_marginal_ms_local']:.1f} ms, Dask {derived['chain_marginal_ms_dask']:.1f} ms "
        f"({derived['chain_marginal_ms_dask'] - derived['chain_marginal_ms_local']:+.1f} ms).",
    ]
    for note in notes:
        console.print(note, style="dim", highlight=False)
    return derived


def main() -> int:
    os.environ.pop("DUTO_RUNNER", None)  # the default, as users get it: a detached runner process
    os.environ.pop("DUTO_WORKSPACE", None)
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    started = time.perf_counter()
    timings: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory(prefix="duto-bench-targets-") as tmp:
        root = Path(tmp)
        ws = Workspace.create(root / "ws")
        source = root / "src"
        source.mkdir()
        (source / "busy.py").write_text(BUSY_SCRIPT)
        (source / "trivial.py").write_text(TRIVIAL_SCRIPT)
        ComputeTarget.create(ws, CLUSTER, DaskCompute.provisioning_configuration(n_workers=WORKERS))
        ComputeTarget.create(ws, SERIAL, LocalCompute.provisioning_configuration(max_concurrency=1))
        iterations = calibrate(sys.executable, source / "busy.py")

        with console.status("warming up: interpreter, duto, dask, the runner and the environment's venv"):
            for target in ("local", CLUSTER):
                run_once(ws, source, trivial_steps(target, 2))
            run_once(ws, source, trivial_steps("local", 2, bare_environment()))
        for round_ in range(ROUNDS):
            with console.status(f"(a) round {round_ + 1}/{ROUNDS}: steps in a built environment and in the default"):
                for label, config in (("default", None), ("environment", bare_environment())):
                    measure(
                        timings,
                        ws,
                        source,
                        f"chain of {TRIVIAL_STEPS} ({label})",
                        "local",
                        TRIVIAL_STEPS,
                        lambda c=config: StepSequence(steps=trivial_steps("local", TRIVIAL_STEPS, c)),
                    )
        for target in (SERIAL, CLUSTER) * BUSY_ROUNDS:
            with console.status(f"(b) {BUSY_STEPS} busy steps on {target}"):
                measure(
                    timings,
                    ws,
                    source,
                    f"{BUSY_STEPS} busy steps",
                    target,
                    BUSY_STEPS,
                    lambda t=target: busy_steps(t, iterations),
                )
        for round_ in range(ROUNDS):
            for target in ("local", CLUSTER):
                with console.status(f"(c) round {round_ + 1}/{ROUNDS}: trivial steps on {target}"):
                    measure(timings, ws, source, "single step", target, 1, lambda t=target: trivial_steps(t, 1))
                    measure(
                        timings,
                        ws,
                        source,
                        f"chain of {TRIVIAL_STEPS}",
                        target,
                        TRIVIAL_STEPS,
                        lambda t=target: StepSequence(steps=trivial_steps(t, TRIVIAL_STEPS)),
                    )
                    measure(
                        timings,
                        ws,
                        source,
                        f"fan-out of {TRIVIAL_STEPS}",
                        target,
                        TRIVIAL_STEPS,
                        lambda t=target: trivial_steps(t, TRIVIAL_STEPS),
                    )
    derived = report(console, timings, iterations)
    figures = {
        "total_s": round(time.perf_counter() - started, 2),
        "derived": {k: round(v, 4) for k, v in derived.items()},
        "results": [t.to_json() for t in timings.values()],
    }
    write_figures("targets", figures, console)
    return 0


if __name__ == "__main__":
    with own_command_servers():
        sys.exit(main())
