"""Compute capacity counted in cores and memory, and Docker environments refused before the run starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto import Experiment, RunConfiguration
from duto.compute import ComputeTarget, LocalCompute
from duto.errors import PipelineValidationError
from duto.graph.environment import Environment
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep
from duto.runconfig import DockerConfiguration, MpiConfiguration

SLEEPER = """
import json, sys, time
start = time.time(); time.sleep(0.6); end = time.time()
open(sys.argv[1], "w").write(json.dumps([start, end]))
"""


def test_a_steps_cores_count_against_its_target(ws, write_script, tmp_path):
    src = write_script("sleep.py", SLEEPER)
    ComputeTarget.create(ws, "two-cores", LocalCompute.provisioning_configuration(max_concurrency=2))
    wide = RunConfiguration(cores=2)
    steps = [
        PythonScriptStep(
            "sleep.py",
            name=f"wide{i}",
            arguments=[str(tmp_path / f"w{i}")],
            source_directory=src,
            compute_target="two-cores",
            runconfig=wide,
            allow_reuse=False,
        )
        for i in range(2)
    ]
    run = Experiment(ws, "cores").submit(Pipeline(ws, steps))
    assert run.wait_for_completion(show_output=False) == "Finished"
    (_, first_end), (second_start, _) = sorted(json.loads(Path(tmp_path / f"w{i}").read_text()) for i in range(2))
    assert first_end <= second_start, "two 2-core steps never share a 2-core target"

    too_big = PythonScriptStep(
        "sleep.py",
        name="too-big",
        arguments=[str(tmp_path / "x")],
        source_directory=src,
        compute_target="two-cores",
        runconfig=RunConfiguration(cores=3),
    )
    failed = Experiment(ws, "cores").submit(Pipeline(ws, [too_big]))
    assert failed.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    assert "asks for 3 cores" in (failed.get_steps()[0].reason or "")


def test_a_docker_environment_without_an_engine_fails_before_the_run(ws, write_script, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # no engine answers, on any machine
    src = write_script("a.py", "print('never runs')\n")
    env = Environment("in-docker")
    env.docker.base_image = "python:3.11-slim"
    docker_on = RunConfiguration(environment=env, docker=DockerConfiguration(use_docker=True))
    step = PythonScriptStep("a.py", source_directory=src, runconfig=docker_on)
    with pytest.raises(PipelineValidationError, match=r"Docker image .python:3\.11-slim.") as caught:
        Experiment(ws, "docker").submit(Pipeline(ws, [step]))
    assert "start a Docker engine" in str(caught.value)
    assert ws.runs_store.pipeline_runs() == [], "nothing was submitted"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("per_node", "nodes"), [(2, 1), (1, 3)])
def test_an_mpi_step_runs_one_process_and_its_log_says_so(ws, write_script, per_node, nodes):
    src = write_script("hello.py", "print('hello from one process')\n")
    run_config = RunConfiguration(mpi=MpiConfiguration(process_count_per_node=per_node, node_count=nodes))
    step = PythonScriptStep("hello.py", source_directory=src, runconfig=run_config)

    run = Experiment(ws, "mpi").submit(Pipeline(ws, [step]))

    assert run.wait_for_completion(show_output=False) == "Finished"
    log = run.get_steps()[0].get_stdout_log().splitlines()
    assert log.count("hello from one process") == 1
    warnings = [line for line in log if line.startswith("duto: warning:")]
    assert len(warnings) == 1 and f"asks for {per_node * nodes} processes" in warnings[0], log
    assert "runs one process" in warnings[0]


@pytest.mark.timeout(60)
def test_a_step_of_one_process_has_no_mpi_warning(ws, write_script):
    src = write_script("hello.py", "print('hello')\n")
    run_config = RunConfiguration(mpi=MpiConfiguration(process_count_per_node=1, node_count=1))
    run = Experiment(ws, "mpi").submit(
        Pipeline(ws, [PythonScriptStep("hello.py", source_directory=src, runconfig=run_config)])
    )

    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.get_steps()[0].get_stdout_log().splitlines() == ["hello"]
