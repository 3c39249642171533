"""The content-addressed store (`.duto/cas/`): file contents as blobs, folders as manifests.

Everything enters under a temporary name and is published by one atomic rename, so a crash or a full disk
leaves at most a stray temporary file (removed by the next run or `gc`) and never a half-written blob,
manifest or output under its final name. Blobs are shared by every run and output that holds the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duto.storage.hashing import FileHasher, FileState, hash_bytes, hash_file_uncached
from duto.storage.temporary import remove, strays, temporary_name


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

    # blobs ---------------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest[2:]

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def _publish_blob(self, staged: Path, digest: str) -> None:
        target = self.blob_path(digest)
        target.parent.mkdir(exist_ok=True)
        os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # a guard for non-root users only
        os.replace(staged, target)
        self.hasher.remember(str(target), FileState.of(target.stat()), digest)

    def blob_sound(self, digest: str) -> bool:
        """Whether a blob is there with the bytes its name says: re-read only when its stat changed."""
        path = self.blob_path(digest)
        try:
            return self.hasher.digest(path) == digest
        except FileNotFoundError:
            return False

    def put_file(self, path: Path, move: bool) -> str:
        """Store a file's bytes; with `move` the file itself becomes the blob (it must be private)."""
        if move:
            digest = hash_file_uncached(path)
            if self.has_blob(digest):
                path.unlink()
                return digest
            staged = self.tmp / temporary_name(digest)
            os.replace(path, staged)
        else:
            digest = self.hasher.digest(path)
            if self.has_blob(digest):
                return digest
            staged = self.tmp / temporary_name(digest)
            try:
                shutil.copyfile(path, staged)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        self._publish_blob(staged, digest)
        return digest

    # manifests -----------------------------------------------------------------------------------
    def put_manifest(self, manifest: dict[str, Any]) -> str:
        data = canonical(manifest)
        digest = hash_bytes(data)
        target = self.manifests / f"{digest}.json"
        if not target.exists():
            staged = self.tmp / temporary_name(f"{digest}.json")
            try:
                staged.write_bytes(data)
                os.replace(staged, target)
            except BaseException:
                staged.unlink(missing_ok=True)
                raise
        return digest

    def manifest(self, digest: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads((self.manifests / f"{digest}.json").read_bytes()))
        except FileNotFoundError:
            return None

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

        A blob whose (device, inode, size, mtime) is as it was when stored is taken as sound without
        reading it; one changed since is re-hashed. `verify()` re-reads everything.
        """
        manifest = self.manifest(digest)
        return manifest is not None and all(self.blob_sound(d) for d in _blob_digests(manifest))

    def files_of(self, digest: str) -> dict[str, str]:
        """relative path -> blob digest of a stored output or snapshot ("" for a single-file output)."""
        manifest = self.manifest(digest) or {}
        if manifest.get("kind") == "file":
            return {"": manifest["digest"]}
        return {rel: entry["digest"] for rel, entry in manifest.get("files", {}).items()}

    def materialize(self, digest: str, target: Path, link: bool) -> None:
        """Lay a stored tree or file out at `target` (which must not exist): hard links, or copies."""
        manifest = self.manifest(digest)
        if manifest is None:
            raise FileNotFoundError(f"manifest {digest} is not in the content store")
        if manifest["kind"] == "file":
            self._place(manifest["digest"], target, link, manifest.get("executable", False))
            return
        target.mkdir(parents=True, exist_ok=True)
        for rel, entry in manifest["files"].items():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._place(entry["digest"], dest, link, entry.get("executable", False))

    def _place(self, digest: str, dest: Path, link: bool, executable: bool) -> None:
        source = self.blob_path(digest)
        if link:
            try:
                os.link(source, dest)
                return
            except OSError:
                pass  # another filesystem: copy instead
        shutil.copyfile(source, dest)
        if executable:
            dest.chmod(0o755)

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

    def verify(self) -> tuple[int, list[str]]:
        """Re-hash every blob; corrupt ones are removed. Returns (blobs checked, corrupt digests)."""
        checked, corrupt = 0, []
        for folder in self.blobs.iterdir():
            for blob in folder.iterdir():
                digest = folder.name + blob.name
                checked += 1
                if hash_file_uncached(blob) != digest:
                    corrupt.append(digest)
                    blob.unlink()
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


def _blob_digests(manifest: dict[str, Any]) -> list[str]:
    if manifest.get("kind") == "file":
        return [manifest["digest"]]
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
