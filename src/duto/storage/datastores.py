"""Datastore back ends: a named place for files, reached through fsspec.

The embedded default is a local folder; every operation goes through an fsspec filesystem rooted at the
datastore, so other back ends plug in by URL without the callers changing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from duto.errors import DatastoreError
from duto.storage.temporary import temporary_name

Progress = Callable[[int, int], None]


class DatastoreBackend:
    """Files of one datastore, by path relative to its root."""

    def __init__(self, name: str, settings: dict[str, Any], workspace_root: Path) -> None:
        from fsspec.implementations.dirfs import DirFileSystem
        from fsspec.implementations.local import LocalFileSystem

        self.name = name
        self.kind = settings.get("kind", "local")
        if self.kind != "local":
            raise DatastoreError(f"datastore {name!r} has kind {self.kind!r}; this duto knows 'local' datastores")
        root = Path(settings["path"])
        self.root = root if root.is_absolute() else workspace_root / root
        self.root.mkdir(parents=True, exist_ok=True)
        self.fs = DirFileSystem(path=str(self.root), fs=LocalFileSystem())

    def local_path(self, path: str) -> Path:
        """Where a datastore path lives on this machine."""
        return self.root / clean_path(path)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(clean_path(path)))

    def expand(self, pattern: str) -> list[str]:
        """Datastore paths of the files a path or glob names (a folder names every file under it)."""
        pattern = clean_path(pattern)
        if any(c in pattern for c in "*?["):
            found = [p for p in self.fs.glob(pattern) if self.fs.isfile(p)]
        elif self.fs.isdir(pattern):
            found = [p for p in self.fs.find(pattern) if self.fs.isfile(p)]
        elif self.fs.isfile(pattern):
            found = [pattern]
        else:
            found = []
        return sorted(str(p).lstrip("/") for p in found)

    def put_file(self, local: Path, target: str, overwrite: bool) -> bool:
        """Copy one file in, through a temporary name, so a reader never sees half a file."""
        target = clean_path(target)
        if not overwrite and self.fs.exists(target):
            return False
        parent = str(PurePosixPath(target).parent)
        if parent not in ("", "."):
            self.fs.makedirs(parent, exist_ok=True)
        tmp = str(PurePosixPath(target).with_name(temporary_name(PurePosixPath(target).name)))
        self.fs.put_file(str(local), tmp)
        self.fs.mv(tmp, target)
        return True

    def upload_files(
        self,
        files: Iterable[tuple[Path, str]],
        overwrite: bool,
        progress: Progress | None = None,
    ) -> int:
        """Copy (local file, datastore path) pairs in; returns how many were written."""
        pairs = list(files)
        written = 0
        for done, (local, target) in enumerate(pairs, start=1):
            written += self.put_file(local, target, overwrite)
            if progress:
                progress(done, len(pairs))
        return written

    def download(self, prefix: str, target_dir: Path, overwrite: bool, progress: Progress | None = None) -> int:
        """Copy every file under `prefix` to `target_dir/<datastore path>`; returns how many were copied."""
        paths = self.expand(prefix) if prefix else self.expand("**")
        copied = 0
        for done, path in enumerate(paths, start=1):
            dest = target_dir / path
            if dest.exists() and not overwrite:
                if progress:
                    progress(done, len(paths))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(temporary_name(f".{dest.name}"))
            self.fs.get_file(path, str(tmp))
            tmp.replace(dest)
            copied += 1
            if progress:
                progress(done, len(paths))
        return copied


def local_files() -> DatastoreBackend:
    """This machine's own files as a datastore rooted at '/': where `Dataset.File.from_files("/local/path")` reads."""
    return DatastoreBackend(LOCAL_FILES, {"kind": "local", "path": "/"}, Path("/"))


LOCAL_FILES = "local files"


def clean_path(path: str) -> str:
    """A datastore path without leading slashes; `..` is refused so nothing escapes the datastore."""
    cleaned = str(PurePosixPath("/", path)).lstrip("/")
    if ".." in PurePosixPath(path).parts:
        raise DatastoreError(f"path {path!r} leaves the datastore; use a path inside it")
    return cleaned
