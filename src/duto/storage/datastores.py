"""Datastore back ends: a named place for files, reached through fsspec.

Every operation goes through an fsspec filesystem rooted at the datastore (a `DirFileSystem` over a local
folder, an S3 bucket and prefix, or an Azure Blob container), so callers name files by their path inside the
datastore and never reach outside it: a path that is absolute or climbs out with `..` is refused. The kinds
other than `local` load their package (s3fs, adlfs) only when a datastore of that kind is first used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO, Any

from duto.errors import DatastoreError, DatastorePathError
from duto.storage.secrets import SecretStore
from duto.storage.temporary import temporary_name

Progress = Callable[[int, int], None]
KINDS = ("local", "s3", "azure_blob")
# Where a data transfer writes before it publishes (execution/transfer.py); never listed as a datastore's files.
STAGING = ".duto-staging"
GLOB_CHARACTERS = "*?["


@dataclass(frozen=True)
class FileStamp:
    """What changes whenever a stored file is rewritten: its size and the store's version of it (the ETag of an
    object; mtime and inode of a file in a folder)."""

    size: int
    version: str


class DatastoreBackend:
    """Files of one datastore, by path relative to its root.

    Args:
        name: the datastore's name in the workspace.
        settings: its entry in the workspace settings ({"kind": "local", "path"}, {"kind": "s3", "bucket", ...}).
        workspace_root: what a local datastore's relative path is relative to; its `.duto/` holds the secrets
            that settings name.
    """

    def __init__(self, name: str, settings: Mapping[str, Any], workspace_root: Path) -> None:
        self.name = name
        self.settings = dict(settings)
        self.kind: str = self.settings.get("kind", "local")
        self._workspace_root = workspace_root
        self._absolute_paths = False  # only the machine's own files (`local_files`) are named by absolute paths
        if self.kind not in KINDS:
            raise DatastoreError(
                f"datastore {name!r} has kind {self.kind!r}; this duto knows {', '.join(repr(k) for k in KINDS)}"
            )
        self.root: Path | None = None
        if self.kind == "local":
            root = Path(self.settings["path"])
            self.root = root if root.is_absolute() else workspace_root / root
            self.root.mkdir(parents=True, exist_ok=True)

    @property
    def is_local(self) -> bool:
        """Whether the datastore is a folder on this machine (its files have local paths)."""
        return self.root is not None

    @cached_property
    def identity(self) -> str:
        """What names the datastore's files from any workspace, with no credential in it."""
        if self.kind == "s3":
            from duto.storage.s3_store import s3_identity

            return s3_identity(self.settings)
        if self.kind == "azure_blob":
            from duto.storage.azure_blob_store import azure_identity

            return azure_identity(self.settings)
        assert self.root is not None  # a local datastore
        return self.root.as_uri()

    @cached_property
    def fs(self) -> Any:
        """The fsspec filesystem rooted at the datastore, made when first used (credentials are read then)."""
        from fsspec.implementations.dirfs import DirFileSystem

        secrets = SecretStore(self._workspace_root / ".duto")
        if self.kind == "s3":
            from duto.storage.s3_store import s3_filesystem, s3_root

            return DirFileSystem(path=s3_root(self.settings), fs=s3_filesystem(self.settings, secrets.resolve))
        if self.kind == "azure_blob":
            from duto.storage.azure_blob_store import azure_filesystem, azure_root

            return DirFileSystem(path=azure_root(self.settings), fs=azure_filesystem(self.settings, secrets.resolve))
        from fsspec.implementations.local import LocalFileSystem

        return DirFileSystem(path=str(self.root), fs=LocalFileSystem())

    def clean(self, path: str) -> str:
        """A path inside the datastore, as its filesystem names it.

        Raises:
            DatastorePathError: the path is absolute or climbs out with '..'.
        """
        if self._absolute_paths:
            path = path.lstrip("/")
        return clean_path(path, self.name)

    def where(self, path: str) -> str:
        """How messages name a file of the datastore: "name:path"."""
        return f"{self.name}:{path}"

    def local_path(self, path: str) -> Path:
        """Where a datastore path lives on this machine.

        Raises:
            DatastoreError: the datastore is not a local folder.
        """
        if self.root is None:
            raise DatastoreError(f"datastore {self.name!r} is of kind {self.kind}: its files are not on this machine")
        return self.root / self.clean(path)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self.clean(path)))

    def isfile(self, path: str) -> bool:
        return bool(self.fs.isfile(self.clean(path)))

    def expand(self, pattern: str) -> list[str]:
        """Datastore paths of the files a path or glob names (a folder names every file under it)."""
        return sorted(self._found(pattern, detail=False))

    def listing(self, pattern: str, staging: bool = False) -> dict[str, FileStamp]:
        """The files a path or glob names, each with its stamp: one listing on an object store. With `staging`,
        a transfer's staging area is listed too (when it is what `pattern` names)."""
        found = self._found(pattern, detail=True, staging=staging)
        if self.root is not None:
            return {path: _local_stamp(self.root / path) for path in sorted(found)}
        return {path: _stamp(found[path]) for path in sorted(found)}

    def _found(self, pattern: str, detail: bool, staging: bool = False) -> dict[str, dict[str, Any]]:
        pattern = self.clean(pattern)
        if any(c in pattern for c in GLOB_CHARACTERS):
            found: dict[str, dict[str, Any]] = self.fs.glob(pattern, detail=True)
        elif self.root is not None and not detail:
            # A local folder: stats are cheap, and a file is not listed to be found.
            local = self.root / pattern
            found = _walk(local, pattern) if local.is_dir() else {pattern: {"type": "file"}} if local.is_file() else {}
        else:
            found = self.fs.find(pattern, detail=True) if pattern else self.fs.find("", detail=True)
        return {
            str(path).lstrip("/"): info
            for path, info in found.items()
            if info.get("type") != "directory" and (staging or not str(path).lstrip("/").startswith(STAGING))
        }

    def stamp(self, path: str) -> FileStamp | None:
        """The stamp of one file, or None when there is none."""
        path = self.clean(path)
        if self.root is not None:
            try:
                return _local_stamp(self.root / path)
            except FileNotFoundError:
                return None
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return None
        return None if info.get("type") == "directory" else _stamp(info)

    def open(self, path: str, mode: str = "rb") -> IO[bytes]:
        """A file of the datastore, to read or (with "wb") to write whole."""
        handle: IO[bytes] = self.fs.open(self.clean(path), mode)
        return handle

    def get_file(self, path: str, local: Path) -> None:
        """Copy one file of the datastore to a local path."""
        self.fs.get_file(self.clean(path), str(local))

    def copy(self, source: str, target: str) -> None:
        """Copy one file to another path of the same datastore (on an object store, without reading it here)."""
        self.fs.copy(self.clean(source), self.clean(target))

    def remove(self, path: str) -> None:
        """Delete a file, or a folder and everything under it; nothing there is not an error."""
        path = self.clean(path)
        if not path:
            raise DatastoreError(f"refusing to delete the whole of datastore {self.name!r}")
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(path, recursive=True)

    def put_file(self, local: Path, target: str, overwrite: bool) -> bool:
        """Copy one file in, so a reader never sees half of it: through a temporary name and a rename on a local
        folder; an object store's upload appears whole at once."""
        target = self.clean(target)
        if not target:
            raise DatastorePathError(target, self.name)
        if not overwrite and self.fs.exists(target):
            return False
        if self.root is None:
            self.fs.put_file(str(local), target)
            return True
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
        pairs = [(local, self.clean(target)) for local, target in files]  # every path checked before a byte moves
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
            try:
                self.fs.get_file(path, str(tmp))
                tmp.replace(dest)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            copied += 1
            if progress:
                progress(done, len(paths))
        return copied

    def __repr__(self) -> str:
        return f"DatastoreBackend({self.name!r}, kind={self.kind!r})"


