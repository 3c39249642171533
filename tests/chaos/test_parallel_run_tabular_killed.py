"""Chaos: the runner of a ParallelRunStep over a CSV file cut into 100 DataFrame mini-batches is SIGKILLed
half-way. The resumed run scores only the mini-batches the killed one had not finished: each one's id is its
file's content and row range, so the plan made again finds the finished ones by id."""

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

ROWS = 2000
# Notes every call's ids in a file of its own (written before scoring), then takes a little while per call.
SCORE = """
import os, sys, time, uuid
def run(mini_batch):
    with open(os.path.join(sys.argv[1], uuid.uuid4().hex), "w") as f:
        f.write("\\n".join(str(i) for i in mini_batch["id"]))
    time.sleep(0.04)
    return mini_batch[["id"]]
"""


@pytest.mark.timeout(240)
def test_a_tabular_parallel_run_killed_half_way_resumes_from_the_mini_batches_it_finished(
    tmp_path: Path, workspaces, figures
):
    ws = new_workspace(workspaces, tmp_path / "ws")
    table = ws.get_default_datastore().root / "table"
    table.mkdir(parents=True)
    (table / "rows.csv").write_text("id,value\n" + "".join(f"{i:06d},{i % 7}\n" for i in range(ROWS)))
    calls = tmp_path / "calls"
    calls.mkdir()
    src = tmp_path / "src"
    src.mkdir()
    (src / "score.py").write_text(SCORE)
    rows = Dataset.Tabular.from_delimited_files(DataPath(ws.get_default_datastore(), "table/rows.csv"))
    out = PipelineData("scores", datastore=ws.get_default_datastore())
    config = ParallelRunConfig(entry_script="score.py", source_directory=str(src), mini_batch_size=20 * 9)
    step = ParallelRunStep("score", config, inputs=[rows], output=out, arguments=[str(calls)])

    run = Experiment(ws, "chaos").submit(Pipeline(ws, [step]))
    poll(lambda: finished_batches(ws) >= 20, timeout=120, interval=0.01)
    runner = run._row.runner_pid
    os.kill(runner, signal.SIGKILL)
    poll(lambda: not alive(runner), timeout=10)

    resumed = run_duto("runs", "resume", run.id, "--detach", cwd=ws.root)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert run.wait_for_completion(show_output=False, timeout_seconds=180) == "Finished"

    scored = collections.Counter(int(i) for f in calls.iterdir() for i in f.read_text().split("\n") if i)
    assert set(scored) == set(range(ROWS))
    again = sorted(i for i, times in scored.items() if times > 1)
    assert len(again) <= 20, f"only the mini-batch in flight at the kill is scored again, not {again}"
    score = run.find_step_run("score")[0]
    written = (Path(score.get_output_data("scores").local_path) / "parallel_run_step.txt").read_text().splitlines()
    assert [int(r) for r in written] == list(range(ROWS))
    log = score.get_stdout_log()
    reused = int(log.split(f"parallel run: {ROWS} items; ")[-1].split(" reused")[0])
    assert reused >= 400, log
    figures.append(f"runner SIGKILLed after >= 20 of 100 mini-batches; the resumed run reused {reused} rows")
    figures.append(f"rows scored twice (the mini-batch in flight at the kill): {len(again)}")
