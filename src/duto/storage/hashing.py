"""Content hashes of files (BLAKE3), with a stat cache so an unchanged file is not read again.

The cache is local to this machine (device and inode numbers mean nothing elsewhere), so it lives in a
small SQLite file of its own under `.duto/cache/`, not in the workspace's metadata DB. The same file holds
what the content store recorded of each blob when it wrote it (`BlobState`), the mark of a sound blob.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import blake3

# Files at least this big are hashed with every core; below it, threads cost more than they save.
PARALLEL_FROM_BYTES = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
RACY_NS = 2_000_000_000
_SLICE = 64 * 1024 * 1024


@dataclass(frozen=True)
class FileState:
    """What the stat cache keys a digest on: a file whose state is unchanged has unchanged content."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileState:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class BlobState:
    """A stored blob's stat as the store recorded it, the ctime included: a write into the blob (through a
    hard link too) changes its ctime even when the writer puts its size and mtime back, and no user call
    sets a ctime."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> BlobState:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def hash_bytes(data: bytes) -> str:
    return blake3.blake3(data).hexdigest()


class HashingTooSlow(TimeoutError):
    """Hashing went past the caller's deadline; the file was not hashed."""


def hash_file_uncached(path: str | os.PathLike[str], size: int | None = None, deadline: float | None = None) -> str:
    """The BLAKE3 of a file's bytes, read with every core when the file is large.

    With a `deadline` (a `time.monotonic()` value), a large file is read in slices and HashingTooSlow is
    raised between two slices once the deadline has passed.
    """
    size = os.path.getsize(path) if size is None else size
    if size >= PARALLEL_FROM_BYTES:
        # A pool of this hasher's own, gone with it, rather than AUTO's process-wide pool: a process whose
        # pool threads live on can never fork safely again (see duto.processes.can_fork_safely).
        hasher = blake3.blake3(max_threads=os.cpu_count() or 1)
        if deadline is None:
            hasher.update_mmap(path)
            return hasher.hexdigest()
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                for start in range(0, size, _SLICE):
                    if time.monotonic() > deadline:
                        raise HashingTooSlow(str(path))
                    hasher.update(view[start : start + _SLICE])
            finally:
                view.release()
        return hasher.hexdigest()
    hasher = blake3.blake3()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


BATCH_FILES = 2000
BATCH_SECONDS = 0.5


class _Batch:
    """Writes of the stat cache since the open transaction began."""

    def __init__(self) -> None:
        self.count = 0
        self.started = time.monotonic()

    def written(self, conn: sqlite3.Connection) -> bool:
        """Count one write; True when the transaction should be committed now."""
        if self.count == 0:
            self.started = time.monotonic()
        self.count += 1
        if self.count >= BATCH_FILES or time.monotonic() - self.started >= BATCH_SECONDS:
            self.count = 0
            return True
        return False


LOOKUP_CHUNK = 900  # paths per query of cached_many, under SQLite's limit of bound parameters


