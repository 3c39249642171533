"""Building environments: one venv per distinct set of packages, shared by every step and run needing it.

A venv lives in `<envs_dir>/<key>/`, `key` a hash of what decides its contents (with the content of every local
wheel, sdist, folder and find-links folder it installs from, see `local_sources`). It is built under a per-key file
lock, so two processes needing the same venv build it once, and it is complete only once its `duto-env.json` is
there, written last: a folder without it is never taken for a venv.

uv makes a venv in a temporary folder, renamed into place when complete, so nobody ever sees half of one. An
environment with conda packages on a machine with micromamba or conda (see `conda`) is instead a conda prefix
that tool creates, with uv installing its pip packages; a prefix cannot be moved once made (its paths are written
into it), so it is built in place, at `<envs_dir>/<key>/`, still under the lock. A failed build removes the
folder; one left by a build that died (no `duto-env.json`, lock free) is removed by `gc`, and replaced by the next
build of its key.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import blake3

from duto.config import WorkspaceConfig
from duto.environments.conda import (
    conda_channels,
    conda_create_command,
    conda_failure,
    conda_log_line,
    find_conda_tool,
    prefix_python_version,
    pypi_log_lines,
    pypi_requirements,
    unknown_conda_packages,
)
from duto.environments.local_sources import LocalSource, local_sources, source_digests
from duto.environments.pip_config import machine_index_options
from duto.errors import EnvironmentBuildError
from duto.graph.environment import pip_option_args
from duto.graph.package_sources import normalize_package_name, workspace_wheel_reference
from duto.storage.hashing import FileHasher

METADATA_FILE = "duto-env.json"
METADATA_SCHEMA_VERSION = 1
TMP_PREFIX = ".tmp-"
KEY_LENGTH = 16
_KEY = re.compile(rf"^[0-9a-f]{{{KEY_LENGTH}}}$")
_TAIL_LINES = 20


class BuildLog(Protocol):
    """Where a build's output goes: a binary file, `sys.stdout.buffer`, or anything with these two methods."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


class TextLog:
    """A BuildLog writing to a text stream (a notebook's stdout has no binary buffer)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, data: bytes, /) -> int:
        self._stream.write(data.decode(errors="replace"))
        return len(data)

    def flush(self) -> None:
        self._stream.flush()


@dataclass(frozen=True)
class BuiltEnvironment:
    """A complete venv.

    Attributes:
        key: the hash naming its folder (`EnvironmentBuilder.key`).
        path: the venv folder; `python` its interpreter.
        packages: what uv installed, by normalized name (lowercase, `-`): version, or URL for a direct reference.
        spec: what it was built from: python_version, pip_packages (sorted), pip_options.
        built_at: when it was completed (seconds since the epoch).
        python_version: the interpreter's full version, e.g. "3.11.7".
        sources: the content digest of each local thing it was installed from, by its reference in the spec.
    """

    key: str
    path: Path
    python: Path
    packages: dict[str, str]
    spec: dict[str, Any]
    built_at: float
    python_version: str = ""
    sources: dict[str, str] = field(default_factory=dict)


def workspace_envs_dir(config: WorkspaceConfig) -> Path:
    """Where a workspace keeps its venvs: `.duto/envs/`."""
    return config.duto_dir / "envs"


def build_inputs(spec: Mapping[str, Any], conda_tool: str | None = None) -> dict[str, Any]:
    """The part of an environment spec that decides what its venv holds (not its name, version or variables).

    Args:
        conda_tool: the tool installing its conda packages (`find_conda_tool`); None when they come from PyPI.
    """
    inputs: dict[str, Any] = {
        "python_version": spec.get("python_version"),
        "pip_packages": sorted(spec.get("pip_packages") or []),
        "pip_options": list(spec.get("pip_options") or []),
    }
    if spec.get("conda_packages"):
        inputs["conda_packages"] = sorted(spec["conda_packages"])  # only when some: other keys stay as they were
        if conda_tool is not None:  # only then: keys of environments built from PyPI stay as they were
            inputs["conda_tool"] = conda_tool
            inputs["conda_channels"] = conda_channels(spec.get("conda_channels"))
    return inputs


def conda_tool_for(spec: Mapping[str, Any]) -> str | None:
    """The conda tool that builds this spec's environment: None without conda packages or without a tool."""
    return find_conda_tool() if spec.get("conda_packages") else None


