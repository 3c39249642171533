"""Chaos (a): the runner is killed with SIGKILL at 20 random moments of a 10-step pipeline that writes real files,
and the run is resumed each time. The outputs come out byte-identical to an uninterrupted run's, the store
holds nothing corrupt, no row is left going, and no step that had finished before a kill ran again.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from chaos.conftest import new_workspace
from conftest import poll, run_duto
from duto import Experiment, Workspace
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.processes import alive
from duto.storage import models

KILLS = 20
STEPS = 10
SEED = int(os.environ.get("DUTO_CHAOS_SEED", "20261202"))
GOING = {"NotStarted", "Queued", "Preparing", "Running"}

# Reads its inputs, writes 256 KiB that depend on them and on its name, and notes each start and end of it in
# a file outside the run: the side effects that tell how often a step ran.
WORK = """
import hashlib, os, sys, time
name, executions, out, *inputs = sys.argv[1:]
with open(executions, "a") as f:
    f.write(f"{name} start\\n")
seed = hashlib.sha256(name.encode())
for path in inputs:
    seed.update(open(os.path.join(path, "data.bin"), "rb").read())
time.sleep(0.12)
os.makedirs(out, exist_ok=True)
block = seed.digest()
with open(os.path.join(out, "data.bin"), "wb") as f:
    for i in range(2048):
        f.write(hashlib.sha256(block + i.to_bytes(4, "big")).digest() * 4)
with open(executions, "a") as f:
    f.write(f"{name} end\\n")
"""


def pipeline(ws: Workspace, code: Path, executions: Path) -> Pipeline:
    """Ten steps, each reading the outputs of the one or two before it."""
    outputs: list[PipelineData] = []
    steps = []
    for i in range(STEPS):
        out = PipelineData(f"d{i}")
        inputs = outputs[-2:]
        steps.append(
            PythonScriptStep(
                "work.py",
                name=f"s{i}",
                source_directory=str(code),
                arguments=[f"s{i}", str(executions), out, *inputs],
                inputs=inputs,
                outputs=[out],
            )
        )
        outputs.append(out)
    return Pipeline(ws, steps)


def starts(executions: Path) -> Counter[str]:
    if not executions.exists():
        return Counter()
    return Counter(line.split()[0] for line in executions.read_text().splitlines() if line.endswith(" start"))


def output_bytes(run) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    found = {}
    for step in run.get_steps():
        data = step.get_output_data(f"d{step.name[1:]}")
        found[step.name] = (data.local_path / "data.bin").read_bytes()
    return found


def rows_going(ws: Workspace) -> list[str]:
    with ws.database.reading() as s:
        runs = [r.id for r in s.query(models.PipelineRun) if r.status in GOING]
        steps = [f"{r.pipeline_run_id}/{r.name}" for r in s.query(models.StepRun) if r.status in GOING]
    return runs + steps


def test_kill_the_runner_at_20_random_moments_and_resume_each_time(tmp_path, workspaces, figures):
    rng = random.Random(SEED)
    code = tmp_path / "code"
    code.mkdir()
    (code / "work.py").write_text(WORK)

    started = time.monotonic()
    reference_ws = new_workspace(workspaces, tmp_path / "reference")
    reference = Experiment(reference_ws, "chaos").submit(pipeline(reference_ws, code, tmp_path / "reference.txt"))
    assert reference.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"
    expected = output_bytes(reference)
    uninterrupted = time.monotonic() - started

    kills, runs, reruns, resume_waits = 0, 0, 0, []
    while kills < KILLS:
        runs += 1
        ws = new_workspace(workspaces, tmp_path / f"ws{runs}")
        executions = tmp_path / f"executions{runs}.txt"
        run = Experiment(ws, "chaos").submit(pipeline(ws, code, executions))
        seen: list[tuple[set[str], Counter[str]]] = []  # after each kill: the finished steps, the starts so far
        while kills < KILLS:
            poll(lambda run=run: run.driver.live() or run.get_status() not in GOING, timeout=60)
            time.sleep(rng.uniform(0.05, 0.45))
            runner = run._row.runner_pid
            if run.get_status() not in GOING or runner is None:
                break
            os.kill(runner, signal.SIGKILL)
            poll(lambda runner=runner: not alive(runner), timeout=10)
            if run.get_status() not in GOING:
                break  # it ended just before the kill
            kills += 1
            finished = {s.name for s in run.get_steps() if s.get_status() == "Finished"}
            seen.append((finished, starts(executions)))
            asked = time.monotonic()
            resumed = run_duto("runs", "resume", run.id, "--detach", cwd=ws.root)
            assert resumed.returncode == 0, resumed.stdout + resumed.stderr
            poll(lambda run=run: run.driver.live() or run.get_status() not in GOING, timeout=30)
            resume_waits.append(time.monotonic() - asked)
        if run.get_status() in GOING and not run.driver.live():
            assert run.resume()
        assert run.wait_for_completion(show_output=False, timeout_seconds=120) == "Finished"

        assert output_bytes(run) == expected, "outputs byte-identical to the uninterrupted run's"
        final = starts(executions)
        for finished, before in seen:
            for step in finished:
                assert final[step] == before[step], f"{step} had finished before a kill, and ran again"
        reruns += sum(final.values()) - STEPS
        verify = run_duto("cache", "verify", cwd=ws.root)
        assert verify.returncode == 0 and ", 0 corrupt" in verify.stdout, verify.stdout + verify.stderr
        assert rows_going(ws) == []

    figures.append(f"{kills} SIGKILLs of the runner over {runs} runs of a {STEPS}-step pipeline (seed {SEED})")
    figures.append(f"{reruns} step executions repeated (steps interrupted while running); none of a finished step")
    figures.append(f"outputs byte-identical to an uninterrupted run ({uninterrupted:.1f} s); cache verify: 0 corrupt")
    median = sorted(resume_waits)[len(resume_waits) // 2]
    figures.append(f"`duto runs resume` until a new runner holds the run: median {median * 1000:.0f} ms")
    figures.append(f"took {time.monotonic() - started:.1f} s")