class FileHasher:
    """Digests of files by content, remembered against their (device, inode, size, mtime_ns)."""

    def __init__(self, cache_file: Path) -> None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        self._path = cache_file
        self._local = threading.local()
        self.bytes_read = 0
        self.deadline: float | None = None  # see hash_file_uncached
        # Bytes digest() may still read; a file that needs more raises HashingTooSlow before a byte is read.
        self.read_budget: int | None = None

    def _db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
            # Another process may be switching the file to WAL at this moment; it stays WAL once set.
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS stat_cache (path TEXT PRIMARY KEY, device INTEGER, inode INTEGER,"
                " size INTEGER, mtime_ns INTEGER, digest TEXT)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS blob_states (digest TEXT PRIMARY KEY, device INTEGER, inode INTEGER,"
                " size INTEGER, mtime_ns INTEGER, ctime_ns INTEGER)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS remote_cache (key TEXT PRIMARY KEY, size INTEGER, version TEXT,"
                " digest TEXT)"
            )
            self._local.conn = conn
        return conn

    def cached(self, path: str, state: FileState) -> str | None:
        """The remembered digest of `path` if its state is the one it had when hashed."""
        row = (
            self._db()
            .execute("SELECT device, inode, size, mtime_ns, digest FROM stat_cache WHERE path = ?", (path,))
            .fetchone()
        )
        if row is None or FileState(*row[:4]) != state:
            return None
        return str(row[4])

    def cached_many(self, paths: list[str]) -> dict[str, tuple[str, int, int, int, int, str]]:
        """The remembered (path, device, inode, size, mtime_ns, digest) of each of `paths` the cache holds, in a
        few queries rather than one a file (for the thousands of files of a folder)."""
        conn = self._db()
        rows: list[tuple[str, int, int, int, int, str]] = []
        for start in range(0, len(paths), LOOKUP_CHUNK):
            chunk = paths[start : start + LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT path, device, inode, size, mtime_ns, digest FROM stat_cache WHERE path IN ({marks})"
            rows.extend(conn.execute(query, chunk).fetchall())
        return {row[0]: row for row in rows}

    def digests(self, paths: list[str], states: dict[str, FileState] | None = None) -> dict[str, str]:
        """The content digest of each file of `paths` (absolute), as `digest` gives it, with one batched cache
        lookup: a file whose stat is unchanged is not read. `states`, when given, gets the stat each digest
        stands for (for the runner's watch on files a step reads in place, which then need no second stat)."""
        known = self.cached_many(paths)
        result: dict[str, str] = {}
        stat = os.stat
        with self.batched():
            for path in paths:
                entry = known.get(path)
                if entry is not None:
                    st = stat(path)
                    now = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
                    if now == entry[1:5]:
                        result[path] = entry[5]
                        if states is not None:
                            states[path] = FileState(*now)
                        continue
                result[path], state = self._digest(path)
                if states is not None:
                    states[path] = state
        return result

    def remember(self, path: str, state: FileState, digest: str) -> None:
        conn = self._db()
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is not None and not conn.in_transaction:
            conn.execute("BEGIN")
        conn.execute(
            "INSERT OR REPLACE INTO stat_cache VALUES (?, ?, ?, ?, ?, ?)",
            (path, state.device, state.inode, state.size, state.mtime_ns, digest),
        )
        if batch is not None and batch.written(conn):
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Inside the block, remember digests a batch at a time (a transaction every BATCH_FILES files or
        BATCH_SECONDS): hashing many small files for the first time is then not a transaction a file. What a
        crash loses is only what the cache did not yet remember."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        self._local.batch = _Batch()
        try:
            yield
        finally:
            self._local.batch = None
            conn = getattr(self._local, "conn", None)
            if conn is not None and conn.in_transaction:
                conn.execute("COMMIT")

    def remote_cached(self, key: str, size: int, version: str) -> str | None:
        """The remembered digest of a stored object (`key` names its store and path) if it still has the size and
        version (ETag) it had when it was read."""
        row = self._db().execute("SELECT size, version, digest FROM remote_cache WHERE key = ?", (key,)).fetchone()
        if row is None or (row[0], row[1]) != (size, version):
            return None
        return str(row[2])

    def remember_remote(self, key: str, size: int, version: str, digest: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO remote_cache VALUES (?, ?, ?, ?)", (key, size, version, digest))

    def blob_state(self, digest: str) -> BlobState | None:
        """The stat the content store recorded for blob `digest` when it wrote (or last verified) it."""
        row = (
            self._db()
            .execute("SELECT device, inode, size, mtime_ns, ctime_ns FROM blob_states WHERE digest = ?", (digest,))
            .fetchone()
        )
        return None if row is None else BlobState(*row)

    def record_blob(self, digest: str, state: BlobState) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO blob_states VALUES (?, ?, ?, ?, ?, ?)",
            (digest, state.device, state.inode, state.size, state.mtime_ns, state.ctime_ns),
        )

    def forget_blob(self, digest: str) -> None:
        self._db().execute("DELETE FROM blob_states WHERE digest = ?", (digest,))

    def digest(self, path: str | os.PathLike[str]) -> str:
        """The content digest of a file: from the cache when its state is unchanged, read otherwise."""
        return self._digest(path)[0]

    def _digest(self, path: str | os.PathLike[str]) -> tuple[str, FileState]:
        """The digest, and the file's state it stands for (taken before it was read)."""
        key = os.path.abspath(path)
        state = FileState.of(os.stat(key))
        found = self.cached(key, state)
        if found is not None:
            return found, state
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise HashingTooSlow(key)
        if self.read_budget is not None:
            if state.size > self.read_budget:
                raise HashingTooSlow(key)
            self.read_budget -= state.size
        digest = hash_file_uncached(key, state.size, self.deadline)
        self.bytes_read += state.size
        # Not remembered: a file changed while it was read, and a "racy" one whose mtime is so recent that a
        # write in the same clock tick would leave its stat unchanged. Their next hash reads them again.
        racy = time.time_ns() - state.mtime_ns < RACY_NS
        if not racy and FileState.of(os.stat(key)) == state:
            self.remember(key, state, digest)
        return digest, state

    def needs_reading(self, path: str | os.PathLike[str]) -> int:
        """How many bytes `digest(path)` would read: 0 when the cache holds it."""
        key = os.path.abspath(path)
        state = FileState.of(os.stat(key))
        return 0 if self.cached(key, state) is not None else state.size

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
