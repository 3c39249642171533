"""Datastores as users see them: upload and download files by path."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from duto.errors import DatastoreError, DatastoreNotFoundError
from duto.graph.datasets import DataPath
from duto.storage.datastores import DatastoreBackend, Progress

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace


class Datastore:
    """A named place for files in a workspace; `workspaceblobstore` is the default one.

    Args:
        workspace: the workspace it belongs to.
        name: its name; the workspace's default datastore when None.
    """

    def __init__(self, workspace: Workspace, name: str | None = None) -> None:
        name = name or workspace.config.default_datastore
        settings = workspace.config.datastores.get(name)
        if settings is None:
            raise DatastoreNotFoundError(name, list(workspace.config.datastores))
        self.workspace = workspace
        self.name = name
        self.datastore_type = settings.get("kind", "local")
        self._backend = DatastoreBackend(name, settings, workspace.root)

    @staticmethod
    def get(workspace: Workspace, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Workspace) -> Datastore:
        return workspace.get_default_datastore()

    @property
    def root(self) -> Path:
        """The folder behind a local datastore."""
        return self._backend.root

    def path(self, path: str) -> DataPath:
        """A DataPath on this datastore (v1's `datastore.path(...)`)."""
        return DataPath(self, path)

    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> str:
        """Copy every file under `src_dir` to `target_path` on the datastore; returns `target_path`."""
        source = Path(src_dir)
        if not source.is_dir():
            raise DatastoreError(f"upload: {str(source)!r} is not a folder; use upload_files for single files")
        target = (target_path or "").strip("/")
        files = sorted(p for p in source.rglob("*") if p.is_file())
        pairs = [(p, "/".join(filter(None, [target, p.relative_to(source).as_posix()]))) for p in files]
        with _progress(show_progress, f"Uploading to {self.name}") as progress:
            self._backend.upload_files(pairs, overwrite, progress)
        return target

    def upload_files(
        self,
        files: Sequence[str | os.PathLike[str]],
        relative_root: str | os.PathLike[str] | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> str:
        """Copy files to `target_path`, each keeping its path relative to `relative_root` (its name by default)."""
        target = (target_path or "").strip("/")
        pairs = []
        for item in files:
            path = Path(item)
            if not path.is_file():
                raise DatastoreError(f"upload_files: {str(path)!r} is not a file")
            if relative_root is not None:
                try:
                    rel = path.resolve().relative_to(Path(relative_root).resolve()).as_posix()
                except ValueError:
                    raise DatastoreError(
                        f"upload_files: {str(path)!r} is not under relative_root {str(relative_root)!r}"
                    ) from None
            else:
                rel = path.name
            pairs.append((path, "/".join(filter(None, [target, rel]))))
        with _progress(show_progress, f"Uploading to {self.name}") as progress:
            self._backend.upload_files(pairs, overwrite, progress)
        return target

    def download(
        self,
        target_path: str | os.PathLike[str],
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Copy the files under `prefix` to `target_path/<path on datastore>`; returns how many were copied."""
        with _progress(show_progress, f"Downloading from {self.name}") as progress:
            return self._backend.download(prefix or "", Path(target_path), overwrite, progress)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r})"


@contextmanager
def _progress(show: bool, description: str) -> Iterator[Progress | None]:
    """A progress bar while files are copied, when asked for (`show_progress`, on by default as in Azure) and
    there is a terminal or a notebook to draw it on: piped or captured output gets nothing."""
    from rich.console import Console

    console = Console()
    if not show or not (console.is_terminal or console.is_jupyter):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
