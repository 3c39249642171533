"""One script submitted as a run of its own (v1's `Experiment.submit(ScriptRunConfig)`), and CommandStep from one."""

from __future__ import annotations

from pathlib import Path

import pytest

from duto import Experiment, ScriptRunConfig
from duto.errors import ConfigError, DutoError, StepRunError
from duto.pipeline import Pipeline
from duto.pipeline.steps import CommandStep
from duto.runconfig import DEFAULT_CPU_IMAGE, DockerConfiguration, RunConfiguration

TRAIN = """
import argparse, os
from duto import Run

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float)
args = parser.parse_args()
run = Run.get_context()
run.log("alpha", args.alpha)
for loss in (0.5, 0.25):
    run.log("loss", loss)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.txt", "w") as f:
    f.write(f"alpha={args.alpha}")
print("trained with", args.alpha)
"""


@pytest.mark.timeout(120)
def test_a_v1_script_run_keeps_its_logs_metrics_and_outputs(ws, write_script, tmp_path):
    src = ScriptRunConfig(
        source_directory=write_script("train.py", TRAIN), script="train.py", arguments=["--alpha", 0.1]
    )

    run = Experiment(ws, "script").submit(src)

    assert run.wait_for_completion(show_output=False) == "Finished"
    assert run.get_metrics() == {"alpha": 0.1, "loss": [0.5, 0.25]}
    assert run.get_file_names() == ["outputs/model.txt"]
    copied = run.download_file("outputs/model.txt", output_file_path=str(tmp_path / "model.txt"))
    assert Path(copied).read_text() == "alpha=0.1"
    assert "trained with 0.1" in run.get_stdout_log()
    assert [s.name for s in run.get_steps()] == ["train.py"]
    with pytest.raises(DutoError, match=r"no file 'outputs/other\.txt'"):
        run.download_file("outputs/other.txt")


@pytest.mark.timeout(120)
def test_each_submission_of_a_script_runs_it_again(ws, write_script):
    src = ScriptRunConfig(write_script("hi.py", "print('hi')\n"), "hi.py")

    first = Experiment(ws, "again").submit(src)
    first.wait_for_completion(show_output=False)
    second = Experiment(ws, "again").submit(src)
    second.wait_for_completion(show_output=False)

    assert not second.step.is_reused, "v1 runs a submitted script every time"


@pytest.mark.timeout(120)
def test_a_failing_script_raises_naming_it(ws, write_script):
    src = ScriptRunConfig(write_script("bad.py", "raise SystemExit(3)\n"), "bad.py")

    with pytest.raises(StepRunError, match=r"bad\.py"):
        Experiment(ws, "bad").submit(src).wait_for_completion(show_output=False)


@pytest.mark.timeout(120)
def test_a_base_image_with_docker_off_runs_in_the_local_environment(ws, write_script, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # no engine would answer
    run_config = RunConfiguration()
    run_config.environment.docker.base_image = DEFAULT_CPU_IMAGE
    src = ScriptRunConfig(write_script("local.py", "print('local')\n"), "local.py", run_config=run_config)

    assert Experiment(ws, "local").submit(src).wait_for_completion(show_output=False) == "Finished"


@pytest.mark.timeout(60)
def test_docker_asked_for_with_no_engine_is_refused_before_the_run(ws, write_script, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    src = ScriptRunConfig(
        write_script("d.py", "print('never')\n"), "d.py", docker_runtime_config=DockerConfiguration(use_docker=True)
    )

    with pytest.raises(DutoError, match=r"Docker image .mcr\.microsoft\.com/azureml/openmpi") as caught:
        Experiment(ws, "docker").submit(src)
    assert "DockerConfiguration(use_docker=False)" in str(caught.value)


@pytest.mark.timeout(120)
def test_a_command_step_takes_its_command_and_folder_from_a_script_run_config(ws, write_script):
    folder = write_script("echo.py", "import sys; print('got', *sys.argv[1:])\n")
    step = CommandStep(runconfig=ScriptRunConfig(folder, "echo.py", arguments=["a", "b"]), name="echo")

    run = Experiment(ws, "command").submit(Pipeline(ws, [step]))

    assert run.wait_for_completion(show_output=False) == "Finished"
    assert "got a b" in run.find_step_run("echo")[0].get_stdout_log()


def test_a_script_run_config_needs_a_script_or_a_command():
    with pytest.raises(ConfigError, match="either script"):
        ScriptRunConfig(".")
    with pytest.raises(ConfigError, match="either script"):
        ScriptRunConfig(".", script="a.py", command="echo hi")
