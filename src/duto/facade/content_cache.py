"""The workspace's store of step outputs and code as users look after it: list, verify, collect garbage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from duto.caching.explain import verify_dropped
from duto.storage.cas import Fault, GcReport, workspace_content_store
from duto.storage.reuse_store import ReuseStore
from duto.storage.temporary import remove, strays

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace


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
class DroppedEntry:
    """A reuse entry `verify_cache` dropped: the step run it pointed at, and what of its outputs is gone."""

    fingerprint: str
    pipeline_run_id: str
    step_name: str
    fault: Fault


@dataclass(frozen=True)
class VerifyReport:
    checked: int  # blobs and manifests re-hashed
    corrupt: list[Fault]  # removed from the store
    entries_dropped: list[DroppedEntry]

    @property
    def damaged(self) -> bool:
        """Whether the store was not as its records say: something corrupt, or an entry's output missing."""
        return bool(self.corrupt or self.entries_dropped)


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
    """Re-hash every stored blob and manifest; corrupt ones are removed, and the reuse entries whose outputs
    are no longer whole are dropped, each with why, which `duto why` of the step's next run tells."""
    cas = workspace_content_store(workspace.config.duto_dir)
    checked, corrupt = cas.verify()
    was_corrupt = {fault.digest for fault in corrupt}
    reuse = ReuseStore(workspace.database)
    dropped = []
    for entry in reuse.entries():
        for output in entry.outputs.values():
            fault = cas.fault(output["digest"])
            if fault is None:
                continue
            if fault.digest in was_corrupt:
                fault = replace(fault, problem="corrupt")
            reuse.drop(entry.fingerprint, verify_dropped(fault.describe()))
            dropped.append(DroppedEntry(entry.fingerprint, entry.pipeline_run_id, entry.step_name, fault))
            break
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
