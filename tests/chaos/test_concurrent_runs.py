"""Chaos (c): four runs of the same pipeline, submitted at the same moment by four processes. Every run finishes
and every step's fingerprint is executed once: the other runs wait for it and reuse it.
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections import Counter

from chaos.conftest import new_workspace
from duto import Workspace

RUNS = 4
PIPELINE = """
from pathlib import Path
from duto import Workspace
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import CommandStep

log = Path(__file__).parent / "executions.txt"
ws = Workspace.from_config()
prep = PipelineData("prep")
write_prep = f'echo prep >> {log}; sleep 0.3; mkdir -p "$DUTO_OUTPUT_prep"; echo p > "$DUTO_OUTPUT_prep/p"'
steps = [CommandStep(write_prep, name="prep", outputs=[prep])]
for i in range(3):
    out = PipelineData(f"m{i}")
    copy = f'mkdir -p "$DUTO_OUTPUT_m{i}"; cat "$DUTO_INPUT_prep/p" > "$DUTO_OUTPUT_m{i}/m"'
    model = f"echo model{i} >> {log}; sleep 0.3; {copy}"
    steps.append(CommandStep(model, name=f"model{i}", inputs=[prep.as_input("prep")], outputs=[out]))
pipeline = Pipeline(ws, steps)
"""


def test_four_runs_submitted_at_once_execute_each_step_once(tmp_path, workspaces, processes, figures):
    ws: Workspace = new_workspace(workspaces, tmp_path / "ws")
    (ws.root / "pipe.py").write_text(textwrap.dedent(PIPELINE))
    started = time.monotonic()
    submitters = [
        processes.start([sys.executable, "-m", "duto.cli", "run", "pipe.py", "--detach"], cwd=ws.root)
        for _ in range(RUNS)
    ]
    run_ids = []
    for proc in submitters:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        run_ids.append(out.strip().splitlines()[0])
    statuses = [ws.get_run(r).wait_for_completion(show_output=False, timeout_seconds=120) for r in run_ids]
    took = time.monotonic() - started

    assert statuses == ["Finished"] * RUNS
    executions = Counter((ws.root / "executions.txt").read_text().split())
    assert executions == Counter({"prep": 1, "model0": 1, "model1": 1, "model2": 1}), executions
    steps = [s for r in run_ids for s in ws.get_run(r).get_steps()]
    ran = [s for s in steps if not s.is_reused]
    assert len(ran) == 4 and len({s._row.fingerprint for s in ran}) == 4
    assert all(s.get_status() == "Finished" for s in steps)
    figures.append(
        f"{RUNS} runs of a 4-step pipeline submitted at once by {RUNS} processes: all Finished in {took:.1f} s"
    )
    figures.append(f"{len(ran)} step executions, one per fingerprint; {len(steps) - len(ran)} step runs reused them")
