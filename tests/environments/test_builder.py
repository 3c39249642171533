"""Building venvs with uv: real builds from wheels written in the test, with no network."""

from __future__ import annotations

import fcntl
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import write_wheel
from duto.environments import EnvironmentBuilder, EnvironmentBuildError
from duto.environments.builder import METADATA_FILE, build_inputs
from duto.environments.pip_config import machine_index_options
from duto.graph.environment import CondaDependencies, Environment, PythonSection


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    write_wheel(folder, "tinypkg", "1.0")
    write_wheel(folder, "otherpkg", "2.5")
    return folder


def offline_spec(wheels: Path, *packages: str, name: str = "tiny", **extra: Any) -> dict[str, Any]:
    """An environment spec installing only from the test's wheels."""
    dependencies = CondaDependencies.create(pip_packages=list(packages), python_version=extra.pop("python", None))
    dependencies.set_pip_option(f"--find-links={wheels}")
    dependencies.set_pip_option("--no-index")
    return Environment(name, python=PythonSection(conda_dependencies=dependencies), **extra).to_spec()


def leftovers(envs: Path) -> list[str]:
    return sorted(p.name for p in envs.iterdir() if p.name.startswith(".tmp-")) if envs.exists() else []


def test_build_installs_the_packages_and_records_them(tmp_path: Path, wheels: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs")
    spec = offline_spec(wheels, "tinypkg==1.0")
    log = io.BytesIO()

    built = builder.build(spec, log)

    assert built.packages == {"tinypkg": "1.0"}
    assert tmp_path / "envs" / builder.key(spec) == built.path
    assert built.python == built.path / "bin" / "python"
    assert built.python_version.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    imported = subprocess.run(
        [str(built.python), "-c", "import tinypkg, sys; print(tinypkg.VERSION, sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"1.0 {built.path}" == imported.stdout.strip()
    text = log.getvalue().decode()
    assert "$ uv venv --relocatable" in text
    assert "$ uv pip install" in text and "tinypkg==1.0" in text
    assert (built.path / METADATA_FILE).is_file()
    assert built == builder.find(spec)
    assert leftovers(tmp_path / "envs") == []


def test_a_built_env_is_reused_without_running_uv(tmp_path: Path, wheels: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs")
    first = builder.build(offline_spec(wheels, "tinypkg==1.0"), io.BytesIO())
    log = io.BytesIO()

    # Same packages under another name, version and variables: the same venv.
    again = builder.build(
        offline_spec(wheels, "tinypkg==1.0", name="other", version="3", environment_variables={"A": "1"}), log
    )

    assert first == again
    assert log.getvalue() == b""


def test_the_key_depends_on_what_the_venv_holds_only(tmp_path: Path, wheels: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs")
    base = builder.key(offline_spec(wheels, "tinypkg==1.0", "otherpkg"))

    assert base == builder.key(offline_spec(wheels, "otherpkg", "tinypkg==1.0", name="x", version="9"))
    assert base != builder.key(offline_spec(wheels, "tinypkg==1.0"))
    assert base != builder.key(offline_spec(wheels, "tinypkg==1.0", "otherpkg", python="3.11"))
    assert base != builder.key(offline_spec(tmp_path / "elsewhere", "tinypkg==1.0", "otherpkg"))
    assert len(base) == 16


def test_an_environment_without_packages_runs_no_install(tmp_path: Path) -> None:
    log = io.BytesIO()

    built = EnvironmentBuilder(tmp_path / "envs").build(Environment("bare").to_spec(), log)

    assert built.packages == {}
    assert "$ uv pip install" not in log.getvalue().decode()
    assert built.python.exists()


BUILD_SCRIPT = """
import json, sys
from pathlib import Path
from duto.environments import EnvironmentBuilder

spec = json.loads(sys.argv[2])
with open(sys.argv[3], "wb") as log:
    built = EnvironmentBuilder(Path(sys.argv[1])).build(spec, log)
print(json.dumps({"path": str(built.path), "built_at": built.built_at}))
"""


def test_two_processes_needing_one_env_build_it_once(tmp_path: Path, wheels: Path) -> None:
    envs = tmp_path / "envs"
    spec = offline_spec(wheels, "tinypkg==1.0", "otherpkg==2.5")
    script = tmp_path / "build.py"
    script.write_text(textwrap.dedent(BUILD_SCRIPT))
    logs = [tmp_path / "log-a.txt", tmp_path / "log-b.txt"]

    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(envs), json.dumps(spec), str(log)], stdout=subprocess.PIPE, text=True
        )
        for log in logs
    ]
    results = [json.loads(process.communicate(timeout=60)[0]) for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    assert results[0] == results[1]
    builds = [log.read_text().count("$ uv venv") for log in logs]
    assert sorted(builds) == [0, 1]
    assert [results[0]["path"]] == [str(b.path) for b in EnvironmentBuilder(envs).list()]
    assert leftovers(envs) == []


def test_a_failing_install_leaves_nothing_behind(tmp_path: Path, wheels: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs")
    spec = offline_spec(wheels, "tinypkg==1.0", "no-such-package-anywhere==1.0", name="broken")
    log = io.BytesIO()

    with pytest.raises(EnvironmentBuildError) as caught:
        builder.build(spec, log)

    assert caught.value.environment == "broken"
    assert "no-such-package-anywhere" in str(caught.value)
    assert "uv pip install" in str(caught.value)
    assert "no-such-package-anywhere" in log.getvalue().decode()
    assert leftovers(tmp_path / "envs") == []
    assert builder.find(spec) is None
    assert builder.list() == []


def test_a_python_the_machine_lacks_is_a_clear_error_not_a_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "automatic")  # the builder must override it
    builder = EnvironmentBuilder(tmp_path / "envs")
    spec = Environment.from_spec({"name": "ancient", "python_version": "3.99", "pip_packages": []}).to_spec()

    with pytest.raises(EnvironmentBuildError) as caught:
        builder.build(spec, io.BytesIO())

    assert caught.value.environment == "ancient"
    assert "no usable Python 3.99 on this machine, and duto never downloads one" in str(caught.value)
    assert "No interpreter found for Python 3.99" in str(caught.value)
    assert leftovers(tmp_path / "envs") == []


def test_refresh_builds_anew_and_replaces(tmp_path: Path, wheels: Path) -> None:
    builder = EnvironmentBuilder(tmp_path / "envs")
    spec = offline_spec(wheels, "tinypkg")
    first = builder.build(spec, io.BytesIO())
    (first.path / "marker").write_text("from the first build")
    log = io.BytesIO()

    second = builder.build(spec, log, refresh=True)

    assert first.path == second.path
    assert second.built_at > first.built_at
    assert "$ uv venv" in log.getvalue().decode()
    assert not (second.path / "marker").exists()
    assert second.packages == {"tinypkg": "1.0"}
    assert leftovers(tmp_path / "envs") == []


def test_user_managed_environments_are_not_built(tmp_path: Path) -> None:
    spec = Environment.from_spec({"name": "mine", "user_managed": True, "interpreter": "/usr/bin/python3"}).to_spec()

    with pytest.raises(ValueError, match="user-managed"):
        EnvironmentBuilder(tmp_path / "envs").build(spec, io.BytesIO())


def test_gc_keeps_what_it_is_told_and_removes_the_rest(tmp_path: Path, wheels: Path) -> None:
    envs = tmp_path / "envs"
    builder = EnvironmentBuilder(envs)
    kept = builder.build(offline_spec(wheels, "tinypkg"), io.BytesIO())
    dropped = builder.build(Environment("bare").to_spec(), io.BytesIO())
    stray = envs / f".tmp-{'0' * 16}-deadbeef"
    (stray / "bin").mkdir(parents=True)
    building = envs / f".tmp-{'1' * 16}-cafe"
    building.mkdir()

    with (envs / f"{'1' * 16}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a build of that key is going on in "another process"
        removed = builder.gc(keep={kept.key})

    assert sorted([dropped.key, stray.name]) == sorted(removed)
    assert [kept] == builder.list()
    assert building.exists()
    assert builder.remove(kept.key)
    assert not builder.remove(kept.key)
    assert builder.list() == []


def test_gc_removes_a_folder_built_in_place_that_was_never_completed(tmp_path: Path, wheels: Path) -> None:
    envs = tmp_path / "envs"
    builder = EnvironmentBuilder(envs)
    kept = builder.build(offline_spec(wheels, "tinypkg"), io.BytesIO())
    incomplete = envs / ("2" * 16)  # a conda prefix whose build died before its metadata was written
    (incomplete / "bin").mkdir(parents=True)
    busy = envs / ("3" * 16)  # one being built in place right now
    busy.mkdir()

    with (envs / f"{busy.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        removed = builder.gc(keep={kept.key, incomplete.name, busy.name})

    assert removed == [incomplete.name]
    assert busy.exists()
    assert [kept] == builder.list()


def test_the_key_says_whether_a_conda_tool_or_pypi_installs_the_conda_packages(wheels: Path) -> None:
    plain = offline_spec(wheels, "tinypkg")
    conda = conda_spec(wheels, "tinypkg")
    key = EnvironmentBuilder._key

    assert build_inputs(plain, "micromamba") == build_inputs(plain), "no conda packages: keys stay as they were"
    assert key(plain, {}, "micromamba") == key(plain, {}, None)
    assert len({key(conda, {}, None), key(conda, {}, "micromamba"), key(conda, {}, "conda")}) == 3
    assert build_inputs(conda, "micromamba")["conda_channels"] == ["conda-forge"]
    assert "conda_tool" not in build_inputs(conda)


def test_machine_index_options_follow_pip_configuration(tmp_path: Path) -> None:
    system = tmp_path / "pip-system.conf"
    system.write_text("[global]\nindex-url = https://mirror.example/simple\nfind-links = /opt/wheels\n")
    user = tmp_path / "pip-user.conf"
    user.write_text("[global]\nextra-index-url =\n    file:///opt/pypi/simple\n    file:///opt/more/simple\n")
    files = (str(system), str(user), str(tmp_path / "missing.conf"))

    assert machine_index_options([], environ={}, config_files=files) == [
        "--index-url=https://mirror.example/simple",
        "--extra-index-url=file:///opt/pypi/simple",
        "--extra-index-url=file:///opt/more/simple",
        "--find-links=/opt/wheels",
    ]
    assert machine_index_options(["--index-url=https://own.example/simple"], environ={}, config_files=files) == [
        "--extra-index-url=file:///opt/pypi/simple",
        "--extra-index-url=file:///opt/more/simple",
        "--find-links=/opt/wheels",
    ]
    assert machine_index_options(["--no-index", "--find-links=/x"], environ={}, config_files=files) == []
    assert machine_index_options(
        [], environ={"PIP_INDEX_URL": "https://env.example/simple", "PIP_FIND_LINKS": "/a /b"}, config_files=files
    ) == [
        "--index-url=https://env.example/simple",
        "--extra-index-url=file:///opt/pypi/simple",
        "--extra-index-url=file:///opt/more/simple",
        "--find-links=/a",
        "--find-links=/b",
    ]


def conda_spec(wheels: Path, *conda_packages: str) -> dict[str, Any]:
    """An environment spec asking for conda packages, on a machine whose only index is the test's wheels."""
    dependencies = CondaDependencies.create(conda_packages=list(conda_packages))
    dependencies.set_pip_option(f"--find-links={wheels}")
    dependencies.set_pip_option("--no-index")
    return Environment("conda", python=PythonSection(conda_dependencies=dependencies)).to_spec()


def test_conda_packages_are_installed_from_pypi_names_and_the_log_says_so(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no conda or micromamba on it
    log = io.BytesIO()

    built = EnvironmentBuilder(tmp_path / "envs").build(conda_spec(wheels, "conda-forge::tinypkg=1.0"), log)

    assert built.packages == {"tinypkg": "1.0"}
    text = log.getvalue().decode()
    assert (
        "# conda package conda-forge::tinypkg=1.0 installed from PyPI as tinypkg==1.0.* "
        "(no conda or micromamba on PATH)" in text
    )
    assert "conda_tool" not in built.spec


def test_a_conda_package_pypi_lacks_too_is_refused_by_name(
    tmp_path: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))

    with pytest.raises(EnvironmentBuildError) as caught:
        EnvironmentBuilder(tmp_path / "envs").build(conda_spec(wheels, "tinypkg", "nosuchcondapkg"), io.BytesIO())

    assert "conda package(s) 'nosuchcondapkg' could not be installed" in caught.value.reason
    assert leftovers(tmp_path / "envs") == []
