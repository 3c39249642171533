"""Environments as users handle them: read from requirement files, registered in a workspace, looked up by version.

A workspace keeps each environment's versions in its settings (`.duto/config.json`), as it keeps compute targets.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from duto.config import updating
from duto.errors import ConfigError, EnvironmentNotFoundError, WheelExistsError
from duto.graph.environment import CondaDependencies, PythonSection, parse_conda_specification, parse_requirements
from duto.graph.environment import Environment as EnvironmentDefinition
from duto.graph.package_sources import wheel_file_name_problem, workspace_wheel_reference

if TYPE_CHECKING:
    from duto.environments.builder import BuiltEnvironment
    from duto.facade.workspace import Workspace


class Environment(EnvironmentDefinition):
    """An environment that can be read from files, registered in a workspace and fetched back.

    `Environment.get(ws, "train-env")` gives the latest version, `register(ws)` adds a version when
    the definition changed since the latest.
    """

    @classmethod
    def from_pip_requirements(
        cls, name: str, file_path: str | os.PathLike[str], pip_version: str | None = None
    ) -> Environment:
        """An environment with the packages and pip options of a requirements.txt.

        `pip_version` is accepted for v1 compatibility and has no effect: uv installs the packages.

        Raises:
            ConfigError: when the file cannot be read or holds something duto cannot install.
        """
        del pip_version
        path = Path(file_path)
        text = _read(path, "requirements file")
        try:
            packages, options = parse_requirements(text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        dependencies = CondaDependencies.create(pip_packages=packages)
        for option in options:
            dependencies.set_pip_option(option)
        return cls(name, python=PythonSection(conda_dependencies=dependencies))

    @classmethod
    def from_conda_specification(cls, name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment from a conda environment.yml: its `python` version, `pip:` packages, conda packages
        and `channels:` (which micromamba or conda install the conda packages from, when the machine has one).

        Raises:
            ConfigError: when the file cannot be read or is not an environment.yml.
        """
        path = Path(file_path)
        text = _read(path, "conda specification")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
        try:
            python_version, pip_packages, conda_packages, pip_options = parse_conda_specification(data or {})
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        dependencies = CondaDependencies.create(
            pip_packages=pip_packages, conda_packages=conda_packages, python_version=python_version
        )
        for option in pip_options:
            dependencies.set_pip_option(option)
        channels = (data or {}).get("channels") or []
        if not isinstance(channels, list):
            raise ConfigError(f"{path}: 'channels:' of a conda specification must be a list")
        for channel in channels:
            dependencies.add_channel(str(channel))
        return cls(name, python=PythonSection(conda_dependencies=dependencies))

    def register(self, workspace: Workspace) -> Environment:
        """Record this definition as the environment's next version ("1", "2", ...) and return it.

        When it equals the latest version, nothing is added and that version is returned.

        Raises:
            ConfigError: when the definition cannot be built by duto (see `to_spec`).
        """
        spec = self.to_spec()
        with updating(workspace.root) as config:
            versions: dict[str, dict[str, Any]] = config.environments.setdefault(self.name, {}).setdefault(
                "versions", {}
            )
            latest = _latest(versions)
            if latest is not None and _same_definition(versions[latest], spec):
                version = latest
            else:
                version = str(int(latest) + 1 if latest is not None else 1)
                versions[version] = {**spec, "version": version}
            registered = versions[version]
        workspace.reload()
        return Environment.from_spec(registered)

    def build_local(self, workspace: Workspace, useDocker: bool = False, **kwargs: Any) -> BuiltEnvironment:
        """Build (or find) this environment's venv in the workspace, printing uv's output as it goes."""
        from duto.environments.builder import EnvironmentBuilder, TextLog, workspace_envs_dir

        del useDocker, kwargs
        builder = EnvironmentBuilder(workspace_envs_dir(workspace.config))
        stdout = getattr(sys.stdout, "buffer", None)
        return builder.build(self.to_spec(), log=stdout if stdout is not None else TextLog(sys.stdout))

    @staticmethod
    def add_private_pip_wheel(workspace: Workspace, file_path: str | os.PathLike[str], exist_ok: bool = False) -> str:
        """Store a wheel in the workspace and return the reference to pass to `add_pip_package`.

        The wheel is copied to the workspace's `.duto/wheels/`; the reference,
        `duto-workspace://wheels/<file name>`, is found there by whichever machine builds the environment
        from this workspace. Adding the same wheel again is fine.

        Args:
            workspace: where to store it.
            file_path: the wheel file (`mypkg-1.0-py3-none-any.whl`).
            exist_ok: replace a stored wheel of the same file name whose content differs.

        Raises:
            ConfigError: the file is not there, or its name is not a wheel's.
            WheelExistsError: a wheel of that name is stored with other content and `exist_ok` is False.
        """
        from duto.environments.local_sources import wheels_dir
        from duto.storage.hashing import hash_file_uncached

        source = Path(file_path).expanduser()
        if not source.is_file():
            raise ConfigError(
                f"wheel {str(file_path)!r} does not exist (or is not a file); build it first, e.g. with "
                "`python -m build --wheel`, and pass the path of the .whl it writes"
            )
        problem = wheel_file_name_problem(source.name)
        if problem is not None:
            raise ConfigError(problem)
        folder = wheels_dir(workspace.config.duto_dir)
        stored = folder / source.name
        if stored.is_file():
            if hash_file_uncached(stored) == hash_file_uncached(source):
                return workspace_wheel_reference(source.name)
            if not exist_ok:
                raise WheelExistsError(source.name)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{source.name}.{os.getpid()}.partial"
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, stored)  # whole or not at all, for a build reading it meanwhile
        finally:
            partial.unlink(missing_ok=True)
        return workspace_wheel_reference(source.name)

    @staticmethod
    def get(workspace: Workspace, name: str, version: str | int | None = None) -> Environment:
        """A registered environment: its latest version, or the one asked for.

        Raises:
            EnvironmentNotFoundError: naming the environments (or versions) there are.
        """
        workspace.reload()
        registered = workspace.config.environments
        versions: dict[str, dict[str, Any]] = (registered.get(name) or {}).get("versions") or {}
        wanted = _latest(versions) if version is None else str(version)
        if wanted is None or wanted not in versions:
            known = {n: _version_order(e.get("versions") or {}) for n, e in registered.items()}
            raise EnvironmentNotFoundError(name, None if version is None else str(version), known)
        return Environment.from_spec(versions[wanted])

    @staticmethod
    def versions(workspace: Workspace, name: str) -> dict[str, Environment]:
        """Every registered version of one environment, oldest first."""
        Environment.get(workspace, name)  # raises when there is none
        versions = workspace.config.environments[name]["versions"]
        return {v: Environment.from_spec(versions[v]) for v in _version_order(versions)}

    @staticmethod
    def list(workspace: Workspace) -> dict[str, Environment]:
        """The registered environments by name, each at its latest version."""
        workspace.reload()
        found: dict[str, Environment] = {}
        for name in sorted(workspace.config.environments):
            versions = workspace.config.environments[name].get("versions") or {}
            latest = _latest(versions)
            if latest is not None:
                found[name] = Environment.from_spec(versions[latest])
        return found


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{what} {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {str(path)!r} cannot be read: {exc}") from exc


def _version_order(versions: dict[str, Any]) -> list[str]:
    return sorted(versions, key=lambda v: (0, int(v), "") if v.isdigit() else (1, 0, v))


def _latest(versions: dict[str, Any]) -> str | None:
    numbered = [v for v in versions if v.isdigit()]
    return max(numbered, key=int) if numbered else None


def _same_definition(stored: dict[str, Any], spec: dict[str, Any]) -> bool:
    """Equal but for the version number the registry gave it."""
    return {k: v for k, v in stored.items() if k != "version"} == {k: v for k, v in spec.items() if k != "version"}
