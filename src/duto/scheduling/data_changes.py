"""What changed under a watched datastore path between two polls.

A poll is a `scan` of the path into a `Tree`: every regular file at any depth with its content digest and the
stat it had. `changes(before, after)` names the files added or whose content changed; removals, and files
written again with the same bytes, are no change. The module keeps no state: the caller stores the tree a poll
returns (`to_bytes`) and hands it to the next poll, as what its changes are measured against and as its
`previous`, so that poll reads only the files whose stat moved. Digests come from the workspace's `FileHasher`,
so its stat cache and BLAKE3 decide what "same content" means, as they do for reuse.

What a poll does not see:
- duto's temporary names (`TMP_MARK`), files or folders: what duto writes is seen once renamed to its final name;
- anything but regular files (folders are walked, sockets and fifos are not files);
- symlinks leading out of the watched path. A symlink to a regular file inside it is read as a file under the
  link's name (its content and stat are the target's); a symlink to a folder is never walked, so a tree has no
  cycles and no file twice through a link. The watched path itself may be a symlink: it is resolved first.

What a poll could not read is as the previous poll had it: a file that cannot be read, or that changed while it
was read (still being written), keeps its previous entry, or stays out when it is new, and the next poll tries
it again; a folder that cannot be listed keeps its previous entries. A file that vanished between listing and
reading is left out.
"""

from __future__ import annotations

import json
import os
import stat
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from duto.storage.hashing import RACY_NS, FileHasher, FileState, HashingTooSlow, hash_bytes
from duto.storage.temporary import TMP_MARK

if TYPE_CHECKING:
    from duto.scheduling.tree_watch import TreeWatch

_FORMAT = 1


class TreeFile(NamedTuple):
    """One file of a tree: its content digest, and the stat key that digest was taken at (FileState's fields).

    A tuple rather than a dataclass: a tree holds one per file, and a tuple is made several times faster."""

    digest: str
    size: int
    mtime_ns: int
    inode: int
    device: int


@dataclass(frozen=True)
class Tree:
    """What was under a watched path at one poll: relative posix path -> TreeFile of every file at any depth.

    `scanned_ns` (wall clock at the poll's start) tells which digests the next poll may carry over: one taken of
    a file modified less than `RACY_NS` before might miss a write in the same clock tick, as in `FileHasher`.
    """

    files: Mapping[str, TreeFile]
    scanned_ns: int = field(default=0, compare=False)

    @cached_property
    def digest(self) -> str:
        """One digest of the (path, content digest) pairs: equal trees have equal digests, stats aside."""
        # A path holds no NUL and a digest has a fixed length, so the lines read back one way only.
        lines = "".join(f"{rel}\0{self.files[rel].digest}\n" for rel in sorted(self.files))
        return hash_bytes(lines.encode("utf-8", "surrogateescape"))


def scan(root: Path, hasher: FileHasher, previous: Tree | None = None, watch: TreeWatch | None = None) -> Tree:
    """Every regular file under `root` (a folder, a single file, or nothing yet) with its digest.

    A file whose stat key is the one `previous` holds for it, and which was not racily new then, keeps its
    digest without being read or looked up; every other file goes to `hasher.digest`. With a `watch` (see
    tree_watch), `previous` itself is the answer when the kernel reported nothing under the folder since the scan
    that returned it; otherwise the scan puts a watch on each folder before listing it.
    """
    top = os.path.realpath(root)
    if watch is not None and previous is not None and watch.vouches_for(previous, top):
        return previous
    scanned_ns = time.time_ns()
    before: Mapping[str, TreeFile] = {} if previous is None else previous.files
    # Digests of the previous poll taken of files modified up to this moment may have missed a same-tick write.
    trusted_before = (previous.scanned_ns if previous is not None else 0) - RACY_NS
    try:
        st = os.stat(top)
    except FileNotFoundError:
        return Tree(MappingProxyType({}), scanned_ns)
    watching = watch is not None and stat.S_ISDIR(st.st_mode) and watch.begin(top, st)
    walk = _Walk(top, hasher, before, trusted_before, watch if watching else None)
    with hasher.batched():  # a first scan of many files remembers their digests a batch at a time
        if stat.S_ISDIR(st.st_mode):
            walk.folder(top)
        elif stat.S_ISREG(st.st_mode):
            walk.visit(Path(root).name or os.path.basename(top), top, st)
    tree = Tree(MappingProxyType(walk.files), scanned_ns)
    if watching:
        assert watch is not None
        watch.end(tree)
    return tree


