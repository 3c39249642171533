"""Conda packages of an environment: made by micromamba or conda when the machine has one, else from PyPI.

With `micromamba` (preferred) or `conda` on PATH, an environment with conda packages is a conda prefix that tool
creates (Python and the conda packages, from the spec's channels, `conda-forge` when it names none); its pip
packages are then installed into it by uv. Without either, each conda package is installed from the package
indexes under its PyPI name (`duto.graph.conda_names`). Which way was taken is said in the build log, and is part
of the environment's key, since the two hold different things.

The command lines are built by pure functions here; `EnvironmentBuilder` runs them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from duto.errors import EnvironmentBuildError
from duto.graph.conda_names import pypi_requirement
from duto.graph.package_sources import normalize_package_name

CONDA_TOOLS = ("micromamba", "conda")  # in order of preference
DEFAULT_CHANNELS = ("conda-forge",)
NO_TOOL_REASON = "no conda or micromamba on PATH"


def find_conda_tool() -> str | None:
    """The conda tool on PATH this machine builds conda packages with (`micromamba`, else `conda`), or None."""
    return next((tool for tool in CONDA_TOOLS if shutil.which(tool)), None)


def conda_channels(channels: Sequence[str] | None) -> list[str]:
    """The channels a conda build uses: those the environment names, in order, else `DEFAULT_CHANNELS`."""
    return list(channels) if channels else list(DEFAULT_CHANNELS)


def conda_python_spec(python_version: str) -> str:
    """The conda spec of a Python version as environments record it: `3.11` -> `python=3.11`, `>=3.10` kept."""
    return f"python={python_version}" if python_version[:1].isdigit() else f"python{python_version}"


def conda_create_command(
    tool: str, prefix: Path, python_version: str, packages: Sequence[str], channels: Sequence[str]
) -> list[str]:
    """The command creating a conda prefix with that Python and those packages, from those channels only.

    `micromamba create --yes --prefix PREFIX --override-channels -c conda-forge python=3.11 numpy scipy`; `conda`
    takes the same arguments.
    """
    channel_args = [arg for channel in conda_channels(channels) for arg in ("-c", channel)]
    return [
        tool,
        "create",
        "--yes",
        "--prefix",
        str(prefix),
        "--override-channels",
        *channel_args,
        conda_python_spec(python_version),
        *packages,
    ]


def conda_log_line(tool: str, packages: Sequence[str], channels: Sequence[str]) -> str:
    """The build-log line saying the conda packages were installed by a conda tool."""
    return f"# conda packages installed with {tool} from {', '.join(conda_channels(channels))}: {', '.join(packages)}\n"


def pypi_log_lines(requirements: Mapping[str, str]) -> str:
    """The build-log lines saying each conda package was installed from PyPI, and why."""
    return "".join(
        f"# conda package {spec} installed from PyPI as {requirement} ({NO_TOOL_REASON})\n"
        for spec, requirement in requirements.items()
    )


def pypi_requirements(conda_packages: Sequence[str]) -> dict[str, str]:
    """The PyPI requirement of each conda package, by its conda spec."""
    return {spec: pypi_requirement(spec) for spec in conda_packages}


def conda_failure(exc: EnvironmentBuildError, tool: str, packages: Sequence[str]) -> EnvironmentBuildError:
    """The error of a failed conda create, naming the packages; the tool's last lines are its output."""
    return EnvironmentBuildError(
        exc.environment,
        f"conda package(s) {', '.join(repr(p) for p in packages)} could not be installed with {tool}: {exc.reason}",
        exc.output,
        tool=tool,
    )


def unknown_conda_packages(exc: EnvironmentBuildError, from_conda: Mapping[str, str]) -> EnvironmentBuildError | None:
    """An error naming the conda packages PyPI does not have either, when the failed install says so."""
    output = (exc.output or "").lower()
    missing = [
        spec
        for spec, requirement in from_conda.items()
        if re.search(rf"\b{re.escape(normalize_package_name(requirement))}\b", output.replace("_", "-"))
    ]
    if not missing:
        return None
    return EnvironmentBuildError(
        exc.environment,
        f"conda package(s) {', '.join(repr(m) for m in missing)} could not be installed: there is no conda or "
        "micromamba on PATH, and PyPI has no matching release under that name "
        f"({', '.join(from_conda[m] for m in missing)}); add its PyPI name with add_pip_package, or drop it",
        exc.output,
    )


def prefix_python_version(prefix: Path) -> str:
    """The full Python version of a conda prefix, from its `conda-meta/python-X.Y.Z-*.json` record; "" if none."""
    for record in sorted((prefix / "conda-meta").glob("python-[0-9]*.json")):
        try:
            version = json.loads(record.read_text()).get("version")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(version, str):
            return version
    return ""
