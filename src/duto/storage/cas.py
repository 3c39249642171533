"""The content-addressed store (`.duto/cas/`): file contents as blobs, folders as manifests.

Everything enters under a temporary name and is published by one atomic rename, so a crash or a full disk
leaves at most a stray temporary file (removed by the next run or `gc`) and never a half-written blob,
manifest or output under its final name. Blobs are shared by every run and output that holds the same bytes.

Nothing read from the store is trusted by its name alone: a manifest is re-hashed as it is read (it is small),
and a blob is sound while its stat is the one recorded when the store wrote it (see `BlobState`), else it is
re-hashed. A blob or manifest whose bytes are not what its name says counts as missing, and is replaced when
the same content is stored again.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from duto.errors import DutoError
from duto.storage.hashing import BlobState, FileHasher, hash_bytes, hash_file_uncached
from duto.storage.temporary import remove, strays, temporary_name

# How many bytes of manifests a store keeps in memory once read (see `ContentStore._read_manifest`).
MANIFESTS_KEPT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Fault:
    """Why something stored cannot be used: which blob or manifest, and whether it is missing or corrupt."""

    kind: Literal["blob", "manifest"]
    digest: str
    problem: Literal["missing", "corrupt"]

    def describe(self) -> str:
        """ "blob 1a2b3c4d5e6f7a8b is missing": short enough for a reason, long enough to find the file."""
        return f"{self.kind} {self.digest[:16]} is {self.problem}"


class StoreDamagedError(DutoError, OSError):
    """What a run needs from the content store is missing or corrupt; `.fault` says which blob or manifest."""

    def __init__(self, fault: Fault, what: str) -> None:
        self.fault = fault
        super().__init__(
            f"{what}: {fault.describe()} in the content store; submit the pipeline again and the step that "
            "produced it runs again (`duto cache verify` checks the whole store)"
        )

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class GcReport:
    manifests: int
    blobs: int
    temporary: int
    bytes_freed: int


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class ContentStore:
    """Blobs at `blobs/<2 hex>/<rest>`, manifests at `manifests/<digest>.json`."""

    def __init__(self, root: Path, hasher: FileHasher) -> None:
        self.root = root
        self.hasher = hasher
        self.blobs = root / "blobs"
        self.manifests = root / "manifests"
        self.tmp = root / "tmp"
        for folder in (self.blobs, self.manifests, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        # Manifests read and found sound, by digest: (the file's stat then, its bytes). A runner reads the same
        # few again and again (a snapshot for every step made from it, an output for its step and each reader);
        # a stat that has not changed stands for bytes already hashed, as the stat cache does for blobs.
        self._manifests_read: OrderedDict[str, tuple[tuple[int, int, int, int], bytes]] = OrderedDict()
        self._manifest_bytes = 0
        self._manifests_lock = threading.Lock()  # a server's threads share one store

    # blobs ---------------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def _publish_blob(self, staged: Path, digest: str) -> None:
        """Give a whole, private file its blob name by one rename (replacing a corrupt blob) and record its stat
        as the mark of a sound blob. A rename that fails leaves the file where it was, read-only.

        The stat is recorded a moment after the rename, with no check that nobody wrote in between: the blob
        is new, and nothing outside this process knows its name yet.
        """
        target = self.blob_path(digest)
        os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a guard for non-root users only
        try:
            os.replace(staged, target)
        except FileNotFoundError:  # its folder (one of 256, there nearly always) is made the first time only
            target.parent.mkdir(exist_ok=True)
            os.replace(staged, target)
        self.hasher.record_blob(digest, BlobState.of(target.stat()))

    def blob_fault(self, digest: str) -> Fault | None:
        """What is wrong with a blob (missing, or bytes that are not what its name says), or None when sound.

        Cheap when the blob is as the store wrote it: one stat and one lookup. A blob whose stat changed (a
        write into it, through a hard link too, or links made or removed) is re-hashed, and its new stat is
        recorded when its bytes are still right.
        """
        path = self.blob_path(digest)
        try:
            before = BlobState.of(os.stat(path))
        except FileNotFoundError:
            return Fault("blob", digest, "missing")
        if self.hasher.blob_state(digest) == before:
            return None
        if hash_file_uncached(path, before.size) != digest:
            return Fault("blob", digest, "corrupt")
        if BlobState.of(os.stat(path)) == before:  # not written while it was read
            self.hasher.record_blob(digest, before)
        return None

    def blob_sound(self, digest: str) -> bool:
        """Whether a blob is there with the bytes its name says: re-read only when its stat changed."""
        return self.blob_fault(digest) is None

    def put_file(self, path: Path, move: bool) -> str:
        """Store a file's bytes; with `move` the file itself becomes the blob (it must be private).

        A blob of that name already there is kept only when sound; a corrupt one is replaced.
        """
        if move:
            digest = hash_file_uncached(path)
            if self.blob_sound(digest):
                path.unlink()
            else:
                # Renamed straight to the blob's name: the file is whole already, so no stop under a
                # temporary name is needed (one rename, not two).
                self._publish_blob(path, digest)
            return digest
        digest = self.hasher.digest(path)
        if self.blob_sound(digest):
            return digest
        staged = self.tmp / temporary_name(digest)
        try:
            shutil.copyfile(path, staged)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        self._publish_blob(staged, digest)
        return digest

    def put_staged(self, staged: Path, digest: str) -> str:
        """Store a private file whose BLAKE3 the caller took as it wrote it (a download); it becomes the blob,
        unless a sound blob of that digest is there already."""
        if self.blob_sound(digest):
            staged.unlink()
        else:
            self._publish_blob(staged, digest)
        return digest

    # manifests -----------------------------------------------------------------------------------
    def put_manifest(self, manifest: dict[str, Any]) -> str:
        data = canonical(manifest)
        digest = hash_bytes(data)
        target = self.manifests / f"{digest}.json"
        if self._read_manifest(digest) is None:  # missing, or corrupt: (re)written
            staged = self.tmp / temporary_name(f"{digest}.json")
            try:
                staged.write_bytes(data)
                os.replace(staged, target)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        return digest

    def manifest(self, digest: str) -> dict[str, Any] | None:
        """A stored manifest, or None when it is missing or its bytes are not what its name says."""
        data = self._read_manifest(digest)
        return None if data is None else dict(json.loads(data))

    def manifest_fault(self, digest: str) -> Fault | None:
        path = self.manifests / f"{digest}.json"
        if self._read_manifest(digest) is not None:
            return None
        return Fault("manifest", digest, "corrupt" if path.exists() else "missing")

    def _read_manifest(self, digest: str) -> bytes | None:
        """A manifest's bytes when they hash to its name: hashed when read, and read again only when its stat
        changed since (a file written over, replaced or removed is read, or found missing, anew). Sound bytes
        are the same whoever wrote them: a digest names one content."""
        path = self.manifests / f"{digest}.json"
        try:
            st = os.stat(path)
            mark = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            with self._manifests_lock:
                known = self._manifests_read.get(digest)
                if known is not None and known[0] == mark:
                    self._manifests_read.move_to_end(digest)
                    return known[1]
            data = path.read_bytes()
        except FileNotFoundError:
            self._keep_manifest(digest, None)
            return None
        sound = hash_bytes(data) == digest
        self._keep_manifest(digest, (mark, data) if sound else None)
        return data if sound else None

    def _keep_manifest(self, digest: str, read: tuple[tuple[int, int, int, int], bytes] | None) -> None:
        """Remember a manifest read sound (`read`: its stat and bytes), or forget one found missing or corrupt;
        the least recently read go first past MANIFESTS_KEPT_BYTES, and a very large one is not kept."""
        with self._manifests_lock:
            known = self._manifests_read.pop(digest, None)
            if known is not None:
                self._manifest_bytes -= len(known[1])
            if read is None or len(read[1]) > MANIFESTS_KEPT_BYTES // 4:
                return
            self._manifests_read[digest] = read
            self._manifest_bytes += len(read[1])
            while self._manifest_bytes > MANIFESTS_KEPT_BYTES:
                _, (_, dropped) = self._manifests_read.popitem(last=False)
                self._manifest_bytes -= len(dropped)

    def put_tree(self, folder: Path, move: bool, files: Iterable[str] | None = None) -> str:
        """Store a folder (or the given relative files of it); returns its manifest's digest."""
        entries: dict[str, dict[str, Any]] = {}
        for rel in files if files is not None else _walk(folder):
            path = folder / rel
            st = path.stat()
            executable = bool(st.st_mode & stat.S_IXUSR)
            entries[rel] = {"digest": self.put_file(path, move), "size": st.st_size, "executable": executable}
        return self.put_manifest({"kind": "tree", "files": entries})

    def put_output(self, path: Path) -> str:
        """Store what a step wrote at an output path: a folder, or a single file."""
        if path.is_file():
            size = path.stat().st_size
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
            digest = self.put_file(path, move=True)
            return self.put_manifest({"kind": "file", "digest": digest, "size": size, "executable": executable})
        return self.put_tree(path, move=True)

    def intact(self, digest: str) -> bool:
        """Whether a manifest and every blob it names are in the store with the right bytes.

        A blob whose stat is as the store recorded it is taken as sound without reading it; one changed
        since is re-hashed. `verify()` re-reads everything.
        """
        return self.fault(digest) is None

    def fault(self, digest: str) -> Fault | None:
        """The first thing wrong with a stored output or snapshot (its manifest, then its blobs), or None."""
        manifest = self.manifest(digest)
        if manifest is None:
            return self.manifest_fault(digest)
        for blob in _blob_digests(manifest):
            found = self.blob_fault(blob)
            if found is not None:
                return found
        return None

    def read_blob(self, digest: str) -> bytes | None:
        """A blob's bytes, or None when it is missing or not sound."""
        if not self.blob_sound(digest):
            return None
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def files_of(self, digest: str) -> dict[str, str]:
        """relative path -> blob digest of a stored output or snapshot ("" for a single-file output)."""
        manifest = self.manifest(digest) or {}
        if manifest.get("kind") == "file":
            return {"": manifest["digest"]}
        return {rel: entry["digest"] for rel, entry in manifest.get("files", {}).items()}

    def materialize(self, digest: str, target: Path, link: bool) -> None:
        """Lay a stored tree or file out at `target` (which must not exist): hard links, or copies.

        Raises:
            StoreDamagedError: the manifest or a blob is missing or corrupt; nothing of it is fed on.
        """
        manifest = self.manifest(digest)
        if manifest is None:
            fault = self.manifest_fault(digest) or Fault("manifest", digest, "missing")
            raise StoreDamagedError(fault, f"cannot lay out {digest[:16]}")
        if manifest["kind"] == "file":
            self._place(manifest["digest"], target, link, manifest.get("executable", False))
            return
        if manifest["kind"] == DATASTORE_FILES:
            raise DutoError(f"{digest[:16]} names files kept on a datastore, not in the store; copy them from there")
        target.mkdir(parents=True, exist_ok=True)
        made = {target}  # folders made already: a folder of many files is made once, not tried for each
        for rel, entry in manifest["files"].items():
            dest = target / rel
            if dest.parent not in made:
                dest.parent.mkdir(parents=True, exist_ok=True)
                made.add(dest.parent)
            self._place(entry["digest"], dest, link, entry.get("executable", False))

    def _place(self, digest: str, dest: Path, link: bool, executable: bool) -> None:
        fault = self.blob_fault(digest)
        if fault is not None:
            raise StoreDamagedError(fault, f"cannot lay out {dest.name!r}")
        source = self.blob_path(digest)
        if link:
            try:
                before = BlobState.of(os.stat(source))
                os.link(source, dest)
                # A new link changes the blob's ctime. It was sound a moment ago: record its new stat, so
                # that the next check does not re-read it.
                after = os.stat(source)
                if (after.st_ino, after.st_size, after.st_mtime_ns) == (before.inode, before.size, before.mtime_ns):
                    self.hasher.record_blob(digest, BlobState.of(after))
                return
            except OSError:
                pass  # another filesystem: copy instead
        shutil.copyfile(source, dest)
        if executable:
            dest.chmod(0o755)

    def put_in_place(self, path: Path) -> str:
        """Store what a step wrote at an output path (a file, or a folder of files and non-empty folders) and
        leave it there as a laid-out copy of the stored output, each file a hard link of its blob: published by
        a rename, with no staging folder to make. Its files must be private, as for `put_output`.

        A file whose bytes are new becomes its blob by one link, made read-only first; one whose bytes are in
        the store already gives way to a link of that blob.
        """
        if path.is_file():
            st = path.stat()
            digest = self._keep_as_blob(path)
            return self.put_manifest(
                {"kind": "file", "digest": digest, "size": st.st_size, "executable": bool(st.st_mode & stat.S_IXUSR)}
            )
        entries: dict[str, dict[str, Any]] = {}
        for rel in _walk(path):
            st = (path / rel).stat()
            executable = bool(st.st_mode & stat.S_IXUSR)
            entries[rel] = {"digest": self._keep_as_blob(path / rel), "size": st.st_size, "executable": executable}
        return self.put_manifest({"kind": "tree", "files": entries})

    def _keep_as_blob(self, path: Path) -> str:
        digest = hash_file_uncached(path)
        if not self.blob_sound(digest):
            target = self.blob_path(digest)
            os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # as `_publish_blob` does
            try:
                try:
                    os.link(path, target)
                except FileNotFoundError:  # its fan-out folder, made the first time only
                    target.parent.mkdir(exist_ok=True)
                    os.link(path, target)
                self.hasher.record_blob(digest, BlobState.of(os.stat(target)))
                return digest
            except FileExistsError:
                pass  # a corrupt blob under that name, or another writer's sound one made a moment ago
            if not self.blob_sound(digest):
                self._publish_blob(path, digest)  # the file replaces the corrupt blob, and is linked back below
        path.unlink(missing_ok=True)
        self._place(digest, path, link=True, executable=False)
        return digest

    def copy_blob(self, digest: str, target: Path) -> None:
        """A private copy of one blob at `target`.

        Raises:
            StoreDamagedError: the blob is missing or corrupt.
        """
        self._place(digest, target, link=False, executable=False)

    def publish(self, digest: str, final: Path, link: bool = True) -> None:
        """Lay a stored output out under its final name by one rename, replacing what was there."""
        self.promote(self.stage(digest, final, link), final)

    def stage(self, digest: str, final: Path, link: bool = True) -> Path:
        """Lay a stored output out beside its final name, under a temporary one; returns that.

        What a failure (a full disk) left half laid out is removed before the error goes on.
        """
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = final.with_name(temporary_name(f".{final.name}"))
        try:
            self.materialize(digest, staging, link)
        except BaseException:
            remove(staging)
            raise
        return staging

    @staticmethod
    def promote(staging: Path, final: Path) -> None:
        """Give a staged output its final name by one rename, replacing what was there."""
        if final.is_dir() and not final.is_symlink():
            retired = final.with_name(temporary_name(f".{final.name}.old"))
            os.replace(final, retired)
            os.replace(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, final)

    # upkeep --------------------------------------------------------------------------------------
    def manifest_digests(self) -> Iterator[str]:
        for path in self.manifests.glob("*.json"):
            yield path.name[: -len(".json")]

    def evict_blob(self, digest: str) -> None:
        """Drop a blob whose bytes are no longer what its name says; what needs it is then run again."""
        self.blob_path(digest).unlink(missing_ok=True)
        self.hasher.forget_blob(digest)

    def verify(self) -> tuple[int, list[Fault]]:
        """Re-hash every blob and manifest; corrupt ones are removed, sound blobs' stats recorded anew.

        Returns (blobs and manifests checked, what was corrupt).
        """
        checked, corrupt = 0, []
        for folder in self.blobs.iterdir():
            for blob in folder.iterdir():
                digest = folder.name + blob.name
                checked += 1
                before = BlobState.of(blob.stat())
                if hash_file_uncached(blob, before.size) != digest:
                    corrupt.append(Fault("blob", digest, "corrupt"))
                    self.evict_blob(digest)
                elif BlobState.of(blob.stat()) == before:
                    self.hasher.record_blob(digest, before)
        for digest in list(self.manifest_digests()):
            checked += 1
            if self._read_manifest(digest) is None:
                corrupt.append(Fault("manifest", digest, "corrupt"))
                (self.manifests / f"{digest}.json").unlink(missing_ok=True)
        return checked, corrupt

    def gc(self, keep: set[str]) -> GcReport:
        """Remove manifests not in `keep`, blobs no kept manifest names, and every stray temporary file."""
        manifests_removed = 0
        live: set[str] = set()
        for digest in list(self.manifest_digests()):
            if digest in keep:
                live.update(_blob_digests(self.manifest(digest) or {}))
            else:
                (self.manifests / f"{digest}.json").unlink(missing_ok=True)
                manifests_removed += 1
        blobs_removed = freed = 0
        for folder in self.blobs.iterdir():
            for blob in folder.iterdir():
                if folder.name + blob.name not in live:
                    freed += blob.stat().st_size
                    blob.unlink()
                    blobs_removed += 1
        temporary = 0
        for stray in list(strays(self.tmp)):
            freed += remove(stray)
            temporary += 1
        return GcReport(manifests_removed, blobs_removed, temporary, freed)

    def remove_strays(self) -> int:
        """Remove the temporaries of writers that are gone; returns how many. Cheap: one folder's listing."""
        found = list(strays(self.tmp))
        for stray in found:
            remove(stray)
        return len(found)


# A manifest of files kept on a datastore rather than in the store (a data transfer's copy): it names their
# content digests and stamps, and no blob of the store.
DATASTORE_FILES = "datastore_files"


def _blob_digests(manifest: dict[str, Any]) -> list[str]:
    if manifest.get("kind") == "file":
        return [manifest["digest"]]
    if manifest.get("kind") == DATASTORE_FILES:
        return []
    return [entry["digest"] for entry in manifest.get("files", {}).values()]


def _walk(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel = os.path.relpath(dirpath, folder)
        for name in sorted(filenames):
            yield name if rel == "." else f"{rel}/{name}"


def workspace_content_store(duto_dir: Path) -> ContentStore:
    """The content store of the workspace whose `.duto/` folder is `duto_dir`, with its stat cache."""
    return ContentStore(duto_dir / "cas", FileHasher(duto_dir / "cache" / "hashes.db"))
