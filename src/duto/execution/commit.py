"""Committing a succeeded step's outputs: stored by content, staged (laid out again where the step wrote them,
or beside their final places), recorded in the DB, then promoted to those places by one rename each.

The DB record (the step Finished with its outputs, and its reuse entry, in one transaction) is the commit:
before it nothing is under a final name, and after it every output is whole in the content store. Promotion
only renames; a run taken over after a crash in between lays out whatever is missing (`lay_out`).

An object store (S3, Azure Blob) has no rename of a folder: an output there is uploaded from the content store
after the commit, each file appearing whole at once, and `lay_out` uploads again whatever is missing there.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from duto.errors import DutoError
from duto.execution.materialize import output_location
from duto.graph.spec import StepSpec
from duto.storage.cas import ContentStore, Fault, StoreDamagedError
from duto.storage.datastores import DatastoreBackend
from duto.storage.layout import StepLayout
from duto.storage.temporary import remove

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


class CommitError(DutoError):
    """A step's outputs could not be committed; nothing of them is under a final name."""


class OutputsNotWrittenError(CommitError):
    """A step ended well but left declared outputs empty: nothing of it is stored, published or reusable."""

    def __init__(self, step_name: str, outputs: list[str]) -> None:
        self.step_name = step_name
        self.outputs = outputs
        if len(outputs) == 1:
            what, were, them = f"output {outputs[0]!r}", "was", "it"
        else:
            what, were, them = f"outputs {', '.join(map(repr, outputs))}", "were", "them"
        super().__init__(f"{what} of step {step_name!r} {were} declared but the step wrote nothing to {them}")


@dataclass
class StagedOutputs:
    """A step's outputs, stored and laid out under names that are not final (in the step's folder, or temporary
    ones beside their final places; an object store's: uploaded once they are promoted)."""

    cas: ContentStore
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> datastore, path, digest
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (staging, final)
    uploads: list[tuple[DatastoreBackend, str, str]] = field(default_factory=list)  # (datastore, path, digest)

    def promote(self) -> list[str]:
        """Give every output its final place; returns what could not be uploaded to an object store (the output
        is whole in the content store, and is uploaded again by the next `lay_out` that needs it)."""
        for staging, final in self.staged:
            ContentStore.promote(staging, final)
        problems = []
        for backend, path, digest in self.uploads:
            try:
                upload_output(self.cas, digest, backend, path)
            except (OSError, DutoError) as exc:
                problems.append(
                    f"could not upload the output to {backend.where(path)} ({exc}); it is uploaded again "
                    "when a step or run needs it"
                )
        return problems

    def discard(self) -> None:
        for staging, _ in self.staged:
            remove(staging)
        self.staged.clear()


def stage_outputs(
    spec: StepSpec,
    layout: StepLayout,
    step_run_id: str,
    cas: ContentStore,
    datastores: Mapping[str, DatastoreBackend],
    default_datastore: str,
) -> StagedOutputs:
    """Store each output the step wrote and stage it beside its final place.

    Raises:
        OutputsNotWrittenError: a declared output was not written; nothing is stored.
        CommitError: an output holds something other than files and folders, or could not be written (a
            full disk says so); what was staged is removed first.
    """
    missing = [o.name for o in spec.outputs if not _written(layout.outputs / o.name)]
    if missing:
        raise OutputsNotWrittenError(spec.name, missing)
    result = StagedOutputs(cas)
    for output in spec.outputs:
        datastore, path = output_location(output, step_run_id, default_datastore)
        written = layout.outputs / output.name
        backend = datastores[datastore]
        try:
            _refuse_special_files(written, output.name)
            if backend.is_local:
                final = backend.local_path(path)
                digest, staging = _store_and_stage(cas, written, final)
                result.staged.append((staging, final))
            else:
                digest = cas.put_output(written)
                result.uploads.append((backend, path, digest))
        except (OSError, CommitError) as exc:
            result.discard()
            if isinstance(exc, CommitError):
                raise
            raise CommitError(_why(output.name, exc)) from exc
        result.outputs[output.name] = {"datastore": datastore, "path": path, "digest": digest}
    return result


def publish_folders(
    spec: StepSpec, step_run_id: str, datastores: Mapping[str, DatastoreBackend], default_datastore: str
) -> list[Path]:
    """The folders on local datastores that a step run's outputs are published into (`azureml/<step run>/`): made
    while the step runs, so that its commit does not make them between its end and the next step's start."""
    folders = []
    for output in spec.outputs:
        datastore, path = output_location(output, step_run_id, default_datastore)
        backend = datastores[datastore]
        if backend.is_local:
            folders.append(backend.local_path(path).parent)
    return folders


