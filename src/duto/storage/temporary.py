"""Temporary names: what duto writes enters under one and reaches its final name by one atomic rename.

A temporary name says which process writes it (this machine's tag and the pid), so a stray one left by a
process that died (killed, crashed, out of disk) is told from one being written at this moment, and removed
by the next run or `duto cache gc`. One written on another machine (shared storage) is left alone until it is
a day old.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from duto.processes import alive, machine_id

TMP_MARK = ".tmp-"
FOREIGN_STRAY_SECONDS = 86_400.0
_machine_tag: str | None = None


def _tag() -> str:
    global _machine_tag
    if _machine_tag is None:
        _machine_tag = hashlib.blake2b(machine_id().encode(), digest_size=4).hexdigest()
    return _machine_tag


def temporary_name(final_name: str) -> str:
    """A name to write `final_name`'s content under before the rename that publishes it."""
    return f"{final_name}{TMP_MARK}{_tag()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def is_stray(path: Path) -> bool:
    """Whether `path` is a temporary whose writer is gone (or, from another machine, a day old)."""
    _, mark, rest = path.name.rpartition(TMP_MARK)
    if not mark:
        return False
    tag, _, tail = rest.partition("-")
    pid_text = tail.partition("-")[0]
    if tag == _tag() and pid_text.isdigit():
        return not alive(int(pid_text))
    try:
        return time.time() - path.lstat().st_mtime > FOREIGN_STRAY_SECONDS
    except FileNotFoundError:
        return False


def strays(folder: Path, recursive: bool = False) -> Iterator[Path]:
    """The stray temporaries in `folder` (and the folders below it, with `recursive`)."""
    if not folder.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        for name in [*dirnames, *filenames]:
            if TMP_MARK in name and is_stray(here / name):
                yield here / name
        # A stray folder is removed whole; nothing below it needs looking at.
        dirnames[:] = [d for d in dirnames if TMP_MARK not in d] if recursive else []


def remove(path: Path) -> int:
    """Delete a file or a folder tree; returns the bytes it held."""
    try:
        if path.is_dir() and not path.is_symlink():
            size = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path, ignore_errors=True)
            return size
        size = path.lstat().st_size
        path.unlink()
        return size
    except FileNotFoundError:
        return 0
