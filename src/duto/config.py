"""Workspace settings: where a workspace keeps its things, read from and written to `.duto/config.json`."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duto.errors import ConfigError, WorkspaceNotFoundError

CONFIG_SCHEMA_VERSION = 1
WORKSPACE_DIR = ".duto"
CONFIG_FILE = "config.json"
DEFAULT_DATASTORE = "workspaceblobstore"
LOCAL_TARGET = "local"
WORKSPACE_ENV = "DUTO_WORKSPACE"


def machine_memory_gb() -> float:
    """This machine's memory in GB, the default memory of a local target."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def default_concurrency() -> int:
    """The machine's cores, the default `max_concurrency` of a local target."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class WorkspaceConfig:
    """The contents of `.duto/config.json`; paths in it are relative to the workspace root."""

    root: Path
    name: str
    db_url: str = "sqlite:///.duto/duto.db"
    default_datastore: str = DEFAULT_DATASTORE
    datastores: dict[str, dict[str, Any]] = field(default_factory=dict)
    compute_targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_environment: str | None = None

    @property
    def duto_dir(self) -> Path:
        return self.root / WORKSPACE_DIR

    @property
    def runs_dir(self) -> Path:
        return self.duto_dir / "runs"

    def capacity(self, target: str) -> tuple[int, float]:
        """A compute target's cores (its max_concurrency) and memory in GB (the machine's, unless set)."""
        settings = self.compute_targets.get(target, {})
        cores = int(settings.get("max_concurrency") or default_concurrency())
        return cores, float(settings.get("memory_gb") or machine_memory_gb())

    def resolved_db_url(self) -> str:
        """The DB URL with a relative SQLite path made absolute against the workspace root."""
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix) and not self.db_url.startswith(prefix + "/"):
            return prefix + str(self.root / self.db_url[len(prefix) :])
        return self.db_url

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": CONFIG_SCHEMA_VERSION,
            "name": self.name,
            "db_url": self.db_url,
            "default_datastore": self.default_datastore,
            "datastores": self.datastores,
            "compute_targets": self.compute_targets,
            "environments": self.environments,
            "default_environment": self.default_environment,
        }

    @classmethod
    def new(cls, root: Path) -> WorkspaceConfig:
        return cls(
            root=root,
            name=root.name or "workspace",
            datastores={
                DEFAULT_DATASTORE: {
                    "kind": "local",
                    "path": f"{WORKSPACE_DIR}/datastores/{DEFAULT_DATASTORE}",
                }
            },
            compute_targets={LOCAL_TARGET: {"kind": "local", "max_concurrency": None}},
        )

    @classmethod
    def load(cls, root: Path) -> WorkspaceConfig:
        path = root / WORKSPACE_DIR / CONFIG_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise WorkspaceNotFoundError(str(root)) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc}); fix it or run `duto init` in a new folder") from exc
        version = data.get("schema_version")
        if version != CONFIG_SCHEMA_VERSION:
            raise ConfigError(f"{path} has schema_version {version!r}; this duto reads version {CONFIG_SCHEMA_VERSION}")
        config = cls(
            root=root,
            name=data["name"],
            db_url=data["db_url"],
            default_datastore=data["default_datastore"],
            datastores=data["datastores"],
            compute_targets=data["compute_targets"],
            # Added after schema version 1 was released: older files have neither key.
            environments=data.get("environments") or {},
            default_environment=data.get("default_environment"),
        )
        config.compute_targets.setdefault(LOCAL_TARGET, {"kind": "local", "max_concurrency": None})
        return config

    def save(self) -> None:
        """Write the settings atomically, so a reader never sees half a file."""
        path = self.duto_dir / CONFIG_FILE
        tmp = path.with_name(f".{CONFIG_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(path)


def find_workspace_root(path: str | os.PathLike[str] | None = None) -> Path:
    """Find a workspace: an explicit path, then DUTO_WORKSPACE, then walking up from the current folder.

    Raises:
        WorkspaceNotFoundError: when none of those holds `.duto/config.json`.
    """
    if path is not None:
        return _workspace_at_or_above(Path(path))
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / WORKSPACE_DIR / CONFIG_FILE).is_file():
            raise WorkspaceNotFoundError(f"{root} (from {WORKSPACE_ENV})")
        return root
    return _workspace_at_or_above(Path.cwd())


def _workspace_at_or_above(start: Path) -> Path:
    start = start.expanduser().resolve()
    if start.name == CONFIG_FILE and start.parent.name == WORKSPACE_DIR:
        return start.parent.parent
    if start.name == WORKSPACE_DIR and (start / CONFIG_FILE).is_file():
        return start.parent
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_DIR / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceNotFoundError(str(start))


@contextmanager
def updating(root: Path) -> Iterator[WorkspaceConfig]:
    """Read, change and write the settings under a lock, so two processes never lose each other's change."""
    lock_path = root / WORKSPACE_DIR / "config.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            config = WorkspaceConfig.load(root)
            yield config
            config.save()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
