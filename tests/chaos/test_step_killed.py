"""Chaos (b): a step's own process is killed with SIGKILL 10 times. The step retries or fails as its policy says,
each attempt's log is kept, and nothing partial is ever published or reusable.
"""

from __future__ import annotations

import os
import random
import signal
import time

from chaos.conftest import new_workspace
from conftest import poll
from duto import Experiment
from duto.pipeline import Pipeline, PipelineData
from duto.pipeline.steps import PythonScriptStep
from duto.processes import alive
from duto.storage.reuse_store import ReuseStore

KILLS = 10
SEED = int(os.environ.get("DUTO_CHAOS_SEED", "20261202"))

# Writes half its output, then waits for a flag before it writes the rest; says which attempt it is.
HALF_THEN_WAIT = """
import os, sys, time
out, flag, attempts = sys.argv[1:]
n = len(open(attempts).read().splitlines()) + 1 if os.path.exists(attempts) else 1
open(attempts, "a").write(f"{os.getpid()}\\n")
print(f"attempt {n}", flush=True)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "first-half.bin"), "wb").write(os.urandom(1 << 16))
while not os.path.exists(flag):
    time.sleep(0.01)
open(os.path.join(out, "second-half.bin"), "wb").write(b"complete")
"""


def published_files(ws) -> list[str]:  # type: ignore[no-untyped-def]
    root = ws.get_default_datastore().root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_kill_a_steps_process_10_times(tmp_path, workspaces, figures):
    rng = random.Random(SEED)
    ws = new_workspace(workspaces, tmp_path / "ws")
    code = tmp_path / "code"
    code.mkdir()
    (code / "half.py").write_text(HALF_THEN_WAIT)
    flag, attempts = tmp_path / "flag", tmp_path / "attempts"

    out = PipelineData("out")
    step = PythonScriptStep(
        "half.py",
        source_directory=str(code),
        arguments=[out, str(flag), str(attempts)],
        outputs=[out],
        max_retries=KILLS,
        retry_backoff_seconds=0.01,
    )
    started = time.monotonic()
    run = Experiment(ws, "chaos").submit(Pipeline(ws, [step]))
    step_run = run.get_steps()[0]
    killed: list[int] = []
    for kill in range(1, KILLS + 1):
        poll(lambda kill=kill: len(attempts.read_text().splitlines()) == kill if attempts.exists() else False, 30)
        pid = int(attempts.read_text().splitlines()[-1])
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        poll(lambda pid=pid: not alive(pid), timeout=10)
        assert published_files(ws) == [], "nothing partial is published"
        assert ReuseStore(ws.database).entries() == [], "nothing partial is reusable"
    poll(lambda: len(attempts.read_text().splitlines()) == KILLS + 1, timeout=30)
    flag.write_text("go")
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == "Finished"
    took = time.monotonic() - started

    history = step_run._row.attempts
    assert [a["attempt"] for a in history] == list(range(1, KILLS + 1))
    assert {a["reason"] for a in history} == {"killed by signal SIGKILL"}
    for n in range(1, KILLS + 1):
        assert (step_run.layout.attempt(n) / "std_log.txt").read_text().strip() == f"attempt {n}"
    assert step_run.get_stdout_log().strip() == f"attempt {KILLS + 1}"
    files = published_files(ws)
    assert [f.rsplit("/", 1)[1] for f in files] == ["first-half.bin", "second-half.bin"]
    assert len(ReuseStore(ws.database).entries()) == 1

    # With no retries left, one kill fails the step, and still nothing of it is published.
    flag.unlink()
    attempts.unlink()
    out_once = PipelineData("out")
    once = PythonScriptStep(
        "half.py",
        name="once",
        source_directory=str(code),
        arguments=[out_once, str(flag), str(attempts)],
        outputs=[out_once],
        allow_reuse=False,
    )
    failing = Experiment(ws, "chaos").submit(Pipeline(ws, [once]))
    poll(lambda: attempts.exists() and attempts.read_text().strip() != "", timeout=30)
    os.kill(int(attempts.read_text().split()[0]), signal.SIGKILL)
    assert failing.wait_for_completion(show_output=False, raise_on_error=False, timeout_seconds=60) == "Failed"
    assert failing.get_steps()[0].reason == "killed by signal SIGKILL"
    assert published_files(ws) == files

    figures.append(
        f"{KILLS} SIGKILLs of the step's process: {KILLS} failed attempts kept, attempt {KILLS + 1} finished"
    )
    waits = sum(0.01 * 2**i for i in range(KILLS))
    figures.append(f"nothing published or reusable after any kill; {took:.1f} s in all, {waits:.1f} s of it backoff")
    figures.append("with max_retries=0, one SIGKILL fails the step: 'killed by signal SIGKILL', nothing published")
