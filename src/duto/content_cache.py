"""The workspace's store of step outputs and code as users look after it: list, verify, collect garbage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from duto.storage.cas import GcReport, workspace_content_store
from duto.storage.reuse_store import ReuseStore
from duto.storage.temporary import remove, strays

if TYPE_CHECKING:
    from duto.workspace import Workspace


@dataclass(frozen=True)
class CacheEntry:
    """One reusable step run: its fingerprint, where it ran, its outputs and whether they are in the store."""

    fingerprint: str
    pipeline_run_id: str
    step_name: str
    outputs: dict[str, str]
    size: int
    intact: bool
    created_at: datetime


@dataclass(frozen=True)
class VerifyReport:
    blobs_checked: int
    corrupt_blobs: list[str]
    entries_dropped: list[str]


def cache_entries(workspace: Workspace) -> list[CacheEntry]:
    """Every reuse entry of the workspace, oldest first."""
    cas = workspace_content_store(workspace.config.duto_dir)
    found = []
    for entry in ReuseStore(workspace.database).entries():
        digests = {name: o["digest"] for name, o in entry.outputs.items()}
        size = 0
        for digest in digests.values():
            manifest = cas.manifest(digest) or {}
            if manifest.get("kind") == "file":
                size += int(manifest.get("size", 0))
            else:
                size += sum(int(f.get("size", 0)) for f in manifest.get("files", {}).values())
        intact = all(cas.intact(d) for d in digests.values())
        found.append(
            CacheEntry(
                entry.fingerprint, entry.pipeline_run_id, entry.step_name, digests, size, intact, entry.created_at
            )
        )
    cas.hasher.close()
    return found


def verify_cache(workspace: Workspace) -> VerifyReport:
    """Re-hash every stored blob; corrupt blobs are removed, and entries that needed them are dropped."""
    cas = workspace_content_store(workspace.config.duto_dir)
    checked, corrupt = cas.verify()
    reuse = ReuseStore(workspace.database)
    dropped = []
    for entry in reuse.entries():
        if not all(cas.intact(o["digest"]) for o in entry.outputs.values()):
            reuse.drop(entry.fingerprint)
            dropped.append(entry.fingerprint)
    cas.hasher.close()
    return VerifyReport(checked, corrupt, dropped)


def collect_garbage(workspace: Workspace) -> GcReport:
    """Remove stored outputs and snapshots that no gc root keeps (see `storage/gc_roots.py`: runs, reuse entries),
    and the stray temporaries of writers that are gone: in the store, in the runs' folders and on the local
    datastores (half-published outputs)."""
    from duto.storage.gc_roots import live_digests

    cas = workspace_content_store(workspace.config.duto_dir)
    report = cas.gc(live_digests(workspace.database))
    cas.hasher.close()
    folders = [workspace.config.runs_dir, *(Path(d.root) for d in workspace.datastores.values())]
    found = [stray for folder in folders for stray in strays(folder, recursive=True)]
    freed = sum(remove(stray) for stray in found)
    return replace(report, temporary=report.temporary + len(found), bytes_freed=report.bytes_freed + freed)