def _local_stamp(path: Path) -> FileStamp:
    st = os.stat(path)
    return FileStamp(st.st_size, f"{st.st_mtime_ns}-{st.st_ino}")


def _stamp(info: Mapping[str, Any]) -> FileStamp:
    """A stored object's stamp from its listing: its ETag where the store gives one."""
    version = info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("last_modified") or ""
    return FileStamp(int(info.get("size") or 0), str(version).strip('"'))


def local_files() -> DatastoreBackend:
    """This machine's own files as a datastore rooted at '/': where `Dataset.File.from_files("/local/path")` reads."""
    backend = DatastoreBackend(LOCAL_FILES, {"kind": "local", "path": "/"}, Path("/"))
    backend._absolute_paths = True
    return backend


LOCAL_FILES = "local files"


def clean_path(path: str, datastore: str | None = None) -> str:
    """A datastore path as given, checked to stay inside the datastore ('' is its root).

    Raises:
        DatastorePathError: the path is absolute or climbs out with '..'.
    """
    if not isinstance(path, str) or path.startswith("/") or "\x00" in path:
        raise DatastorePathError(str(path), datastore)
    parts = PurePosixPath(path).parts
    if ".." in parts:
        raise DatastorePathError(path, datastore)
    return "/".join(p for p in parts if p != ".")


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARACTERS)


def _walk(folder: Path, prefix: str) -> dict[str, dict[str, Any]]:
    """Every file under a local folder, by its datastore path: what the filesystem's `find` gives, read with
    `os.scandir` (a folder of 10,000 files is listed in milliseconds rather than a second)."""
    found: dict[str, dict[str, Any]] = {}
    pending = [(str(folder), prefix)]
    while pending:
        here, name = pending.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                path = f"{name}/{entry.name}" if name else entry.name
                if entry.is_dir():
                    pending.append((entry.path, path))
                elif entry.is_file():
                    found[path] = {"type": "file"}
    return found
