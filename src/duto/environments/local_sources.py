"""The files an environment's install reads from this machine: local wheels, sdists and project folders, wheels
stored in the workspace, and local `--find-links` folders.

Their content is part of the venv's key and of each step's fingerprint, so a wheel rebuilt under the same file
name builds a new venv and runs the step again. A URL, by contrast, counts by its text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duto.caching.components import tree_digest
from duto.graph.package_sources import WHEELS_FOLDER, WORKSPACE_SCHEME, SourceKind, package_source
from duto.storage.hashing import FileHasher

FIND_LINKS = "--find-links="
# Folders no build reads: version control, caches, virtual environments and earlier build output.
_SKIPPED_FOLDERS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "build", "dist"}
_SKIPPED_SUFFIXES = (".egg-info", "_cache")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class LocalSource:
    """One thing an install reads from disk.

    Attributes:
        reference: how the spec names it: a pip package's text, or `--find-links=<folder>`.
        path: where it is on this machine.
        name: the distribution it installs, when the reference says so.
        install: the text given to `uv pip install` for a package (a workspace reference made a path); None for
            a find-links folder, which goes in as an option.
        in_workspace: a wheel stored by `Environment.add_private_pip_wheel`.
    """

    reference: str
    path: Path
    name: str | None
    install: str | None
    in_workspace: bool = False


def wheels_dir(duto_dir: Path) -> Path:
    """Where a workspace keeps the wheels `Environment.add_private_pip_wheel` stored: `.duto/wheels/`."""
    return duto_dir / WHEELS_FOLDER


def local_sources(spec: Mapping[str, Any], duto_dir: Path) -> list[LocalSource]:
    """The local things an environment spec installs from, in the spec's order."""
    found: list[LocalSource] = []
    for text in spec.get("pip_packages") or []:
        source = package_source(text)
        if source is None or source.location is None:
            continue
        if source.kind is SourceKind.WORKSPACE:
            path = wheels_dir(duto_dir) / source.location
            install = str(path) if text.startswith(WORKSPACE_SCHEME) else f"{source.name} @ {path.as_uri()}"
            found.append(LocalSource(text, path, source.name, install, in_workspace=True))
        elif source.kind is SourceKind.LOCAL:
            found.append(LocalSource(text, Path(source.location), source.name, text))
    for option in spec.get("pip_options") or []:
        if option.startswith(FIND_LINKS) and not _URL.match(option[len(FIND_LINKS) :]):
            found.append(LocalSource(option, Path(option[len(FIND_LINKS) :]), None, None))
    return found


def missing_sources(spec: Mapping[str, Any], duto_dir: Path) -> list[str]:
    """What is wrong with each local source of a spec that is not there, one sentence each (saying what to do)."""
    problems = []
    for source in local_sources(spec, duto_dir):
        if source.path.exists() or source.install is None:
            continue  # a find-links folder that is not there is passed over, as pip passes it over
        if source.in_workspace:
            problems.append(
                f"its environment {spec.get('name')!r} installs the workspace wheel {source.reference!r}, but "
                f"{str(source.path)!r} is not there; store it again with Environment.add_private_pip_wheel"
            )
        else:
            problems.append(
                f"its environment {spec.get('name')!r} installs {str(source.path)!r}, which does not exist; "
                "build the wheel (or fix the path; a relative path is taken from the folder the environment was "
                "defined in)"
            )
    return problems


def source_digests(sources: Iterable[LocalSource], hasher: FileHasher) -> dict[str, str]:
    """reference -> content digest of each local source.

    Raises:
        FileNotFoundError: a package's file or folder is not there (a find-links folder that is not there
            counts as an empty one).
    """
    return {source.reference: _digest(source, hasher) for source in sources}


def _digest(source: LocalSource, hasher: FileHasher) -> str:
    if source.install is None and not source.path.exists():
        return tree_digest({})
    if not source.path.is_dir():
        return hasher.digest(source.path)
    if source.install is None:
        # pip and uv look at the files directly in a find-links folder, not in its subfolders.
        files = {p.name: hasher.digest(p) for p in sorted(source.path.iterdir()) if p.is_file()}
        return tree_digest(files)
    return tree_digest(_project_files(source.path, hasher))


def _project_files(root: Path, hasher: FileHasher) -> dict[str, str]:
    """Relative path -> digest of the files of a project folder a build may read."""
    files: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in _SKIPPED_FOLDERS and not d.endswith(_SKIPPED_SUFFIXES))
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file():
                files[path.relative_to(root).as_posix()] = hasher.digest(path)
    return files
