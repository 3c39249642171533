"""Which files of a step's source folder make its code snapshot: all but what the ignore files exclude."""

from __future__ import annotations

import os
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
