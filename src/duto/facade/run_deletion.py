"""Deleting runs for real: their records, their folders and their published outputs, keeping what kept runs
reused. The content they held in the store is left to `cache gc`, which reclaims whatever no gc root keeps.

What goes, for each run: its rows (the run and its lease, its step runs, events, metrics, fingerprint claims),
its folder `.duto/runs/<id>/` (logs, events files, working copies), and each output it published on a
datastore (`azureml/<step run>/<output>`) that no kept step run or reuse entry names. What stays: the outputs
a kept run reused (they are that run's outputs too), a tombstone for each step run a kept run reused (so
`get_reuse_info()` and `duto why` still say where it came from), and the reuse entry of such a step run, moved
to the newest kept step run that reused it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from duto.errors import AmbiguousRunError, PipelineRunError, RunNotEndedError, RunNotFoundError
from duto.graph.status import TERMINAL
from duto.storage.deletion_store import DeletedRecords, DeletionStore
from duto.storage.layout import RunLayout
from duto.storage.lease_store import holder_of
from duto.storage.temporary import remove

if TYPE_CHECKING:
    from duto.facade.workspace import Workspace

# How long `force` waits for a canceled run's runner to let go of it before giving up.
STOP_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class RunDeletion:
    """What deleting one run removed, and what it kept because kept runs reused it."""

    records: DeletedRecords
    folder_bytes: int  # bytes the run's folder held (files shared with the store by hard links not counted)
    outputs_removed: list[str]  # "datastore:path" of each published output removed
    output_bytes: int
    canceled: bool  # it was going, and was canceled first (`force`)

    @property
    def run_id(self) -> str:
        return self.records.run_id

    @property
    def outputs_kept(self) -> list[str]:
        return [f"{d}:{p}" for d, p in self.records.kept_outputs]


def resolve_runs(workspace: Workspace, ids: Iterable[str]) -> list[str]:
    """Pipeline run ids for what a user typed: whole ids or unique prefixes, in order, without repeats.

    Raises:
        RunNotFoundError: for an id that names no run.
        AmbiguousRunError: for a prefix of several runs' ids, listing them.
    """
    store = DeletionStore(workspace.database)
    found: list[str] = []
    for typed in ids:
        matches = store.matching_runs(typed.strip())
        if not typed.strip() or not matches:
            raise RunNotFoundError(typed)
        if len(matches) > 1:
            workspace.runs_store.pipeline_run(typed.strip())  # raises the listing every command gives
            raise AmbiguousRunError(typed, matches)
        if matches[0] not in found:
            found.append(matches[0])
    return found


def delete_runs(workspace: Workspace, run_ids: Sequence[str], force: bool = False) -> list[RunDeletion]:
    """Delete runs (whole ids; see `resolve_runs` for prefixes), each for real.

    Args:
        force: cancel the runs that have not ended, wait for their runners to let go, then delete them.

    Raises:
        RunNotEndedError: without `force`, when any of them has not ended; nothing is deleted then.
        PipelineRunError: with `force`, when a canceled run's runner did not let go in time.
    """
    store = workspace.runs_store
    run_ids = list(dict.fromkeys(run_ids))
    going = [(r, store.pipeline_run(r).status) for r in run_ids]
    going = [(r, s) for r, s in going if s not in TERMINAL]
    if going and not force:
        raise RunNotEndedError([r for r, _ in going], [s for _, s in going])
    for run_id, _ in going:
        _cancel_and_wait(workspace, run_id)
    canceled = {r for r, _ in going}
    return [_delete_one(workspace, run_id, run_id in canceled) for run_id in run_ids]


def _cancel_and_wait(workspace: Workspace, run_id: str) -> None:
    from duto.facade.runs import PipelineRun

    PipelineRun(workspace, run_id).cancel()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while True:
        row = workspace.runs_store.pipeline_run(run_id)
        # Ended, and its runner has let go of it (released its lease, or is gone): nothing writes to it any more.
        if row.status in TERMINAL and (row.lease_expires_at == 0.0 or not holder_of(row).live()):
            return
        if time.monotonic() > deadline:
            raise PipelineRunError(
                run_id,
                row.status,
                f"it was canceled but its runner did not stop within {STOP_TIMEOUT_SECONDS:g} s; nothing of it "
                "was deleted: try again once `duto runs show` says it ended",
            )
        workspace.database.wait_for_commit(time.monotonic() + 0.2)


def _delete_one(workspace: Workspace, run_id: str, canceled: bool) -> RunDeletion:
    # The records go first, in one transaction: once they are gone nothing names the files below, and a
    # failure in between leaves only files that name nothing.
    records = DeletionStore(workspace.database).delete_run(run_id)
    folder = RunLayout(workspace.config.runs_dir, run_id).root
    folder_bytes = _unshared_bytes(folder)
    remove(folder)
    removed, output_bytes = [], 0
    datastores = workspace.datastores
    for datastore, path in records.unreferenced_outputs:
        if datastore not in datastores:
            continue  # a datastore no longer configured: nothing of it is reachable from here
        if datastores[datastore].kind != "local":
            datastores[datastore].backend.remove(path)
            removed.append(f"{datastore}:{path}")
            continue
        root = Path(datastores[datastore].root)
        target = root / path
        if not target.exists() and not target.is_symlink():
            continue
        output_bytes += remove(target)
        removed.append(f"{datastore}:{path}")
        _remove_empty_parents(target.parent, root)
    return RunDeletion(records, folder_bytes, removed, output_bytes, canceled)


def _unshared_bytes(folder: Path) -> int:
    """Bytes of the files under `folder` that have no other link (hard links into the store free nothing)."""
    total = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            if st.st_nlink <= 1:
                total += st.st_size
    return total


def _remove_empty_parents(folder: Path, root: Path) -> None:
    """Remove folders left empty up to the datastore's root (`azureml/<step run>/` once its outputs went)."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
