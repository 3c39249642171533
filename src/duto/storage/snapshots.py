"""Code snapshots: a copy of a step's source folder taken at submit, so edits during a run do not leak in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pathspec

# Never part of a snapshot: the workspace itself, VCS data, caches and virtual environments.
ALWAYS_IGNORED = [
    ".duto/",
    ".git/",
    "__pycache__/",
    "*.pyc",
    ".venv/",
    "venv/",
    "node_modules/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
]
IGNORE_FILES = (".dutoignore", ".amlignore", ".gitignore")


def ignore_spec(folder: Path) -> pathspec.GitIgnoreSpec:
    """The ignore rules of a source folder: `.dutoignore`, `.amlignore` and `.gitignore`, in that order."""
    lines = list(ALWAYS_IGNORED)
    for name in IGNORE_FILES:
        ignore_file = folder / name
        if ignore_file.is_file():
            lines.extend(ignore_file.read_text().splitlines())
    return pathspec.GitIgnoreSpec.from_lines(lines)


def snapshot_files(folder: Path) -> list[str]:
    """Relative paths of the files a snapshot of `folder` holds, sorted."""
    spec = ignore_spec(folder)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        rel_dir = os.path.relpath(dirpath, folder)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not spec.match_file(f"{rel_dir}{d}/"))
        found.extend(f"{rel_dir}{f}" for f in sorted(filenames) if not spec.match_file(f"{rel_dir}{f}"))
    return found


def take_snapshot(folder: Path, target: Path) -> int:
    """Copy the snapshot of `folder` into `target`; returns the number of files."""
    files = snapshot_files(folder)
    staging = target.with_name(f".{target.name}.tmp")
    for rel in files:
        dest = staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / rel, dest, follow_symlinks=True)
    staging.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    return len(files)


def working_copy(snapshot: Path, target: Path) -> None:
    """A step's own copy of a snapshot: hard links where the filesystem allows, copies otherwise.

    New files a step writes there stay out of the snapshot; the files are the snapshot's own bytes.
    """

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    shutil.copytree(snapshot, target, copy_function=link_or_copy, dirs_exist_ok=True)
