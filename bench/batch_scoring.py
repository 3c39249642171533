"""Batch scoring of 10,000 small files with a trivial model: a ParallelRunStep on 2 Dask workers against a plain
Python loop, and the same step again after 1% of the files changed.

After a warm-up run over 20 other files (so the command server that forks runners is up, as in a working
session), on a fresh workspace with 10,000 files of 32 to 96 bytes under the default datastore's `images/`:

- **plain loop**: `python loop.py` reads and scores every file in one process and writes one row per file (the
  interpreter's start included, as a job of its own would pay it);
- **first run**: `Experiment.submit` of a one-step pipeline, a ParallelRunStep on a Dask target of 2 workers (a
  LocalCluster of threads, started by the run), `node_count=2`, one process per node, the default mini-batch size
  (10 files), until `wait_for_completion` returns;
- **after 1% changed**: 100 files rewritten, the same pipeline submitted again: only those 100 files are scored,
  the rows of the other 9,900 reused;
- **unchanged**: submitted once more with nothing changed (the whole step reused);
- **a model of 1 ms a file**: the first run and the run after another 1% changed, with an entry script that
  spends 1 ms of CPU on each file.

The model is a function of the file's bytes (its length and a checksum), so the figures are of what duto adds,
not of a model. A last table splits the re-run's time into its phases, read from the run's event stream: the
submit (hashing the dataset to learn whether the step can be reused whole), the runner deciding (hashing it
again, as the inputs may have changed since), planning and starting the nodes, scoring and committing, and the
follower's seeing the end. Aim: the re-run after 1% changed under 5% of the first run's time. Every line is timed in the
same run on the same machine; the figures are ratios between them. Figures go to bench/results/batch_scoring.json.
Run it with `make bench` or `.venv/bin/python bench/batch_scoring.py`. See bench/README.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from figures import write_figures
from rich.console import Console
from rich.table import Table
from servers import own_command_servers

from duto import DataPath, Dataset, Experiment, Workspace
from duto.compute import ComputeTarget, DaskCompute
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import ParallelRunConfig, ParallelRunStep

FILES = 10_000
CHANGED = FILES // 100
AIM = 0.05

SCORE = """
import os, zlib

def score(path):
    data = open(path, "rb").read()
    return f"{os.path.basename(path)} {len(data)} {zlib.crc32(data) % 1000}"

def init():
    pass

def run(mini_batch):
    return [score(p) for p in mini_batch]
"""

# A model that costs something: 1 ms of CPU a file (a small network on a CPU costs more), so the share of the
# re-run that is fixed cost shows against scoring that is not trivial.
SCORE_1MS = """
import os, time, zlib

def score(path):
    data = open(path, "rb").read()
    until = time.thread_time() + 0.001
    while time.thread_time() < until:
        pass
    return f"{os.path.basename(path)} {len(data)} {zlib.crc32(data) % 1000}"

def init():
    pass

def run(mini_batch):
    return [score(p) for p in mini_batch]
"""

LOOP = """
import os, sys
from score import score
folder, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    for name in sorted(os.listdir(folder)):
        f.write(score(os.path.join(folder, name)) + "\\n")
"""


def write_files(folder: Path, count: int) -> None:
    """The files, dated a minute back as settled data is (a file written this very second is hashed again)."""
    folder.mkdir(parents=True, exist_ok=True)
    then = time.time() - 60
    for i in range(count):
        path = folder / f"img{i:05d}.txt"
        path.write_text(f"{i}:" + "x" * (32 + i % 64))
        os.utime(path, (then, then))


def pipeline(ws: Workspace, src: Path, folder: str = "images") -> Pipeline:
    images = Dataset.File.from_files(DataPath(ws.get_default_datastore(), folder)).as_named_input("images")
    scores = PipelineData("scores", datastore=ws.get_default_datastore())
    config = ParallelRunConfig(
        entry_script="score.py",
        source_directory=str(src),
        output_action="append_row",
        error_threshold=0,
        compute_target="cluster",
        node_count=2,
        process_count_per_node=1,
    )
    return Pipeline(ws, [ParallelRunStep("score", config, inputs=[images], output=scores)])


def timed_run(ws: Workspace, src: Path, folder: str = "images") -> tuple[float, Any, list[tuple[str, float]]]:
    """The seconds from submit to `wait_for_completion` returning, the step run, and the run's phases."""
    wall_started, started = time.time(), time.perf_counter()
    run = Experiment(ws, "batch-scoring").submit(pipeline(ws, src, folder))
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    seconds = time.perf_counter() - started
    if status != "Finished":
        raise SystemExit(f"the run ended {status}: {run.find_step_run('score')[0].reason}")
    return seconds, run.find_step_run("score")[0], phases(run, wall_started, wall_started + seconds)


