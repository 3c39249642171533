"""Files of object-store datastores (S3, Azure Blob) known by content without reading them every time.

A fingerprint needs each input file's BLAKE3. An object is read once: its digest is remembered against the
store's stamp of it (size and ETag, which the store changes whenever the object is rewritten), so an unchanged
object is not downloaded again to be fingerprinted. Read for a step that will be given the file, the bytes are
kept in the content store under that digest, and the step is given those very bytes: an object rewritten
between the fingerprint and the step's start cannot feed the step other bytes than its fingerprint says.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import blake3

from duto.errors import DatastoreError
from duto.storage.cas import ContentStore
from duto.storage.datastores import DatastoreBackend, FileStamp
from duto.storage.hashing import HashingTooSlow
from duto.storage.temporary import temporary_name

CHUNK = 4 * 1024 * 1024


class RemoteFileError(DatastoreError, OSError):
    """An object could not be read as its fingerprint needs (it changed while read, or no longer holds the bytes
    the fingerprint was taken from); an OSError, as a failed read is."""


class RemoteFiles:
    """Content digests of stored objects, and their bytes kept in the content store when a step needs them."""

    def __init__(self, cas: ContentStore) -> None:
        self.cas = cas

    def digest(self, backend: DatastoreBackend, path: str, stamp: FileStamp, keep: bool) -> str:
        """The BLAKE3 of an object's bytes: remembered while its stamp is unchanged, else read (and, with `keep`,
        kept in the content store).

        Raises:
            RemoteFileError: the object changed while it was read.
            HashingTooSlow: reading it would overrun the hasher's deadline or byte budget.
            OSError: the store could not be read.
        """
        key = f"{backend.identity}/{path}"
        hasher = self.cas.hasher
        cached = hasher.remote_cached(key, stamp.size, stamp.version) if stamp.version else None
        if cached is not None and (not keep or self.cas.blob_sound(cached)):
            return cached
        # Under a caller's deadline or byte budget (submit's reuse pass), what would overrun it is left to the
        # runner, as for local files.
        if hasher.deadline is not None and time.monotonic() > hasher.deadline:
            raise HashingTooSlow(backend.where(path))
        if hasher.read_budget is not None:
            if stamp.size > hasher.read_budget:
                raise HashingTooSlow(backend.where(path))
            hasher.read_budget -= stamp.size
        digest = self._read(backend, path, stamp, keep)
        if stamp.version:
            self.cas.hasher.remember_remote(key, stamp.size, stamp.version, digest)
        return digest

    def place(self, backend: DatastoreBackend, path: str, digest: str | None, target: Path) -> None:
        """Put a copy of the object at `target`: the kept bytes of `digest` when there are some, else read again,
        and then they must still be those bytes.

        Raises:
            RemoteFileError: the object no longer holds the bytes its digest says.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        if digest is None:
            backend.get_file(path, target)
            return
        if not self.cas.blob_sound(digest):
            stamp = backend.stamp(path)
            if stamp is None:
                raise RemoteFileError(f"{backend.where(path)} is gone; submit the pipeline again")
            found = self._read(backend, path, stamp, keep=True)
            if found != digest:
                raise RemoteFileError(
                    f"{backend.where(path)} no longer holds the bytes this step's fingerprint was taken from "
                    f"(blake3 {digest[:12]}..., now {found[:12]}...); submit the pipeline again to run it on them"
                )
        self.cas.copy_blob(digest, target)

    def _read(self, backend: DatastoreBackend, path: str, stamp: FileStamp, keep: bool) -> str:
        """Read an object once, hashing it (and keeping it when asked); its stamp must not change meanwhile."""
        hasher = blake3.blake3()
        staged = self.cas.tmp / temporary_name("remote") if keep else None
        out = staged.open("wb") if staged is not None else None
        try:
            with backend.open(path) as source:
                while chunk := source.read(CHUNK):
                    hasher.update(chunk)
                    if out is not None:
                        out.write(chunk)
            if out is not None:
                out.close()
            after = backend.stamp(path)
            if after != stamp:
                raise RemoteFileError(f"{backend.where(path)} changed while it was read; submit the pipeline again")
            digest = hasher.hexdigest()
            if staged is not None:
                os.chmod(staged, 0o600)
                self.cas.put_staged(staged, digest)
            return digest
        finally:
            if out is not None and not out.closed:
                out.close()
            if staged is not None:
                staged.unlink(missing_ok=True)
