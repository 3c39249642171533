"""Chaos: the runner of a ParallelRunStep over 1,000 files is SIGKILLed half-way. The resumed run scores only the
mini-batches the killed one had not finished: each finished mini-batch's result was kept as it ended."""

from __future__ import annotations

import collections
import os
import signal
from pathlib import Path

import pytest

from chaos.conftest import finished_batches, new_workspace
from conftest import poll, run_duto
from duto import DataPath, Dataset, Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import ParallelRunConfig, ParallelRunStep
from duto.processes import alive

FILES = 1000
# Notes every call's items in a file of its own (written before scoring), then takes a little while per call.
SCORE = """
import os, sys, time, uuid
def run(mini_batch):
    with open(os.path.join(sys.argv[1], uuid.uuid4().hex), "w") as f:
        f.write("\\n".join(os.path.basename(p) for p in mini_batch))
    time.sleep(0.04)
    return [os.path.basename(p) + " scored" for p in mini_batch]
"""


@pytest.mark.timeout(240)
def test_a_parallel_run_killed_half_way_resumes_without_scoring_finished_mini_batches_again(
    tmp_path: Path, workspaces, figures
):
    ws = new_workspace(workspaces, tmp_path / "ws")
    images = ws.get_default_datastore().root / "images"
    images.mkdir(parents=True)
    for i in range(FILES):
        (images / f"f{i:04d}.txt").write_text(str(i))
    calls = tmp_path / "calls"
    calls.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    (src / "score.py").write_text(SCORE)
    files = Dataset.File.from_files(DataPath(ws.get_default_datastore(), "images")).as_named_input("images")
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    config = ParallelRunConfig(entry_script="score.py", source_directory=str(src), error_threshold=0)
    step = ParallelRunStep("score", config, inputs=[files], output=out, arguments=[str(calls)])

    run = Experiment(ws, "chaos").submit(Pipeline(ws, [step]))
    poll(lambda: finished_batches(ws) >= 20, timeout=120, interval=0.01)
    runner = run._row.runner_pid
    os.kill(runner, signal.SIGKILL)
    poll(lambda: not alive(runner), timeout=10)

    resumed = run_duto("runs", "resume", run.id, "--detach", cwd=ws.root)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert run.wait_for_completion(show_output=False, timeout_seconds=180) == "Finished"

    scored = collections.Counter(name for f in calls.iterdir() for name in f.read_text().split("\n") if name)
    assert set(scored) == {f"f{i:04d}.txt" for i in range(FILES)}
    again = sorted(name for name, times in scored.items() if times > 1)
    assert len(again) <= 10, f"only the mini-batch in flight at the kill is scored again, not {again}"
    score = run.find_step_run("score")[0]
    rows = (Path(score.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().splitlines()
    assert rows == [f"f{i:04d}.txt scored" for i in range(FILES)]
    log = score.get_stdout_log()
    reused = int(log.split("parallel run: 1000 items; ")[-1].split(" reused")[0])
    assert reused >= 200, log
    figures.append(f"runner SIGKILLed after >= 20 of 100 mini-batches; the resumed run reused {reused} items' rows")
    figures.append(f"items scored twice (the mini-batch in flight at the kill): {len(again)}")
