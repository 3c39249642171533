"""`duto env list|build|gc`, run as real subprocesses, building from a wheel written in the test (no network)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from conftest import run_duto, write_wheel
from duto import Workspace
from duto.conda_dependencies import CondaDependencies
from duto.environment import Environment, PythonSection
from duto.environments import EnvironmentBuilder, workspace_envs_dir


def duto(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_duto(*args, cwd=cwd)


def offline_environment(name: str, wheels: Path, *packages: str) -> Environment:
    dependencies = CondaDependencies.create(pip_packages=list(packages))
    dependencies.set_pip_option(f"--find-links={wheels}")
    dependencies.set_pip_option("--no-index")
    return Environment(name, python=PythonSection(conda_dependencies=dependencies))


def test_build_list_and_gc_environments(ws: Workspace, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    write_wheel(wheels, "tinypkg", "1.0")
    offline_environment("tiny", wheels, "tinypkg==1.0").register(ws)
    offline_environment("tiny-too", wheels, "tinypkg==1.0").register(ws)
    builder = EnvironmentBuilder(workspace_envs_dir(ws.config))
    stray = builder.build(offline_environment("unregistered", wheels).to_spec(), io.BytesIO())

    built = duto("env", "build", "tiny", cwd=ws.root)
    again = duto("env", "build", "tiny-too", "--version", "1", cwd=ws.root)
    listed = duto("env", "list", cwd=ws.root)
    collected = duto("env", "gc", cwd=ws.root)

    assert built.returncode == 0, built.stderr
    assert "$ uv pip install" in built.stderr and "tinypkg==1.0" in built.stderr
    assert "built environment 'tiny' version 1" in built.stdout and "tinypkg==1.0" in built.stdout
    assert again.returncode == 0, again.stderr
    assert "is built already" in again.stdout and "$ uv" not in again.stderr
    (venv,) = [b for b in builder.list() if b.key != stray.key]
    assert listed.returncode == 0, listed.stderr
    assert "tiny-too" in listed.stdout and "tinypkg==1.0" in listed.stdout
    assert venv.key in listed.stdout and "tiny:1, tiny-too:1" in listed.stdout
    assert stray.key in listed.stdout and "no registered environment" in listed.stdout
    assert collected.returncode == 0, collected.stderr
    assert f"removed {stray.key}" in collected.stdout
    assert [venv] == builder.list()


def test_building_an_unknown_environment_is_one_red_line(ws: Workspace) -> None:
    Environment("known").register(ws)

    result = duto("env", "build", "unknown", cwd=ws.root)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: no environment named 'unknown'")
    assert "known" in result.stderr


def test_a_failed_build_is_one_red_line_after_uvs_output(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "no-wheels").mkdir()
    offline_environment("broken", tmp_path / "no-wheels", "no-such-package-anywhere").register(ws)

    result = duto("env", "build", "broken", cwd=ws.root)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error: environment 'broken' could not be built: `uv pip install` exited with code 1" in result.stderr
    assert "no-such-package-anywhere was not found" in result.stderr  # uv's own words, streamed as it said them
    assert result.stderr.count("no-such-package-anywhere was not found") == 1
    assert result.stderr.splitlines()[-1].startswith("error: environment 'broken'")
    assert EnvironmentBuilder(workspace_envs_dir(ws.config)).list() == []


def test_gc_keeps_the_venvs_of_runs_not_yet_ended(ws: Workspace, tmp_path: Path) -> None:
    from duto.graph.status import RunStatus

    wheels = tmp_path / "wheels"
    write_wheel(wheels, "tinypkg", "1.0")
    spec = offline_environment("unregistered", wheels, "tinypkg==1.0").to_spec()
    builder = EnvironmentBuilder(workspace_envs_dir(ws.config))
    built = builder.build(spec, io.BytesIO())
    step = {"name": "s", "kind": "command", "kind_version": 1, "compute_target": "local", "environment": spec}
    document = {"kind": "duto.pipeline", "schema_version": 1, "steps": [step], "edges": []}
    ws.runs_store.create_pipeline_run("run-1", "e", document, {}, {}, False, False, [("step-1", "s", "local")])

    kept = duto("env", "gc", cwd=ws.root)
    assert kept.returncode == 0, kept.stderr
    assert built.path.is_dir(), "a run not yet ended may still need it"
    ws.runs_store.set_run_status("run-1", RunStatus.CANCELED, "test")
    assert duto("env", "gc", cwd=ws.root).returncode == 0
    assert not built.path.exists()
