"""Chaos (d): eight steps, in eight runs with eight runners, log metrics as fast as they can for 30 s while CLI
readers query the same SQLite DB. No process sees "database is locked", and every metric is stored.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from chaos.conftest import new_workspace
from duto import ComputeTarget, Experiment
from duto.compute import LocalCompute
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from duto.storage import models

STEPS = 8
SECONDS = float(os.environ.get("DUTO_CHAOS_METRICS_SECONDS", "30"))
LOCKED = "database is locked"

# Logs metrics until its time is up, with a little rest between them; writes how many it logged.
LOGGER = """
import sys, time
from duto import Run
seconds, counted = float(sys.argv[1]), sys.argv[2]
run = Run.get_context()
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
    run.log("loss", 1.0 / n, step=n)
    if n % 10 == 0:
        run.parent.log("progress", n)
    time.sleep(0.004)
open(counted, "w").write(str(n))
"""


def test_eight_runners_log_metrics_for_30_s_while_readers_query(tmp_path, workspaces, processes, figures):
    ws = new_workspace(workspaces, tmp_path / "ws")
    ComputeTarget.create(ws, "wide", LocalCompute.provisioning_configuration(max_concurrency=STEPS))
    code = tmp_path / "code"
    code.mkdir()
    (code / "logger.py").write_text(LOGGER)
    runs = []
    for i in range(STEPS):
        step = PythonScriptStep(
            "logger.py",
            name="logger",
            source_directory=str(code),
            arguments=[str(SECONDS), str(tmp_path / f"count{i}")],
            compute_target="wide",
            allow_reuse=False,
        )
        runs.append(Experiment(ws, f"metrics{i}").submit(Pipeline(ws, [step])))

    reads = 0
    readers_output: list[str] = []
    stop = threading.Event()

    def read_while_they_log() -> None:
        nonlocal reads
        while not stop.is_set():
            for run in runs[:2]:
                proc = processes.start([sys.executable, "-m", "duto.cli", "metrics", run.id, "--json"], ws.root)
                out, err = proc.communicate(timeout=60)
                readers_output.append(out + err)
                reads += 1
            proc = processes.start([sys.executable, "-m", "duto.cli", "runs", "list", "-n", "8"], ws.root)
            out, err = proc.communicate(timeout=60)
            readers_output.append(out + err)
            reads += 1

    reader = threading.Thread(target=read_while_they_log)
    started = time.monotonic()
    reader.start()
    try:
        statuses = [r.wait_for_completion(show_output=False, timeout_seconds=SECONDS + 120) for r in runs]
    finally:
        stop.set()
        reader.join(timeout=120)
    took = time.monotonic() - started

    assert statuses == ["Finished"] * STEPS
    logged = [int((tmp_path / f"count{i}").read_text()) for i in range(STEPS)]
    stored = 0
    with ws.database.reading() as s:
        for run, count in zip(runs, logged, strict=True):
            step_id = run.get_steps()[0].id
            losses = s.query(models.Metric).filter_by(run_id=step_id, name="loss").count()
            progress = s.query(models.Metric).filter_by(run_id=run.id, name="progress").count()
            assert (losses, progress) == (count, count // 10), f"run {run.id}: every metric is stored, once"
            stored += losses + progress
    logs = [Path(r.layout.runner_log) for r in runs] + [Path(s.layout.std_log) for r in runs for s in r.get_steps()]
    texts = [p.read_text(errors="replace") for p in logs if p.exists()] + readers_output
    locked = sum(text.count(LOCKED) for text in texts)
    assert locked == 0
    assert reads > 0 and all("Traceback" not in text for text in readers_output)
    figures.append(f"{STEPS} runners ingesting {STEPS} steps' metrics for {SECONDS:g} s, {reads} CLI reads meanwhile")
    figures.append(
        f"{stored} metrics stored ({stored / took:.0f} a second), all of them; {locked} 'database is locked'"
    )