class _Walk:
    """One scan's walk: the folders still to list, and the files found so far."""

    def __init__(
        self, top: str, hasher: FileHasher, before: Mapping[str, TreeFile], trusted_before: int, watch: TreeWatch | None
    ) -> None:
        self.top = top
        self.watch = watch
        self.hasher = hasher
        self.before = before
        self.trusted_before = trusted_before
        self.files: dict[str, TreeFile] = {}

    def folder(self, top: str) -> None:
        """Walk `top` and every folder below it, with a stack rather than recursion, one scandir per folder."""
        # The steady state runs here for every file: `visit`'s test is written out in the loop (a tenth faster).
        files = self.files
        before = self.before
        trusted_before = self.trusted_before
        watch = self.watch
        stack = [(top, "")]
        while stack:
            path, prefix = stack.pop()
            if watch is not None:
                watch.folder(path)  # before listing: whatever changes after the listing is reported
            try:
                listing = os.scandir(path)
            except FileNotFoundError:
                continue
            except OSError:
                self.keep_under(prefix)
                continue
            with listing:
                for entry in listing:
                    name = entry.name
                    if TMP_MARK in name:
                        continue
                    rel = prefix + name
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append((entry.path, rel + "/"))
                            continue
                        if entry.is_file(follow_symlinks=False):
                            st = entry.stat(follow_symlinks=False)
                        elif entry.is_symlink() and self.inside(entry.path):
                            st = os.stat(entry.path)
                            if not stat.S_ISREG(st.st_mode):
                                continue
                        else:
                            continue
                    except FileNotFoundError:
                        continue
                    old = before.get(rel)
                    if (
                        old is not None
                        and old.mtime_ns == st.st_mtime_ns
                        and old.size == st.st_size
                        and old.inode == st.st_ino
                        and old.device == st.st_dev
                        and old.mtime_ns < trusted_before
                    ):
                        files[rel] = old
                    else:
                        self.read(rel, entry.path, st)

    def visit(self, rel: str, path: str, st: os.stat_result) -> None:
        """Take the previous poll's entry as is when the file's stat key has not moved (the steady state), else
        read the file."""
        old = self.before.get(rel)
        if (
            old is not None
            and old.mtime_ns == st.st_mtime_ns
            and old.size == st.st_size
            and old.inode == st.st_ino
            and old.device == st.st_dev
            and old.mtime_ns < self.trusted_before
        ):
            self.files[rel] = old
        else:
            self.read(rel, path, st)

    def read(self, rel: str, path: str, st: os.stat_result) -> None:
        """Digest one file whose stat (`st`, taken before reading) is not the previous poll's."""
        try:
            digest = self.hasher.digest(path)
            after = os.stat(path)
        except HashingTooSlow:
            raise
        except FileNotFoundError:
            return
        except OSError:
            self.keep(rel)
            return
        if FileState.of(after) != FileState.of(st):
            self.keep(rel)  # still being written: the next poll reads it once it holds still
            return
        self.files[rel] = TreeFile(digest, st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)

    def keep(self, rel: str) -> None:
        old = self.before.get(rel)
        if old is not None:
            self.files[rel] = old

    def keep_under(self, prefix: str) -> None:
        """Keep the previous entries below a folder that could not be listed (`prefix` ends with "/")."""
        for rel, old in self.before.items():
            if rel.startswith(prefix):
                self.files[rel] = old

    def inside(self, link: str) -> bool:
        """Whether a symlink leads to somewhere inside the watched folder."""
        return os.path.realpath(link).startswith(os.path.join(self.top, ""))


def changes(before: Tree, after: Tree) -> list[str]:
    """Paths in `after` that `before` did not have or had with other content, sorted; removals are no change."""
    old = before.files
    found = []
    for rel, entry in after.files.items():
        was = old.get(rel)
        if was is None or was.digest != entry.digest:
            found.append(rel)
    found.sort()
    return found


def to_bytes(tree: Tree) -> bytes:
    """The tree as zlib-compressed JSON, files sorted by path, for the caller to keep (in the content store)."""
    rows = [[rel, f.digest, f.size, f.mtime_ns, f.inode, f.device] for rel, f in sorted(tree.files.items())]
    document = {"format": _FORMAT, "scanned_ns": tree.scanned_ns, "files": rows}
    # Level 1: hex digests and sorted paths compress almost as well as at the default level, at a third of the time.
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 1)


def from_bytes(data: bytes) -> Tree:
    """A tree `to_bytes` wrote."""
    document = json.loads(zlib.decompress(data))
    if document.get("format") != _FORMAT:
        raise ValueError(f"not a tree of format {_FORMAT}: {document.get('format')!r}")
    files = {row[0]: TreeFile._make(row[1:]) for row in document["files"]}
    return Tree(MappingProxyType(files), int(document["scanned_ns"]))
