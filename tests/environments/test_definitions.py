"""Environment definitions: CondaDependencies, specs, requirement files, and registering versions in a workspace."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from duto import Workspace
from duto.conda_dependencies import CondaDependencies
from duto.environment import DockerSection, Environment, PythonSection
from duto.errors import ConfigError, EnvironmentNotFoundError
from duto.graph.environment import parse_conda_specification, parse_requirements
from duto.runconfig import DEFAULT_CPU_IMAGE


def pip_env(name: str, *packages: str) -> Environment:
    return Environment(name, python=PythonSection(conda_dependencies=CondaDependencies.create(pip_packages=packages)))


def test_conda_dependencies_keep_one_requirement_per_package() -> None:
    deps = CondaDependencies.create(
        pip_packages=["numpy==1.26.4", "scikit-learn"], conda_packages=["pip"], python_version="3.11"
    )
    deps.add_pip_package("NumPy>=2")
    deps.add_pip_package("pandas[parquet] ; python_version >= '3.9'")
    deps.remove_pip_package("scikit_learn")
    deps.set_pip_option("-f /opt/wheels")
    deps.set_pip_option("--index-url https://example.org/simple?token=a=b")
    deps.set_pip_option("--find-links=/opt/wheels")

    assert deps.pip_packages == ["NumPy>=2", "pandas[parquet] ; python_version >= '3.9'"]
    assert deps.python_version == "3.11"
    assert deps.conda_packages == ["pip", "python=3.11"]
    assert deps.pip_options == ["--find-links=/opt/wheels", "--index-url=https://example.org/simple?token=a=b"]


@pytest.mark.parametrize(
    ("conda_spec", "python_version"),
    [("python=3.11", "3.11"), ("python==3.11.4", "3.11.4"), ("python 3.12.*", "3.12"), ("python>=3.10", ">=3.10")],
)
def test_a_python_conda_package_sets_the_python_version(conda_spec: str, python_version: str) -> None:
    deps = CondaDependencies()
    deps.add_conda_package(conda_spec)

    assert deps.python_version == python_version


def test_to_spec_has_exactly_the_documented_keys_and_round_trips() -> None:
    env = pip_env("train", "tinypkg==1.0")
    env.python.conda_dependencies.set_python_version("3.11")
    env.python.conda_dependencies.set_pip_option("--no-index")
    env.environment_variables = {"B": "2", "A": "1"}
    env.docker.base_image = "python:3.11-slim"
    env.docker.enabled = True

    spec = env.to_spec()

    assert spec == {
        "name": "train",
        "version": None,
        "python_version": "3.11",
        "pip_packages": ["tinypkg==1.0"],
        "pip_options": ["--no-index"],
        "user_managed": False,
        "interpreter": None,
        "docker_image": "python:3.11-slim",
        "environment_variables": {"A": "1", "B": "2"},
    }
    assert Environment.from_spec(spec).to_spec() == spec
    assert isinstance(Environment.from_spec(spec), Environment)
    assert env.docker.enabled
    assert not DockerSection().enabled
    assert env.clone("copy").to_spec() == {**spec, "name": "copy"}


def test_conda_packages_are_recorded_for_the_build_and_round_trip() -> None:
    env = Environment("gpu")
    env.python.conda_dependencies = CondaDependencies.create(conda_packages=["python=3.11", "pip", "cudatoolkit=11"])

    spec = env.to_spec()

    assert (spec["python_version"], spec["conda_packages"]) == ("3.11", ["cudatoolkit=11"])
    assert Environment.from_spec(spec).to_spec() == spec
    assert "conda_packages" not in pip_env("plain", "numpy").to_spec(), "other specs stay as they were"


def test_conda_channels_are_recorded_with_conda_packages_only() -> None:
    env = Environment("geo")
    env.python.conda_dependencies = CondaDependencies.create(conda_packages=["gdal"])
    env.python.conda_dependencies.add_channel("bioconda")
    env.python.conda_dependencies.add_channel("conda-forge")
    plain = pip_env("plain", "numpy")
    plain.python.conda_dependencies.add_channel("conda-forge")

    spec = env.to_spec()

    assert spec["conda_channels"] == ["bioconda", "conda-forge"]
    assert Environment.from_spec(spec).to_spec() == spec
    assert "conda_channels" not in plain.to_spec(), "without conda packages channels decide nothing"


def test_a_base_image_alone_starts_no_container_as_in_v1() -> None:
    env = Environment("image-only")
    env.docker.base_image = DEFAULT_CPU_IMAGE

    assert env.to_spec()["docker_image"] is None
    env.docker.enabled = True
    assert env.to_spec()["docker_image"] == DEFAULT_CPU_IMAGE
    assert DockerSection(enabled=True).image == DEFAULT_CPU_IMAGE, "enabled without an image: v1's default"


def test_bad_definitions_are_refused_at_once() -> None:
    with pytest.raises(ConfigError, match="name"):
        Environment("a/b")
    with pytest.raises(ConfigError, match="editable"):
        CondaDependencies.create(pip_packages=["-e ./mypkg"])
    with pytest.raises(ConfigError, match="not a package requirement"):
        CondaDependencies.create(pip_packages=["=broken"])
    with pytest.raises(ConfigError, match="must start with '-'"):
        CondaDependencies().set_pip_option("no-index")
    env = Environment("vars", environment_variables={"N": 1})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="str to str"):
        env.to_spec()


def test_parse_requirements_reads_packages_and_index_options() -> None:
    text = textwrap.dedent(
        """\
        # the model's needs
        numpy==1.26.4  # pinned
        scikit-learn>=1.4 ; python_version >= "3.10"

        --find-links /opt/wheels
        -i https://mirror.example/simple
        --extra-index-url=https://more.example/simple
        --no-index
        tiny[extra]==\\
        1.0
        """
    )

    packages, options = parse_requirements(text)

    assert packages == ["numpy==1.26.4", 'scikit-learn>=1.4 ; python_version >= "3.10"', "tiny[extra]==1.0"]
    assert options == [
        "--find-links=/opt/wheels",
        "--index-url=https://mirror.example/simple",
        "--extra-index-url=https://more.example/simple",
        "--no-index",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-r other.txt", "nested requirement"),
        ("--requirement=other.txt", "nested requirement"),
        ("-c constraints.txt", "nested requirement or constraint"),
        ("-e ./mypkg", "editable"),
        ("numpy==1.26.4 --hash=sha256:abc", "--hash"),
    ],
)
def test_parse_requirements_refuses_what_it_cannot_honour(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_requirements(f"numpy\n{line}\n")


def test_parse_conda_specification() -> None:
    data = {
        "name": "project",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11", "pip", "conda-forge::libgdal", {"pip": ["tinypkg==1.0", "--no-index"]}],
    }

    assert parse_conda_specification(data) == ("3.11", ["tinypkg==1.0"], ["conda-forge::libgdal"], ["--no-index"])
    with pytest.raises(ConfigError, match="pip"):
        parse_conda_specification({"dependencies": [{"npm": ["left-pad"]}]})


def test_from_pip_requirements_and_from_conda_specification(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tinypkg==1.0\n--find-links ./wheels\n")
    conda = tmp_path / "environment.yml"
    conda.write_text("name: x\ndependencies:\n  - python=3.12\n  - pip\n  - pip:\n    - otherpkg>=2\n")
    geo = tmp_path / "geo.yml"
    geo.write_text("name: g\nchannels:\n  - bioconda\ndependencies:\n  - python=3.12\n  - gdal\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("-r more.txt\n")

    from_pip = Environment.from_pip_requirements("reqs", requirements)
    from_conda = Environment.from_conda_specification("conda", conda)

    assert from_pip.to_spec()["pip_packages"] == ["tinypkg==1.0"]
    assert from_pip.to_spec()["pip_options"] == [f"--find-links={Path.cwd() / 'wheels'}"], "as pip: from the cwd"
    assert (from_conda.to_spec()["python_version"], from_conda.to_spec()["pip_packages"]) == ("3.12", ["otherpkg>=2"])
    geo_spec = Environment.from_conda_specification("geo", geo).to_spec()
    assert (geo_spec["conda_packages"], geo_spec["conda_channels"]) == (["gdal"], ["bioconda"])
    with pytest.raises(ConfigError, match=r"bad\.txt"):
        Environment.from_pip_requirements("bad", bad)
    with pytest.raises(ConfigError, match="does not exist"):
        Environment.from_conda_specification("none", tmp_path / "missing.yml")


def test_register_versions_only_what_changed(ws: Workspace) -> None:
    first = pip_env("train", "tinypkg==1.0").register(ws)
    same = pip_env("train", "tinypkg==1.0").register(ws)
    changed = pip_env("train", "tinypkg==1.0", "otherpkg").register(ws)
    other = pip_env("score").register(ws)

    assert (first.version, same.version, changed.version, other.version) == ("1", "1", "2", "1")
    assert Environment.get(ws, "train").to_spec() == changed.to_spec()
    assert Environment.get(ws, "train", version="1").to_spec() == first.to_spec()
    assert Environment.get(ws, "train", version=2).version == "2"
    assert sorted(Environment.list(ws)) == ["score", "train"]
    assert {name: env.version for name, env in ws.environments.items()} == {"score": "1", "train": "2"}
    # Another process sees them: they live in the workspace's settings.
    assert Workspace.from_config(ws.root).environments["train"].to_spec() == changed.to_spec()


def test_unknown_environments_and_versions_name_what_there_is(ws: Workspace) -> None:
    pip_env("train").register(ws)

    with pytest.raises(EnvironmentNotFoundError) as no_name:
        Environment.get(ws, "trian")
    with pytest.raises(KeyError) as no_version:
        Environment.get(ws, "train", version="7")

    assert "no environment named 'trian'" in str(no_name.value) and "train" in str(no_name.value)
    assert "has no version '7'" in str(no_version.value) and "versions: 1" in str(no_version.value)


def test_a_settings_file_from_before_environments_still_loads(ws: Workspace) -> None:
    path = ws.root / ".duto" / "config.json"
    data = json.loads(path.read_text())
    del data["environments"], data["default_environment"]
    path.write_text(json.dumps(data))

    reopened = Workspace.from_config(ws.root)

    assert reopened.environments == {}
    assert reopened.config.default_environment is None


def test_local_wheels_paths_and_urls_are_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    deps = CondaDependencies.create(
        pip_packages=[
            "./wheels/tinypkg-1.0-py3-none-any.whl",
            "../projects/mypkg/",
            "other @ file:///opt/wheels/other-2.0-py3-none-any.whl",
            "torch @ https://download.example/torch-2.0-cp311-cp311-linux_x86_64.whl",
            "git+https://github.com/example/gitpkg.git@v1.2#egg=gitpkg",
            "--extra-index-url https://private.example/simple",
            "duto-workspace://wheels/stored-3.0-py3-none-any.whl",
        ]
    )
    deps.add_pip_package("wheels/tinypkg-2.0-py3-none-any.whl")  # the same package, another wheel: it replaces
    deps.add_pip_package("-f ./more-wheels")

    assert deps.pip_packages == [
        str(tmp_path.parent / "projects" / "mypkg"),
        "other @ file:///opt/wheels/other-2.0-py3-none-any.whl",
        "torch @ https://download.example/torch-2.0-cp311-cp311-linux_x86_64.whl",
        "git+https://github.com/example/gitpkg.git@v1.2#egg=gitpkg",
        "duto-workspace://wheels/stored-3.0-py3-none-any.whl",
        str(tmp_path / "wheels" / "tinypkg-2.0-py3-none-any.whl"),
    ], "relative paths are taken from the current folder at definition time, as pip takes them"
    assert deps.pip_options == [
        "--extra-index-url=https://private.example/simple",
        f"--find-links={tmp_path / 'more-wheels'}",
    ]
    deps.remove_pip_package("gitpkg")
    deps.remove_pip_package(str(tmp_path.parent / "projects" / "mypkg"))
    assert len(deps.pip_packages) == 4
    spec = Environment("local", python=PythonSection(conda_dependencies=deps)).to_spec()
    assert Environment.from_spec(spec).to_spec() == spec, "the spec's absolute paths read back as they are"


def test_a_requirements_file_with_wheels_urls_and_index_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "--extra-index-url https://private.example/simple\n"
        "--index-url=https://mirror.example/simple\n"
        "./wheels/tinypkg-1.0-py3-none-any.whl\n"
        "mypkg @ file:///src/mypkg\n"
        "git+https://github.com/example/gitpkg.git\n"
        "numpy==1.26.4\n"
    )

    spec = Environment.from_pip_requirements("reqs", requirements).to_spec()

    assert spec["pip_packages"] == [
        str(tmp_path / "wheels" / "tinypkg-1.0-py3-none-any.whl"),
        "mypkg @ file:///src/mypkg",
        "git+https://github.com/example/gitpkg.git",
        "numpy==1.26.4",
    ]
    assert spec["pip_options"] == [
        "--extra-index-url=https://private.example/simple",
        "--index-url=https://mirror.example/simple",
    ]


@pytest.mark.parametrize(
    "reference",
    ["duto-workspace://wheels/../../etc/passwd.whl", "duto-workspace://wheels/notawheel.txt", "duto-workspace://x"],
)
def test_a_workspace_reference_must_name_a_stored_wheel(reference: str) -> None:
    with pytest.raises(ConfigError, match="add_private_pip_wheel"):
        CondaDependencies.create(pip_packages=[reference])
