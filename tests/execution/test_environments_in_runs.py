"""Steps in their own uv-built environments, through whole runs: built once, reused, part of the fingerprint."""

from __future__ import annotations

import pytest

from conftest import write_wheel
from duto import Environment, Experiment, RunConfiguration
from duto.conda_dependencies import CondaDependencies
from duto.errors import PipelineValidationError
from duto.pipeline import Pipeline
from duto.pipeline.steps import PythonScriptStep

USES_PACKAGE = """
import sys, tinypkg
from duto import Run
print("python", sys.executable)
print("tinypkg", tinypkg.VERSION)
Run.get_context().log("tiny_version", tinypkg.VERSION)
"""


def offline_environment(wheels, version: str) -> Environment:
    env = Environment("tiny")
    dependencies = CondaDependencies.create(pip_packages=[f"tinypkg=={version}"])
    dependencies.set_pip_option(f"--find-links={wheels}")
    dependencies.set_pip_option("--no-index")
    env.python.conda_dependencies = dependencies
    env.environment_variables = {"FROM_ENV": "yes"}
    return env


def test_steps_run_in_a_built_environment_that_is_reused_and_fingerprinted(ws, write_script, tmp_path):
    wheels = tmp_path / "wheels"
    write_wheel(wheels, "tinypkg", "1.0")
    write_wheel(wheels, "tinypkg", "2.0")
    src = write_script("use.py", USES_PACKAGE)
    write_script("env.py", "import os\nprint('FROM_ENV', os.environ['FROM_ENV'])\n")

    def build(version: str) -> Pipeline:
        config = RunConfiguration(environment=offline_environment(wheels, version))
        return Pipeline(
            ws,
            [
                PythonScriptStep("use.py", source_directory=src, runconfig=config),
                PythonScriptStep("env.py", source_directory=src, runconfig=config),
            ],
        )

    first = Experiment(ws, "envs").submit(build("1.0"))
    assert first.wait_for_completion(show_output=False) == "Finished"
    use, env_step = first.find_step_run("use.py")[0], first.find_step_run("env.py")[0]
    log = use.get_stdout_log()
    assert "tinypkg 1.0" in log and "/.duto/envs/" in log, log
    assert "FROM_ENV yes" in env_step.get_stdout_log()
    assert use.get_metrics() == {"tiny_version": "1.0"}, "the step API works in an env without duto"
    components = use.get_reuse_info()["components"]
    assert components["environment"]["packages"] == {"tinypkg": "1.0"}
    venvs = [p for p in (ws.config.duto_dir / "envs").iterdir() if not p.name.startswith(("step-api", "."))]
    assert len([p for p in venvs if p.is_dir()]) == 1, "both steps used one venv, built once"

    again = Experiment(ws, "envs").submit(build("1.0"))
    assert again.wait_for_completion(show_output=False) == "Finished"
    assert all(s.is_reused for s in again.get_steps())

    upgraded = Experiment(ws, "envs").submit(build("2.0"))
    assert upgraded.wait_for_completion(show_output=False) == "Finished"
    step = upgraded.find_step_run("use.py")[0]
    assert not step.is_reused
    assert "environment: package tinypkg: 1.0 -> 2.0" in step.get_reuse_info()["reasons"]
    assert "tinypkg 2.0" in step.get_stdout_log()

    from typer.testing import CliRunner

    from duto.cli.app import app

    shown = CliRunner().invoke(app, ["runs", "show", upgraded.id, "-w", str(ws.root)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "tinypkg==2.0" in shown.output and "environments" in shown.output


def test_a_failed_build_fails_the_step_with_uvs_error(ws, write_script, tmp_path):
    (tmp_path / "empty").mkdir()
    src = write_script("use.py", USES_PACKAGE)
    config = RunConfiguration(environment=offline_environment(tmp_path / "empty", "9.9"))
    run = Experiment(ws, "broken").submit(
        Pipeline(ws, [PythonScriptStep("use.py", source_directory=src, runconfig=config)])
    )
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    step = run.get_steps()[0]
    assert "could not build environment 'tiny'" in (step.reason or "")
    assert "tinypkg" in step.get_stdout_log(), "uv's own output is in the step's log"
    leftovers = [p.name for p in (ws.config.duto_dir / "envs").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_the_workspace_default_environment_serves_steps_that_name_none(ws, write_script, tmp_path):
    wheels = tmp_path / "wheels"
    write_wheel(wheels, "tinypkg", "1.0")
    offline_environment(wheels, "1.0").register(ws)
    ws.set_default_environment("tiny")
    src = write_script("use.py", USES_PACKAGE)
    run = Experiment(ws, "default-env").submit(Pipeline(ws, [PythonScriptStep("use.py", source_directory=src)]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert "tinypkg 1.0" in run.get_steps()[0].get_stdout_log()


def local_wheel_pipeline(ws, src: str, package: str) -> Pipeline:
    env = Environment("local-wheel")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[package])
    env.python.conda_dependencies.set_pip_option("--no-index")
    return Pipeline(ws, [PythonScriptStep("use.py", source_directory=src, runconfig=RunConfiguration(environment=env))])


@pytest.mark.timeout(90)
def test_a_rebuilt_local_wheel_runs_the_step_again(ws, write_script, tmp_path):
    src = write_script("use.py", USES_PACKAGE)
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="first build")

    first = Experiment(ws, "wheels").submit(local_wheel_pipeline(ws, src, str(wheel)))
    assert first.wait_for_completion(show_output=False) == "Finished"
    again = Experiment(ws, "wheels").submit(local_wheel_pipeline(ws, src, str(wheel)))
    assert again.wait_for_completion(show_output=False) == "Finished"
    write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="second build")  # same file name, new content
    rebuilt = Experiment(ws, "wheels").submit(local_wheel_pipeline(ws, src, str(wheel)))
    assert rebuilt.wait_for_completion(show_output=False) == "Finished"

    assert "tinypkg first build" in first.get_steps()[0].get_stdout_log()
    assert again.get_steps()[0].is_reused
    step = rebuilt.get_steps()[0]
    assert not step.is_reused
    assert "tinypkg second build" in step.get_stdout_log()
    assert f"environment: local package {wheel} changed" in step.get_reuse_info()["reasons"]


@pytest.mark.timeout(90)
def test_a_wheel_stored_in_the_workspace_replaced_with_exist_ok_runs_the_step_again(ws, write_script, tmp_path):
    src = write_script("use.py", USES_PACKAGE)
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="stored first")
    reference = Environment.add_private_pip_wheel(ws, wheel)

    first = Experiment(ws, "stored").submit(local_wheel_pipeline(ws, src, reference))
    assert first.wait_for_completion(show_output=False) == "Finished"
    write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="stored second")
    assert Environment.add_private_pip_wheel(ws, wheel, exist_ok=True) == reference
    second = Experiment(ws, "stored").submit(local_wheel_pipeline(ws, src, reference))
    assert second.wait_for_completion(show_output=False) == "Finished"

    assert "tinypkg stored first" in first.get_steps()[0].get_stdout_log()
    step = second.get_steps()[0]
    assert not step.is_reused and "tinypkg stored second" in step.get_stdout_log()
    assert f"environment: local package {reference} changed" in step.get_reuse_info()["reasons"]
    assert step.get_reuse_info()["components"]["environment"]["packages"] == {"tinypkg": reference}


def test_a_missing_local_wheel_is_refused_at_submit_naming_the_step(ws, write_script, tmp_path):
    src = write_script("use.py", USES_PACKAGE)
    missing = tmp_path / "dist" / "tinypkg-1.0-py3-none-any.whl"
    pipeline = local_wheel_pipeline(ws, src, str(missing))

    with pytest.raises(PipelineValidationError) as refused:
        Experiment(ws, "missing").submit(pipeline)

    message = str(refused.value)
    assert "use.py" in message and str(missing) in message and "build the wheel" in message
    assert ws.runs_store.pipeline_runs() == [], "nothing was submitted"
