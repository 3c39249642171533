"""A DataTransferStep's copy: between any two datastores, checked by content, resumable, published whole.

Each file is copied into a staging area on the destination datastore, `.duto-staging/<key>/`, where `key` comes
from the step's fingerprint; it is read back there and its BLAKE3 must be the one its source had when the step's
fingerprint was taken. A verified file is noted in a journal on this machine (`.duto/transfers/<key>.jsonl`)
with the stamp its staged copy has. A transfer stopped half-way (its runner killed, the run canceled, an attempt
failed) goes on from there: the next attempt, or the next run with the same fingerprint, skips every file the
journal vouches for whose staged copy still has that stamp.

Only when every file is staged is the whole published under the destination's name: on a local folder by one
rename; on an object store, which has no rename, by a copy inside the store of each file, then the staging area
is deleted. Until then nothing is under that name. The result is recorded as a manifest of the files' digests
and stamps (kind `datastore_files`): the bytes stay on the destination, not in the content store.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

import blake3

from duto.caching.components import file_key
from duto.errors import DutoError
from duto.execution.materialize import fixed_prefix, output_location
from duto.graph.spec import StepSpec, dataset_paths
from duto.storage.cas import DATASTORE_FILES, ContentStore
from duto.storage.datastores import STAGING, DatastoreBackend, FileStamp, local_files
from duto.storage.layout import StepLayout
from duto.tracking.step_context import Run

DATA_TRANSFER = "data_transfer"
RESULT_FILE = "transfer.json"
CHUNK = 8 * 1024 * 1024
PROGRESS_SECONDS = 1.0


class TransferError(DutoError):
    """A transfer that cannot go on as asked; its attempt fails with this message."""


class TransferStopped(Exception):
    """The runner asked the transfer to stop (a cancel, a timeout, the runner leaving)."""


@dataclass(frozen=True)
class SourceFile:
    """One file to copy: where it goes under the destination, its content digest, and how to read it."""

    rel: str  # "" when the destination path is the file itself
    digest: str
    where: str
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class TransferPlan:
    """What the runner hands a transfer: the step, where it writes, and what it knows of the source."""

    spec: StepSpec
    step_run_id: str
    key: str
    layout: StepLayout
    journal: Path
    cas: ContentStore
    datastores: Mapping[str, DatastoreBackend]
    parameters: Mapping[str, Any]
    upstream: Mapping[str, Mapping[str, Mapping[str, str]]]
    source_digests: Mapping[str, str]  # the fingerprint's file key -> digest, for a dataset source
    default_datastore: str

    @property
    def destination(self) -> tuple[DatastoreBackend, str]:
        datastore, path = output_location(self.spec.outputs[0], self.step_run_id, self.default_datastore)
        return self.datastores[datastore], path

    @property
    def to_file(self) -> bool:
        return (self.spec.transfer or {}).get("destination_reference_type") == "file"


def transfer_key(fingerprint: str | None, allow_reuse: bool, step_run_id: str) -> str:
    """What names a transfer's staging area and journal: its fingerprint, so that a later run copying the same
    content to the same place goes on from what an earlier one copied; its step run's id when reuse is off
    (then no claim keeps two runs of one fingerprint apart)."""
    return (fingerprint or step_run_id)[:32] if allow_reuse else step_run_id


# the source ----------------------------------------------------------------------------------------
def source_files(plan: TransferPlan) -> list[SourceFile]:
    """The files the transfer copies, each with the digest its fingerprint took.

    Raises:
        TransferError: the source changed since the fingerprint, names no file, or is not one file when
            its reference type says so.
    """
    port = plan.spec.inputs[0]
    files = _output_files(plan, port.source) if port.source["kind"] == "step_output" else _dataset_files(plan)
    if not files:
        raise TransferError(f"the source {port.name!r} holds no files; there is nothing to copy")
    options = plan.spec.transfer or {}
    if options.get("source_reference_type") == "file" and len(files) != 1:
        raise TransferError(f"source_reference_type is 'file' but the source holds {len(files)} files")
    if plan.to_file:
        if len(files) != 1:
            raise TransferError(
                f"destination_reference_type is 'file' but the source holds {len(files)} files; copy them to a "
                "directory"
            )
        files = [SourceFile("", files[0].digest, files[0].where, files[0].open)]
    return files


def _dataset_files(plan: TransferPlan) -> list[SourceFile]:
    found: list[SourceFile] = []
    seen: set[str] = set()
    for entry in dataset_paths(plan.spec.inputs[0].source, plan.parameters):
        if "url" in entry:
            raise TransferError(
                f"a data transfer copies from datastores and local files, not from a URL ({entry['url']})"
            )
        if "local" in entry:
            backend, pattern, prefix = local_files(), entry["local"], "/"
        else:
            backend, pattern = plan.datastores[entry["datastore"]], entry["path"]
            prefix = file_key(entry["datastore"], "", plan.default_datastore)
        matched = backend.expand(pattern)
        base = fixed_prefix(pattern)
        if matched == [base]:
            base = str(PurePosixPath(base).parent)
        for path in matched:
            key = prefix + path
            digest = plan.source_digests.get(key)
            if digest is None:
                raise TransferError(
                    f"{backend.where(path)} appeared after the step's fingerprint was taken; submit again"
                )
            seen.add(key)
            rel = str(PurePosixPath(path).relative_to(base)) if base not in ("", ".") else path
            found.append(SourceFile(rel, digest, backend.where(path), _opener(backend, path)))
    gone = sorted(set(plan.source_digests) - seen)
    if gone:
        raise TransferError(f"{gone[0]} is gone since the step's fingerprint was taken; submit the pipeline again")
    return found


def _output_files(plan: TransferPlan, source: Mapping[str, str]) -> list[SourceFile]:
    """The files of an upstream step's output: from the content store, or from its datastore when a transfer
    wrote it."""
    location = plan.upstream.get(source["step"], {}).get(source["output"])
    if location is None:
        raise TransferError(f"step {source['step']!r} recorded no output {source['output']!r}")
    manifest = plan.cas.manifest(location["digest"])
    if manifest is None:
        raise TransferError(f"the record of output {source['output']!r} is missing from the content store")
    if manifest["kind"] == "file":
        name = PurePosixPath(location["path"]).name
        blob = manifest["digest"]
        return [SourceFile(name, blob, f"output {source['output']!r}", _blob_opener(plan.cas, blob))]
    if manifest["kind"] == DATASTORE_FILES:
        backend = plan.datastores[location["datastore"]]
        return [
            SourceFile(
                rel or PurePosixPath(location["path"]).name,  # a copy that is one file keeps its name
                entry["digest"],
                backend.where(_join(location["path"], rel)),
                _opener(backend, _join(location["path"], rel)),
            )
            for rel, entry in sorted(manifest["files"].items())
        ]
    return [
        SourceFile(rel, entry["digest"], f"output {source['output']!r}: {rel}", _blob_opener(plan.cas, entry["digest"]))
        for rel, entry in sorted(manifest["files"].items())
    ]


def _opener(backend: DatastoreBackend, path: str) -> Callable[[], IO[bytes]]:
    return lambda: backend.open(path)


def _blob_opener(cas: ContentStore, blob: str) -> Callable[[], IO[bytes]]:
    return lambda: cas.blob_path(blob).open("rb")


def _join(folder: str, rel: str) -> str:
    return f"{folder}/{rel}" if rel else folder


# the journal ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    digest: str
    stamp: FileStamp


class Journal:
    """The files of a transfer copied and verified so far, one JSON line each, written through to the disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Verified] = {}
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                record = json.loads(line)
                self.entries[record["rel"]] = Verified(record["digest"], FileStamp(record["size"], record["version"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill: that file is copied again

    def add(self, rel: str, digest: str, stamp: FileStamp) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"rel": rel, "digest": digest, "size": stamp.size, "version": stamp.version}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.entries[rel] = Verified(digest, stamp)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# the copy ------------------------------------------------------------------------------------------
class Progress:
    """What the transfer says as it goes: lines in the step's log, and metrics of the step run."""

    def __init__(self, plan: TransferPlan, total: int) -> None:
        self.log_path = plan.layout.std_log
        self.run = Run(plan.step_run_id, str(plan.layout.events), str(plan.layout.files))
        self.total = total
        self.copied = self.skipped = self.bytes = 0
        self.last = time.monotonic()

    def say(self, line: str) -> None:
        with self.log_path.open("a") as log:
            log.write(f"duto: transfer: {line}\n")

    def copied_one(self, size: int) -> None:
        self.copied += 1
        self.bytes += size
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS or self.copied + self.skipped == self.total:
            self.last = now
            done = self.copied + self.skipped
            self.say(f"{done}/{self.total} files, {_size(self.bytes)} copied")
            self.run.log("files_done", done)


def run_transfer(plan: TransferPlan, stop: threading.Event) -> dict[str, dict[str, str]]:
    """Copy, verify and publish; returns the output's record {name: {"datastore", "path", "digest", "stored_in"}}.

    Raises:
        TransferError: the source changed, or a copy does not hold its source's bytes.
        TransferStopped: `stop` was set; what was verified so far stays staged for the next attempt.
        OSError: a datastore could not be read or written.
    """
    plan.layout.root.mkdir(parents=True, exist_ok=True)
    destination, final = plan.destination
    staging = f"{STAGING}/{plan.key}"
    files = source_files(plan)
    progress = Progress(plan, len(files))
    journal = Journal(plan.journal)
    staged = _staged_stamps(destination, staging) if journal.entries else {}
    todo = []
    for file in files:
        verified = journal.entries.get(file.rel)
        if (
            verified is not None
            and verified.digest == file.digest
            and staged.get(_staged(staging, file.rel)) == verified.stamp
        ):
            progress.skipped += 1
        else:
            todo.append(file)
    progress.say(
        f"{len(files)} files to {destination.where(final)}; {progress.skipped} already copied and verified, "
        f"{len(todo)} to copy"
    )
    for file in todo:
        if stop.is_set():
            raise TransferStopped()
        size = _copy(file, destination, _staged(staging, file.rel), stop)
        journal.add(file.rel, file.digest, _must_stamp(destination, _staged(staging, file.rel)))
        progress.copied_one(size)
    if stop.is_set():
        raise TransferStopped()
    _publish(destination, staging, final, [f.rel for f in files], plan.to_file)
    stamps = _final_stamps(destination, final, [f.rel for f in files])
    manifest = {
        "kind": DATASTORE_FILES,
        "files": {
            f.rel: {"digest": f.digest, "size": stamps[f.rel].size, "stamp": stamps[f.rel].version} for f in files
        },
    }
    digest = plan.cas.put_manifest(manifest)
    journal.remove()
    progress.say(
        f"published {len(files)} files at {destination.where(final)} ({progress.copied} copied, "
        f"{progress.skipped} from an earlier attempt, {_size(progress.bytes)})"
    )
    progress.run.log("files_copied", progress.copied)
    progress.run.log("files_skipped", progress.skipped)
    progress.run.log("bytes_copied", progress.bytes)
    name = plan.spec.outputs[0].name
    return {name: {"datastore": destination.name, "path": final, "digest": digest, "stored_in": "datastore"}}


def _staged(staging: str, rel: str) -> str:
    return f"{staging}/{rel or '_file'}"


def _staged_stamps(destination: DatastoreBackend, staging: str) -> dict[str, FileStamp]:
    """The stamps of what is staged, in one listing."""
    return destination.listing(staging, staging=True) if destination.exists(staging) else {}


def _must_stamp(destination: DatastoreBackend, path: str) -> FileStamp:
    stamp = destination.stamp(path)
    if stamp is None:
        raise TransferError(f"{destination.where(path)} vanished right after it was written")
    return stamp


def _copy(file: SourceFile, destination: DatastoreBackend, staged: str, stop: threading.Event) -> int:
    """Copy one file to its staged place and read it back; both must hash to the source's digest."""
    if destination.is_local:
        destination.local_path(staged).parent.mkdir(parents=True, exist_ok=True)
    read, size = blake3.blake3(), 0
    with file.open() as source, destination.open(staged, "wb") as out:
        while chunk := source.read(CHUNK):
            if stop.is_set():
                raise TransferStopped()
            read.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if read.hexdigest() != file.digest:
        raise TransferError(
            f"{file.where} changed since the step's fingerprint was taken (blake3 {file.digest[:12]}..., now "
            f"{read.hexdigest()[:12]}...); submit the pipeline again to copy what it holds now"
        )
    written = blake3.blake3()
    with destination.open(staged, "rb") as back:
        while chunk := back.read(CHUNK):
            written.update(chunk)
    if written.hexdigest() != file.digest:
        raise TransferError(
            f"the copy of {file.where} at {destination.where(staged)} does not hold its bytes (blake3 "
            f"{written.hexdigest()[:12]}..., expected {file.digest[:12]}...)"
        )
    return size


def _publish(destination: DatastoreBackend, staging: str, final: str, rels: list[str], to_file: bool) -> None:
    """Put the staged files under the destination's name, replacing what was there."""
    if destination.is_local:
        folder = destination.local_path(final)
        folder.parent.mkdir(parents=True, exist_ok=True)
        if to_file:
            os.replace(destination.local_path(_staged(staging, "")), folder)
            destination.remove(staging)
        else:
            ContentStore.promote(destination.local_path(staging), folder)
        return
    wanted = set()
    for rel in rels:
        target = final if to_file else f"{final}/{rel}"
        destination.copy(_staged(staging, rel), target)
        wanted.add(target)
    if not to_file:
        for stale in set(destination.expand(final)) - wanted:
            destination.remove(stale)
    destination.remove(staging)


def _final_stamps(destination: DatastoreBackend, final: str, rels: list[str]) -> dict[str, FileStamp]:
    if rels == [""]:
        return {"": _must_stamp(destination, final)}
    listed = destination.listing(final)
    stamps = {}
    for rel in rels:
        stamp = listed.get(f"{final}/{rel}")
        if stamp is None:
            raise TransferError(f"{destination.where(f'{final}/{rel}')} is missing right after it was published")
        stamps[rel] = stamp
    return stamps


def placed_fault(
    cas: ContentStore, output: Mapping[str, str], datastores: Mapping[str, DatastoreBackend]
) -> str | None:
    """What is wrong with a transfer's published copy (missing, or changed since), or None when it is as recorded.

    One listing of the destination: files are known by their stamps, not read.
    """
    manifest = cas.manifest(output["digest"])
    where = f"{output['datastore']}:{output['path']}"
    if manifest is None:
        return f"the record of its copy at {where} is missing from the content store"
    backend = datastores.get(output["datastore"])
    if backend is None:
        return f"datastore {output['datastore']!r} is no longer in the workspace"
    try:
        if set(manifest["files"]) == {""}:
            now = {"": backend.stamp(output["path"])}
        else:
            listed = backend.listing(output["path"])
            now = {rel: listed.get(f"{output['path']}/{rel}") for rel in manifest["files"]}
            if len(listed) != len(manifest["files"]):
                return f"its copy at {where} holds other files now"
    except OSError as exc:
        return f"its copy at {where} could not be checked ({exc})"
    for rel, entry in manifest["files"].items():
        stamp = now.get(rel)
        if stamp is None or stamp != FileStamp(entry["size"], entry["stamp"]):
            return f"its copy at {where} changed or is gone ({rel or output['path']})"
    return None


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB"):
        n_units = n / 1024 ** (("KiB", "MiB", "GiB").index(unit) + 1)
        if n_units < 1024 or unit == "GiB":
            return f"{n_units:.1f} {unit}"
    return f"{n} B"