def phases(run: Any, submitted: float, returned: float) -> list[tuple[str, float]]:
    """The run's time split at its events: (phase, seconds), in order."""
    marks: dict[str, float] = {}
    for event in run.events_after(0, limit=100_000):
        status = event.payload.get("status")
        if event.kind == "run_status" and status == "Running":
            marks.setdefault("runner", event.created_at)
        elif event.kind == "reuse_decision":
            marks.setdefault("decided", event.created_at)
        elif event.kind == "step_status" and status == "Running":
            marks.setdefault("started", event.created_at)
        elif event.kind == "run_status" and status == "Finished":
            marks.setdefault("finished", event.created_at)
    if len(marks) < 4:  # reused whole: the submit did it all
        return [("submit, reused whole", returned - submitted)]
    points = [
        ("submit: hash the dataset, start a runner", submitted, marks["runner"]),
        ("runner: hash it again, decide", marks["runner"], marks["decided"]),
        ("plan the mini-batches, start the nodes", marks["decided"], marks["started"]),
        ("score, gather the rows, commit", marks["started"], marks["finished"]),
        ("the follower sees the end", marks["finished"], returned),
    ]
    return [(name, end - start) for name, start, end in points]


def main() -> int:
    console = Console()
    with tempfile.TemporaryDirectory(prefix="duto-bench-scoring-") as tmp:
        root = Path(tmp)
        ws = Workspace.create(root / "ws")
        os.chdir(ws.root)
        ComputeTarget.create(ws, "cluster", DaskCompute.provisioning_configuration(n_workers=2))
        src = root / "src"
        src.mkdir()
        (src / "score.py").write_text(SCORE)
        (src / "loop.py").write_text(LOOP)
        images = ws.get_default_datastore().root / "images"
        write_files(images, FILES)

        # A warm-up run over a few other files first: the command server that forks runners starts once, and
        # its imports and the files of duto are in the page cache for every timed line.
        write_files(ws.get_default_datastore().root / "warm-up", 20)
        timed_run(ws, src, "warm-up")

        started = time.perf_counter()
        subprocess.run([sys.executable, "loop.py", str(images), str(root / "loop.txt")], cwd=src, check=True)
        loop = time.perf_counter() - started

        first, step, _ = timed_run(ws, src)
        rows = (Path(step.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text()
        if rows != (root / "loop.txt").read_text():
            raise SystemExit("the step's rows differ from the loop's")

        for i in range(0, FILES, FILES // CHANGED):
            (images / f"img{i:05d}.txt").write_text(f"changed {i}:" + "y" * (32 + i % 64))
        rerun, step, rerun_phases = timed_run(ws, src)
        log = step.get_stdout_log()
        planned = next(line for line in log.splitlines() if "parallel run:" in line)
        unchanged, reused, _ = timed_run(ws, src)

        costly = root / "src-1ms"
        costly.mkdir()
        (costly / "score.py").write_text(SCORE_1MS)
        costly_first, _, _ = timed_run(ws, costly)
        for i in range(1, FILES, FILES // CHANGED):
            (images / f"img{i:05d}.txt").write_text(f"changed {i}:" + "z" * (32 + i % 64))
        costly_rerun, _, _ = timed_run(ws, costly)

    table = Table(title=f"Batch scoring of {FILES:,} small files (a trivial model)")
    for column in ("line", "seconds", "÷ first run", "what ran"):
        table.add_column(column, justify="left" if column in ("line", "what ran") else "right")
    table.add_row("plain Python loop", f"{loop:.2f}", f"{loop / first:.3f}", "one process, every file")
    table.add_row("ParallelRunStep, first run", f"{first:.2f}", "1.000", "2 Dask workers, 1,000 mini-batches")
    table.add_row(
        f"after {CHANGED} files changed", f"{rerun:.2f}", f"{rerun / first:.3f}", planned.split("parallel run: ")[-1]
    )
    table.add_row("unchanged", f"{unchanged:.2f}", f"{unchanged / first:.3f}", f"reused whole: {reused.is_reused}")
    table.add_section()
    table.add_row("a model of 1 ms a file, first run", f"{costly_first:.2f}", "", "every file scored")
    table.add_row(
        f"  after {CHANGED} files changed",
        f"{costly_rerun:.2f}",
        f"{costly_rerun / costly_first:.3f}",
        f"÷ its own first run ({CHANGED} files scored)",
    )
    console.print(table)
    split = Table(title=f"Where the re-run after {CHANGED} files changed spends its time")
    for column in ("phase", "seconds", "÷ first run"):
        split.add_column(column, justify="left" if column == "phase" else "right")
    for name, seconds in rerun_phases:
        split.add_row(name, f"{seconds:.3f}", f"{seconds / first:.3f}")
    console.print(split)
    console.print(
        f"step ÷ loop: {first / loop:.1f}; re-run after 1% ÷ first run: {rerun / first:.3f} "
        f"(aim under {AIM}: {'met' if rerun / first < AIM else 'not met'}); with a model of 1 ms a file: "
        f"{costly_rerun / costly_first:.3f}",
        highlight=False,
    )
    write_figures(
        "batch_scoring",
        {
            "files": FILES,
            "changed": CHANGED,
            "seconds": {
                "loop": loop,
                "first": first,
                "after_1pc": rerun,
                "unchanged": unchanged,
                "model_1ms_first": costly_first,
                "model_1ms_after_1pc": costly_rerun,
            },
            "step_over_loop": first / loop,
            "rerun_over_first": rerun / first,
            "model_1ms_rerun_over_first": costly_rerun / costly_first,
            "rerun_phases": dict(rerun_phases),
            "aim_rerun_over_first": AIM,
        },
        console,
    )
    return 0


if __name__ == "__main__":
    with own_command_servers():
        code = main()
    sys.exit(code)