def _store_and_stage(cas: ContentStore, written: Path, final: Path) -> tuple[str, Path]:
    """Store an output and lay it out under a name its final place is given by one rename; returns its digest
    and that name.

    On the final place's filesystem, the place the step wrote it becomes that copy (its files links of their
    blobs), so no staging folder is made beside the final place. Else, or when the step's folder holds what
    the output's manifest has no room for (an empty folder, a symbolic link), it is staged beside it.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if _plain(written) and os.stat(final.parent).st_dev == os.stat(written.parent).st_dev:
        return cas.put_in_place(written), written
    digest = cas.put_output(written)
    return digest, cas.stage(digest, final)


def _plain(written: Path) -> bool:
    """Whether an output is files in folders alone, each folder holding something: laid out again from its
    manifest, it is what the step wrote."""
    if written.is_symlink():
        return False
    if not written.is_dir():
        return True
    for dirpath, dirnames, filenames in os.walk(written):
        if not dirnames and not filenames:
            return False
        if any(os.path.islink(os.path.join(dirpath, name)) for name in [*dirnames, *filenames]):
            return False
    return True


def _written(path: Path) -> bool:
    """Whether a step wrote to an output path: a file (even an empty one), or a folder holding a file.

    An output folder may have been made for the step before it started (`is_directory`); only what is in it
    tells that the step wrote something.
    """
    if not path.is_dir():
        return os.path.lexists(path)
    return any(names for _, _, names in os.walk(path))


def _why(output: str, exc: OSError) -> str:
    if exc.errno in DISK_FULL:
        return f"no space left on device while writing output {output!r}"
    return f"could not commit output {output!r}: {exc}"


def _refuse_special_files(written: Path, output: str) -> None:
    """An output holds files and folders; reading a device or a pipe into the store would never end."""
    entries = [written] if not written.is_dir() else [Path(d) / n for d, _, names in os.walk(written) for n in names]
    for entry in entries:
        mode = entry.stat().st_mode if entry.exists() else entry.lstat().st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            where = entry.relative_to(written) if entry != written else entry.name
            raise CommitError(
                f"output {output!r} holds {str(where)!r}, which is not a file or a folder (a device, a pipe or a "
                "socket); write its content to a file instead"
            )


def lay_out(
    outputs: Mapping[str, Mapping[str, str]], cas: ContentStore, datastores: Mapping[str, DatastoreBackend]
) -> None:
    """Publish again any of a finished step run's outputs that is not at its final place (on an object store:
    whose files there are not those of the output, by path and size).

    Raises:
        StoreDamagedError: the output is not whole in the content store.
        OSError: an object store could not be reached.
    """
    for output in outputs.values():
        if output.get("stored_in") == "datastore":
            continue  # a data transfer's copy: its bytes are on its datastore only, and checked there for reuse
        backend = datastores[output["datastore"]]
        if not backend.is_local:
            if not _uploaded(cas, output["digest"], backend, output["path"]):
                upload_output(cas, output["digest"], backend, output["path"])
            continue
        final = backend.local_path(output["path"])
        if not final.exists():
            cas.publish(output["digest"], final)


def _stored_files(cas: ContentStore, digest: str, path: str) -> dict[str, tuple[str, int]]:
    """Datastore path -> (blob, size) of each file of a stored output published at `path`."""
    manifest = cas.manifest(digest)
    if manifest is None:
        raise StoreDamagedError(cas.manifest_fault(digest) or Fault("manifest", digest, "missing"), path)
    if manifest["kind"] == "file":
        return {path: (manifest["digest"], manifest["size"])}
    return {f"{path}/{rel}": (entry["digest"], entry["size"]) for rel, entry in manifest["files"].items()}


def _uploaded(cas: ContentStore, digest: str, backend: DatastoreBackend, path: str) -> bool:
    there = {p: stamp.size for p, stamp in backend.listing(path).items()}
    return there == {p: size for p, (_, size) in _stored_files(cas, digest, path).items()}


def upload_output(cas: ContentStore, digest: str, backend: DatastoreBackend, path: str) -> None:
    """Upload a stored output to `path` on an object store, replacing what was there.

    Raises:
        StoreDamagedError: a blob of it is missing or corrupt (nothing is uploaded then).
        OSError: the store could not be reached.
    """
    files = _stored_files(cas, digest, path)
    fault = cas.fault(digest)
    if fault is not None:
        raise StoreDamagedError(fault, f"output at {backend.where(path)}")
    for target, (blob, _) in files.items():
        backend.put_file(cas.blob_path(blob), target, overwrite=True)
    for stale in set(backend.expand(path)) - set(files):
        backend.remove(stale)
