"""Local wheels, folders, URLs and wheels stored in the workspace: real uv builds from wheels written here."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import write_wheel
from duto import Workspace
from duto.environment import Environment
from duto.environments import EnvironmentBuilder, EnvironmentBuildError
from duto.environments.local_sources import missing_sources
from duto.errors import ConfigError, WheelExistsError
from duto.facade.content_cache import collect_garbage
from duto.graph.environment import CondaDependencies, PythonSection


def spec_of(*packages: str, options: tuple[str, ...] = ("--no-index",)) -> dict[str, Any]:
    dependencies = CondaDependencies.create(pip_packages=list(packages))
    for option in options:
        dependencies.set_pip_option(option)
    return Environment("local", python=PythonSection(conda_dependencies=dependencies)).to_spec()


def version_in(python: Path) -> str:
    found = subprocess.run(
        [str(python), "-c", "import tinypkg; print(tinypkg.VERSION)"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


@pytest.mark.timeout(60)
def test_a_rebuilt_local_wheel_builds_a_new_venv_with_its_new_content(tmp_path: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs", duto_dir=tmp_path)
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="first")
    spec = spec_of(str(wheel))

    first = builder.build(spec, io.BytesIO())
    write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="second")  # same file name, new content
    log = io.BytesIO()
    second = builder.build(spec, log)

    assert version_in(first.python) == "first" and version_in(second.python) == "second"
    assert first.key != second.key, "the wheel's content is part of the venv's key"
    assert list(first.sources) == [str(wheel)] and first.sources != second.sources
    assert second.packages == {"tinypkg": wheel.as_uri()}
    assert "--refresh-package tinypkg" in log.getvalue().decode(), "uv reads the wheel afresh, not from its cache"
    assert builder.find(spec) == second


def test_a_url_counts_by_its_text_and_reads_nothing(tmp_path: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs", duto_dir=tmp_path)
    url = "git+https://github.com/example/gitpkg.git@{}#egg=gitpkg"
    git = spec_of(url.format("v1"), options=())

    assert builder.sources(git) == {}
    assert builder.key(git) == builder.key(spec_of(url.format("v1"), options=()))
    assert builder.key(git) != builder.key(spec_of(url.format("v2"), options=()))


def test_a_missing_local_wheel_says_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "dist" / "tinypkg-1.0-py3-none-any.whl"
    spec = spec_of(str(missing))

    assert missing_sources(spec, tmp_path) == [
        f"its environment 'local' installs {str(missing)!r}, which does not exist; build the wheel (or fix the "
        "path; a relative path is taken from the folder the environment was defined in)"
    ]
    with pytest.raises(EnvironmentBuildError, match="does not exist; build the wheel"):
        EnvironmentBuilder(tmp_path / "envs", duto_dir=tmp_path).build(spec, io.BytesIO())


@pytest.mark.timeout(60)
def test_a_wheel_stored_in_the_workspace_installs_by_its_reference(ws: Workspace, tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="stored")

    reference = Environment.add_private_pip_wheel(ws, wheel)
    env = Environment("private")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[reference])
    env.python.conda_dependencies.set_pip_option("--no-index")
    wheel.unlink()  # the workspace's copy is what gets installed
    built = env.build_local(ws)

    assert reference == "duto-workspace://wheels/tinypkg-1.0-py3-none-any.whl"
    assert (ws.root / ".duto" / "wheels" / wheel.name).is_file()
    assert version_in(built.python) == "stored"
    assert built.packages == {"tinypkg": reference}, "recorded by reference, not by this machine's path"
    assert list(built.sources) == [reference]


def test_add_private_pip_wheel_refuses_other_content_under_the_same_name(ws: Workspace, tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="first")
    reference = Environment.add_private_pip_wheel(ws, wheel)
    stored = ws.root / ".duto" / "wheels" / wheel.name

    assert Environment.add_private_pip_wheel(ws, wheel) == reference, "the same wheel again is fine"
    write_wheel(tmp_path / "dist", "tinypkg", "1.0", says="second")
    with pytest.raises(WheelExistsError) as refused:
        Environment.add_private_pip_wheel(ws, wheel)
    assert "'tinypkg-1.0-py3-none-any.whl'" in str(refused.value) and "exist_ok=True" in str(refused.value)
    assert b"'first'" in stored.read_bytes(), "the stored wheel is left as it was"
    assert Environment.add_private_pip_wheel(ws, wheel, exist_ok=True) == reference
    assert stored.read_bytes() == wheel.read_bytes()
    assert [p.name for p in stored.parent.iterdir()] == [wheel.name], "no partial copy is left"


def test_add_private_pip_wheel_needs_a_wheel_file(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Environment.add_private_pip_wheel(ws, tmp_path / "tinypkg-1.0-py3-none-any.whl")
    (tmp_path / "tinypkg.zip").write_bytes(b"PK")
    with pytest.raises(ConfigError, match="not a wheel's file name"):
        Environment.add_private_pip_wheel(ws, tmp_path / "tinypkg.zip")


def test_cache_gc_leaves_stored_wheels(ws: Workspace, tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path / "dist", "tinypkg", "1.0")
    Environment.add_private_pip_wheel(ws, wheel)

    collect_garbage(ws)

    assert (ws.root / ".duto" / "wheels" / wheel.name).read_bytes() == wheel.read_bytes()
