"""Conda packages: the commands and log lines of a build with micromamba or conda, and the PyPI fallback (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from duto.environments.conda import (
    conda_create_command,
    conda_failure,
    conda_log_line,
    prefix_python_version,
    pypi_log_lines,
    pypi_requirements,
)
from duto.errors import EnvironmentBuildError


def test_the_create_command_names_the_prefix_python_packages_and_only_the_given_channels() -> None:
    command = conda_create_command(
        "micromamba", Path("/envs/0123456789abcdef"), "3.11", ["numpy=1.26", "scipy"], ["bioconda", "conda-forge"]
    )

    assert command == [
        "micromamba",
        "create",
        "--yes",
        "--prefix",
        "/envs/0123456789abcdef",
        "--override-channels",
        "-c",
        "bioconda",
        "-c",
        "conda-forge",
        "python=3.11",
        "numpy=1.26",
        "scipy",
    ]


@pytest.mark.parametrize(
    ("version", "spec"), [("3.11", "python=3.11"), ("3.11.4", "python=3.11.4"), (">=3.10", "python>=3.10")]
)
def test_the_python_of_a_conda_prefix_and_its_default_channel(version: str, spec: str) -> None:
    command = conda_create_command("conda", Path("/p"), version, ["gdal"], [])

    assert command[0] == "conda"
    assert command[6:] == ["-c", "conda-forge", spec, "gdal"]


def test_the_log_says_which_way_the_conda_packages_were_installed() -> None:
    assert conda_log_line("micromamba", ["numpy", "scipy"], []) == (
        "# conda packages installed with micromamba from conda-forge: numpy, scipy\n"
    )
    assert pypi_log_lines(pypi_requirements(["pytorch", "numpy=1.26"])) == (
        "# conda package pytorch installed from PyPI as torch (no conda or micromamba on PATH)\n"
        "# conda package numpy=1.26 installed from PyPI as numpy==1.26.* (no conda or micromamba on PATH)\n"
    )


def test_a_failed_conda_create_names_the_packages_and_shows_the_tools_output() -> None:
    failed = EnvironmentBuildError("geo", "`micromamba` exited with code 1", "nothing provides gdal=99\n")

    error = conda_failure(failed, "micromamba", ["gdal=99", "numpy"])

    assert error.reason == (
        "conda package(s) 'gdal=99', 'numpy' could not be installed with micromamba: `micromamba` exited with code 1"
    )
    assert error.output == "nothing provides gdal=99\n"
    assert "--- micromamba said ---\nnothing provides gdal=99" in str(error)


def test_the_python_version_of_a_conda_prefix_is_read_from_its_records(tmp_path: Path) -> None:
    assert prefix_python_version(tmp_path) == ""
    (tmp_path / "conda-meta").mkdir()
    (tmp_path / "conda-meta" / "python-3.11.7-hab00c5b_0_cpython.json").write_text(json.dumps({"version": "3.11.7"}))
    (tmp_path / "conda-meta" / "python-dateutil-2.9.0-pyhd8ed1ab_0.json").write_text(json.dumps({"version": "2.9.0"}))

    assert prefix_python_version(tmp_path) == "3.11.7"