class EnvironmentBuilder:
    """Builds, finds, lists and removes the venvs in one folder.

    Args:
        envs_dir: the folder of the venvs.
        duto_dir: the workspace's `.duto/`, where stored wheels and the stat cache of file digests are;
            the parent of `envs_dir` when None (as `workspace_envs_dir` places it).
    """

    def __init__(self, envs_dir: Path, duto_dir: Path | None = None) -> None:
        self.envs_dir = Path(envs_dir)
        self.duto_dir = Path(duto_dir) if duto_dir is not None else self.envs_dir.parent

    def key(self, spec: Mapping[str, Any]) -> str:
        """A stable hash of what decides the venv: two environments with the same packages share one.

        Raises:
            EnvironmentBuildError: a local wheel, folder or find-links folder of the spec is not there.
        """
        return self._key(spec, self.sources(spec), conda_tool_for(spec))

    def sources(self, spec: Mapping[str, Any]) -> dict[str, str]:
        """The content digest of each local wheel, sdist, folder and find-links folder the spec installs from.

        Raises:
            EnvironmentBuildError: one of them is not there.
        """
        found = local_sources(spec, self.duto_dir)
        if not found:
            return {}
        hasher = FileHasher(self.duto_dir / "cache" / "hashes.db")
        try:
            return source_digests(found, hasher)
        except FileNotFoundError as exc:
            raise EnvironmentBuildError(
                str(spec.get("name") or "unnamed"),
                f"{exc.filename or exc} does not exist; build the wheel, or fix the path in the environment",
            ) from None
        finally:
            hasher.close()

    def find(self, spec: Mapping[str, Any]) -> BuiltEnvironment | None:
        """The completed venv of this spec, or None when there is none (yet, or a local wheel of it is gone)."""
        try:
            return self._load(self.key(spec))
        except EnvironmentBuildError:
            return None

    @staticmethod
    def _key(spec: Mapping[str, Any], sources: Mapping[str, str], conda_tool: str | None) -> str:
        material = build_inputs(spec, conda_tool)
        if material["python_version"] is None:
            # Without a version the venv gets the interpreter duto runs on: its minor version is part of it.
            material["interpreter"] = f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"
        if sources:
            material["sources"] = dict(sorted(sources.items()))
        text = json.dumps(material, sort_keys=True, separators=(",", ":"))
        return blake3.blake3(text.encode()).hexdigest()[:KEY_LENGTH]

    def build(self, spec: Mapping[str, Any], log: BuildLog, refresh: bool = False) -> BuiltEnvironment:
        """The venv of this spec: found when built before, else built now (once, however many processes ask).

        Args:
            spec: an environment spec (`Environment.to_spec()`).
            log: receives the commands run and uv's output, line by line as uv prints it.
            refresh: build anew and replace the venv there is.

        Raises:
            EnvironmentBuildError: uv, micromamba or conda failed (no such package, no such Python here, ...).
            ValueError: the environment is user-managed; duto builds nothing for it.
        """
        name = str(spec.get("name") or "unnamed")
        if spec.get("user_managed"):
            raise ValueError(
                f"environment {name!r} is user-managed (interpreter {spec.get('interpreter')!r}); duto builds "
                "nothing for it"
            )
        sources = self.sources(spec)
        tool = conda_tool_for(spec)
        key = self._key(spec, sources, tool)
        if not refresh:
            found = self._load(key)
            if found is not None:
                return found
        with self._lock(key, blocking=True):
            if not refresh:
                found = self._load(key)
                if found is not None:
                    return found  # another process built it while this one waited
            return self._build_locked(key, name, spec, sources, log, tool)

    def list(self) -> list[BuiltEnvironment]:
        """The completed venvs, by key."""
        if not self.envs_dir.is_dir():
            return []
        found = (self._load(entry.name) for entry in sorted(self.envs_dir.iterdir()) if _KEY.match(entry.name))
        return [built for built in found if built is not None]

    def remove(self, key: str) -> bool:
        """Remove the venv of `key`, waiting for a build of it to end; False when there was none."""
        if not _KEY.match(key):
            raise ValueError(f"{key!r} is not an environment key (16 hexadecimal digits)")
        with self._lock(key, blocking=True):
            return self._remove_locked(key)

    def gc(self, keep: set[str]) -> builtins.list[str]:
        """Remove the venvs whose key is not in `keep`, and folders left by builds that died.

        A folder left by a build that died is a temporary one, or a conda prefix built in place and never
        completed (no `duto-env.json`): removed even when its key is kept. Venvs being built now are left alone.
        Returns the names of the folders removed.
        """
        if not self.envs_dir.is_dir():
            return []
        removed: builtins.list[str] = []
        for entry in sorted(self.envs_dir.iterdir()):
            if not entry.is_dir():
                continue
            stray = entry.name.startswith(TMP_PREFIX)
            key = entry.name[len(TMP_PREFIX) : len(TMP_PREFIX) + KEY_LENGTH] if stray else entry.name
            if not _KEY.match(key) or (not stray and key in keep and _complete(entry)):
                continue
            with self._lock(key, blocking=False) as held:
                if not held or not entry.exists() or (not stray and key in keep and _complete(entry)):
                    continue  # being built right now, or completed while this waited: not a leftover
                if stray:
                    _remove_tree(entry)
                else:
                    self._remove_locked(key)
                removed.append(entry.name)
        return removed

    def _build_locked(
        self,
        key: str,
        name: str,
        spec: Mapping[str, Any],
        sources: Mapping[str, str],
        log: BuildLog,
        tool: str | None,
    ) -> BuiltEnvironment:
        inputs = build_inputs(spec, tool)
        final = self.envs_dir / key
        if tool is None:
            tmp = self.envs_dir / f"{TMP_PREFIX}{key}-{uuid.uuid4().hex}"
            try:
                self._make_venv(tmp, inputs, name, log)
                self._install_and_record(tmp, key, inputs, spec, sources, log, name)
                if final.exists() or final.is_symlink():
                    aside = self.envs_dir / f"{TMP_PREFIX}{key}-{uuid.uuid4().hex}-old"
                    os.rename(final, aside)
                    _remove_tree(aside)
                os.rename(tmp, final)
            except BaseException:
                _remove_tree(tmp)
                raise
        else:
            # A conda prefix cannot be moved: it is made in place, and complete once its metadata is written.
            self._remove_locked(key)
            try:
                self._make_conda_prefix(final, tool, inputs, name, log)
                self._install_and_record(final, key, inputs, spec, sources, log, name)
            except BaseException:
                _remove_tree(final)
                raise
        built = self._load(key)
        if built is None:  # pragma: no cover - the folder was just completed under the lock
            raise EnvironmentBuildError(name, f"the venv at {final} vanished as soon as it was built")
        log.write(f"# environment {name!r} built at {final}\n".encode())
        log.flush()
        return built

    def _make_venv(self, folder: Path, inputs: Mapping[str, Any], name: str, log: BuildLog) -> None:
        python = inputs["python_version"] or sys.executable
        try:
            self._uv(["venv", "--relocatable", "--no-project", "--python", python, str(folder)], name, log)
        except EnvironmentBuildError as exc:
            if inputs["python_version"] is None:
                raise
            raise EnvironmentBuildError(
                name,
                f"uv found no usable Python {python} on this machine, and duto never downloads one: install it, "
                "or ask for a Python that is here with set_python_version",
                exc.output,
            ) from exc

    def _make_conda_prefix(self, prefix: Path, tool: str, inputs: Mapping[str, Any], name: str, log: BuildLog) -> None:
        packages, channels = list(inputs["conda_packages"]), list(inputs["conda_channels"])
        python = inputs["python_version"] or f"{sys.version_info[0]}.{sys.version_info[1]}"
        command = conda_create_command(tool, prefix, python, packages, channels)
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        try:
            self._run_tool([shutil.which(tool) or tool, *command[1:]], shlex.join(command), name, log, env, tool)
        except EnvironmentBuildError as exc:
            raise conda_failure(exc, tool, packages) from exc
        log.write(conda_log_line(tool, packages, channels).encode())

    def _install_and_record(
        self,
        folder: Path,
        key: str,
        inputs: Mapping[str, Any],
        spec: Mapping[str, Any],
        sources: Mapping[str, str],
        log: BuildLog,
        name: str,
    ) -> None:
        """Install the pip packages (and conda ones from PyPI, without a conda tool), then write the metadata."""
        local = local_sources(spec, self.duto_dir)
        python = str(folder / "bin" / "python")
        from_conda: dict[str, str] = {}
        if inputs.get("conda_packages") and "conda_tool" not in inputs:
            from_conda = pypi_requirements(inputs["conda_packages"])
            log.write(pypi_log_lines(from_conda).encode())
        if inputs["pip_packages"] or from_conda:
            options = inputs["pip_options"]
            machine = machine_index_options(options)
            if machine:
                log.write(f"# package indexes from this machine's pip configuration: {' '.join(machine)}\n".encode())
            packages = [*_install_texts(inputs["pip_packages"], local), *from_conda.values()]
            args = [*pip_option_args(options), *machine, *_refresh_args(local), *packages]
            # Compiled at install as pip does, so no step pays for compiling its imports (with
            # PYTHONDONTWRITEBYTECODE set, none would ever write them).
            try:
                self._uv(["pip", "install", "--compile-bytecode", "--python", python, *args], name, log)
            except EnvironmentBuildError as exc:
                raise unknown_conda_packages(exc, from_conda) or exc from exc
        frozen = self._uv(["pip", "freeze", "--python", python], name, log, capture=True)
        metadata = {
            "schema_version": METADATA_SCHEMA_VERSION,
            "key": key,
            "spec": dict(inputs),
            "packages": _stored_wheels_as_referenced(_parse_freeze(frozen), local),
            "python_version": _venv_python_version(folder) or prefix_python_version(folder),
            "built_at": time.time(),
            "sources": dict(sorted(sources.items())),
        }
        # Written last: a folder with this file is a complete venv.
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")

    def _uv(self, args: builtins.list[str], name: str, log: BuildLog, capture: bool = False) -> str:
        """Run uv, copying its output into `log` line by line; returns stdout when `capture`, else ""."""
        import uv

        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
        env.pop("VIRTUAL_ENV", None)  # each command names its interpreter; an active venv must not leak in
        shown = f"uv {shlex.join(args)}"
        what = "uv " + " ".join(args[:2] if args[0] == "pip" else args[:1])
        return self._run_tool([uv.find_uv_bin(), *args], shown, name, log, env, what, capture)

    def _run_tool(
        self,
        command: builtins.list[str],
        shown: str,
        name: str,
        log: BuildLog,
        env: Mapping[str, str],
        what: str,
        capture: bool = False,
    ) -> str:
        """Run a build tool, copying its output into `log` line by line; returns stdout when `capture`, else "".

        Args:
            shown: the command as the log shows it.
            what: the tool (and subcommand) a failure names; its first word is the error's `tool`.

        Raises:
            EnvironmentBuildError: the tool exited with an error (its last lines are the output), or did not start.
        """
        log.write(f"$ {shown}\n".encode())
        log.flush()
        self.envs_dir.mkdir(parents=True, exist_ok=True)
        tool = what.split()[0]
        tail: deque[str] = deque(maxlen=_TAIL_LINES)
        captured: builtins.list[bytes] = []
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE if capture else subprocess.STDOUT,
                cwd=self.envs_dir,
                env=dict(env),
            )
        except OSError as exc:
            raise EnvironmentBuildError(name, f"`{what}` could not be started: {exc}", tool=tool) from exc
        with process:
            assert process.stdout is not None
            if capture:
                out, errors = process.communicate()
                captured.append(out)
                for line in (errors + out).splitlines(keepends=True):
                    log.write(line)
                    tail.append(line.decode(errors="replace"))
            else:
                for line in process.stdout:
                    log.write(line)
                    log.flush()
                    tail.append(line.decode(errors="replace"))
            code = process.wait()
        log.flush()
        if code != 0:
            raise EnvironmentBuildError(name, f"`{what}` exited with code {code}", "".join(tail), tool=tool)
        return b"".join(captured).decode(errors="replace")

    def _load(self, key: str) -> BuiltEnvironment | None:
        path = self.envs_dir / key
        try:
            metadata = json.loads((path / METADATA_FILE).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(metadata, dict) or metadata.get("schema_version") != METADATA_SCHEMA_VERSION:
            return None
        return BuiltEnvironment(
            key=key,
            path=path,
            python=path / "bin" / "python",
            packages=dict(metadata.get("packages") or {}),
            spec=dict(metadata.get("spec") or {}),
            built_at=float(metadata.get("built_at") or 0.0),
            python_version=str(metadata.get("python_version") or ""),
            sources=dict(metadata.get("sources") or {}),
        )

    def _remove_locked(self, key: str) -> bool:
        path = self.envs_dir / key
        if not path.exists():
            return False
        aside = self.envs_dir / f"{TMP_PREFIX}{key}-{uuid.uuid4().hex}-old"
        os.rename(path, aside)  # gone from its place at once, even if deleting the files takes a while
        _remove_tree(aside)
        return True

    @contextlib.contextmanager
    def _lock(self, key: str, blocking: bool) -> Iterator[bool]:
        """Hold the exclusive lock of `key`; yields False (without waiting) when not `blocking` and it is taken."""
        self.envs_dir.mkdir(parents=True, exist_ok=True)
        with (self.envs_dir / f"{key}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _install_texts(packages: builtins.list[str], local: builtins.list[LocalSource]) -> builtins.list[str]:
    """The requirements as `uv pip install` takes them: a wheel stored in the workspace named by its path."""
    installs = {source.reference: source.install for source in local if source.install is not None}
    return [installs.get(package, package) for package in packages]


def _refresh_args(local: builtins.list[LocalSource]) -> builtins.list[str]:
    """Make uv read local packages afresh rather than from its cache: their content is what this venv is for."""
    packages = [source for source in local if source.install is not None]
    if any(source.name is None for source in packages):
        return ["--refresh"]  # a project folder of unknown name: uv cannot be told to refresh only it
    return [arg for source in packages for arg in ("--refresh-package", str(source.name))]


def _stored_wheels_as_referenced(packages: dict[str, str], local: builtins.list[LocalSource]) -> dict[str, str]:
    """Packages installed from wheels stored in the workspace, recorded by reference, not by this machine's path."""
    urls = {
        source.path.as_uri(): workspace_wheel_reference(source.path.name) for source in local if source.in_workspace
    }
    return {name: urls.get(value, value) for name, value in packages.items()}


def _parse_freeze(text: str) -> dict[str, str]:
    packages: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        if "==" in line:
            name, _, version = line.partition("==")
        else:
            name, _, version = line.partition(" @ ")
        packages[normalize_package_name(name.strip())] = version.strip()
    return dict(sorted(packages.items()))


def _venv_python_version(venv: Path) -> str:
    try:
        for line in (venv / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version_info", "version"):
                return value.strip()
    except OSError:
        pass
    return ""


def _complete(folder: Path) -> bool:
    """Whether a venv folder was completed: its metadata, written last, is there."""
    return (folder / METADATA_FILE).is_file()


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
