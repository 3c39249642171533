"""Compute targets over real HTTP: each with its capacity and the steps that hold it while they run."""

from __future__ import annotations

import pytest

from conftest import poll
from duto import Experiment
from duto.compute import ComputeTarget, LocalCompute
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

SLEEP = """
import time
print("sleeping", flush=True)
time.sleep(120)
"""


@pytest.mark.timeout(120)
def test_compute_lists_targets_with_capacity_and_the_steps_running_on_them(served, ws, write_script) -> None:  # type: ignore[no-untyped-def]
    ComputeTarget.create(ws, "gpu", LocalCompute.provisioning_configuration(max_concurrency=2))
    step = PythonScriptStep(
        "sleep.py", name="nap", source_directory=write_script("sleep.py", SLEEP), compute_target="gpu"
    )
    run = Experiment(ws, "naps").submit(Pipeline(ws, [step]))
    try:
        with served.client("read") as reader:

            def gpu() -> dict[str, object]:
                answer = reader.get("/api/compute")
                assert answer.status_code == 200, answer.text
                targets = {t["name"]: t for t in answer.json()}
                assert next(iter(targets)) == "local", "the built-in target first"
                return targets["gpu"]  # type: ignore[no-any-return]

            held = poll(lambda: gpu() if gpu()["running"] else None, timeout=60)
            assert held["type"] == "local" and held["capacity"] == 2 and held["in_use"] == 1
            [running] = held["running"]
            assert running["run_id"] == run.id and running["step"] == "nap" and running["experiment"] == "naps"
            assert running["step_run_id"] == run.step_run("nap").id and running["status"] in ("Preparing", "Running")
            run.cancel()
            assert run.wait_for_completion(show_output=False, timeout_seconds=30, raise_on_error=False) == "Canceled"
            assert gpu()["running"] == [] and gpu()["in_use"] == 0
    finally:
        run.cancel()
