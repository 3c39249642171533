"""Whole runs on a real Dask LocalCluster (127.0.0.1): steps split between local cores and the cluster."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from duto import Experiment
from duto.compute import ComputeTarget, DaskCompute
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep

WRITE = """
import os, sys
from duto import Run
os.makedirs(sys.argv[2], exist_ok=True)
text = open(os.path.join(sys.argv[1], "x.txt")).read() if len(sys.argv) > 4 else "start"
open(os.path.join(sys.argv[2], "x.txt"), "w").write(text + "+" + sys.argv[-1] + ":" + str(os.getpid()))
Run.get_context().log("pid", os.getpid())
"""


@pytest.mark.timeout(180)
def test_data_flows_between_local_and_a_dask_cluster(ws, write_script, tmp_path):
    ComputeTarget.create(ws, "cluster", DaskCompute.provisioning_configuration(n_workers=2))
    src = write_script("write.py", WRITE)
    a, b = PipelineData("a"), PipelineData("b")
    first = PythonScriptStep(
        "write.py", name="local-first", source_directory=src, arguments=["-", a, "first"], outputs=[a]
    )
    second = PythonScriptStep(
        "write.py",
        name="on-cluster",
        source_directory=src,
        arguments=[a, b, "x", "second"],
        outputs=[b],
        compute_target="cluster",
    )
    run = Experiment(ws, "dask").submit(Pipeline(ws, [first, second]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    step = run.find_step_run("on-cluster")[0]
    assert step.compute_target == "cluster"
    out = step.get_output_data("b").download(tmp_path / "down", show_progress=False)
    text = (Path(out) / "x.txt").read_text()
    assert text.startswith("start+first:") and "+second:" in text
    assert step.get_metrics()["pid"] != run.find_step_run("local-first")[0].get_metrics()["pid"]
    runner_log = run.layout.runner_log.read_text()
    assert "Traceback" not in runner_log


@pytest.mark.timeout(180)
def test_cancel_stops_a_step_on_the_cluster(ws, write_script, wait_until):
    ComputeTarget.create(ws, "cluster", DaskCompute.provisioning_configuration(n_workers=1))
    src = write_script("long.py", "import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(120)\n")
    step = PythonScriptStep("long.py", source_directory=src, compute_target="cluster", allow_reuse=False)
    run = Experiment(ws, "dask-cancel").submit(Pipeline(ws, [step]))
    step_run = run.get_steps()[0]
    line = wait_until(lambda: [x for x in step_run.get_stdout_log().splitlines() if x.startswith("pid ")], timeout=60)
    pid = int(line[0].split()[1])
    began = time.monotonic()
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert time.monotonic() - began < 10
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=10)
    runner_pid = ws.runs_store.pipeline_run(run.id).runner_pid
    wait_until(lambda: not os.path.exists(f"/proc/{runner_pid}") or _zombie(runner_pid), timeout=20)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[-1].startswith("Z")
    except OSError:
        return True
