"""Kernel watches on watched trees, so that a poll of a tree nothing touched reads no folder and stats no file.

On Linux the kernel reports changes to a folder's entries (inotify): a file created, written, closed after
writing, touched, renamed in or out, or deleted, and the folder itself deleted or moved. A `TreeWatcher` holds one
such instance for all of a scheduler's watched trees, with a watch on every folder of each tree; `scan` adds the
watch on a folder before it lists it, so whatever changes after the listing is reported. A poll then starts by
reading what the kernel reported: nothing about a tree, and the tree `scan` returned last time is still what is
on disk (`TreeWatch.vouches_for`), without a single stat beyond its root's. Anything reported, the tree is
scanned again as without a watch (which reads only the files whose stat moved).

The kernel does not report everything, so a watch vouches for a tree only where what it reports is the whole
story, and a scan by stat still runs at least every `RESCAN_SECONDS`:
- writes through a shared memory mapping are not reported, nor are changes another machine makes to a network
  file system: trees on network and FUSE file systems are not watched at all (their scans stat every file);
- a watch that could not be added (the user's `fs.inotify.max_user_watches` reached, a folder unreadable) leaves
  its tree unvouched, and so does a lost report (the kernel's queue overflowed, `IN_Q_OVERFLOW`);
- the watched path is resolved on every poll: a symlink turned elsewhere, or the folder replaced by another of the
  same name, is a different folder, scanned anew.

Elsewhere than Linux there is no watcher (`TreeWatcher.open` returns None) and every poll is a scan by stat.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import struct
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from duto.scheduling.data_changes import Tree

log = logging.getLogger("duto.scheduler")

RESCAN_SECONDS = 3600.0  # a vouched-for tree is scanned by stat at least this often all the same

# <sys/inotify.h>
_IN_MODIFY = 0x002
_IN_ATTRIB = 0x004
_IN_CLOSE_WRITE = 0x008
_IN_MOVED_FROM = 0x040
_IN_MOVED_TO = 0x080
_IN_CREATE = 0x100
_IN_DELETE = 0x200
_IN_DELETE_SELF = 0x400
_IN_MOVE_SELF = 0x800
_IN_Q_OVERFLOW = 0x4000
_IN_ONLYDIR = 0x01000000
_IN_DONT_FOLLOW = 0x02000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_MASK = (
    _IN_MODIFY
    | _IN_ATTRIB
    | _IN_CLOSE_WRITE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_CREATE
    | _IN_DELETE
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
    | _IN_ONLYDIR
    | _IN_DONT_FOLLOW
)
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

# File systems whose changes the kernel of this machine may not hear of (other machines write to them).
UNWATCHABLE_FILE_SYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre", "gpfs", "beegfs", "virtiofs"}
)


class TreeWatcher:
    """One inotify instance watching the folders of every watched tree of a scheduler, each tree under a key."""

    def __init__(self, fd: int, libc: ctypes.CDLL) -> None:
        self._fd = fd
        self._libc = libc
        self._owners: dict[int, set[str]] = {}  # watch descriptor -> keys of the trees with that folder
        self._keys: dict[str, TreeWatch] = {}
        self._full_warned = False

    @classmethod
    def open(cls) -> TreeWatcher | None:
        """A watcher, or None where the kernel has none to give (not Linux, or no inotify instance left)."""
        if not sys.platform.startswith("linux"):
            return None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        except (OSError, AttributeError):
            return None
        if fd < 0:
            log.warning(
                "scheduler: no inotify instance (%s): watched paths are polled by stat", os.strerror(ctypes.get_errno())
            )
            return None
        return cls(fd, libc)

    def tree(self, key: str) -> TreeWatch:
        """The watch of the tree known as `key` (a schedule's id), made on first use."""
        watch = self._keys.get(key)
        if watch is None:
            watch = self._keys[key] = TreeWatch(self, key)
        return watch

    def forget(self, key: str) -> None:
        """Stop watching the tree known as `key` (its schedule was disabled or deleted)."""
        forgotten = self._keys.pop(key, None)
        if forgotten is not None:
            self._release(key, forgotten.descriptors, keep=set())

    def watched_keys(self) -> list[str]:
        return list(self._keys)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._keys.clear()
            self._owners.clear()

    # the kernel's side ---------------------------------------------------------------------------
    def drain(self) -> None:
        """Read every report waiting, marking the trees they are about as touched."""
        if self._fd < 0:
            return
        for descriptor, mask in self._events():
            if mask & _IN_Q_OVERFLOW:  # reports were lost: no tree can be vouched for
                for watch in self._keys.values():
                    watch.touched = True
                continue
            for key in self._owners.get(descriptor, ()):
                owner = self._keys.get(key)
                if owner is not None:
                    owner.touched = True

    def _events(self) -> Iterator[tuple[int, int]]:
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            offset = 0
            while offset + _EVENT.size <= len(data):
                descriptor, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                offset += _EVENT.size + length
                yield descriptor, mask

    def _add(self, key: str, folder: str) -> int | None:
        """Watch `folder` for the tree `key`; its watch descriptor, or None when it could not be watched."""
        descriptor: int = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), _MASK)
        if descriptor < 0:
            code = ctypes.get_errno()
            if code == errno.ENOSPC and not self._full_warned:
                self._full_warned = True
                log.warning(
                    "scheduler: the user's inotify watches are all taken (fs.inotify.max_user_watches): large "
                    "watched paths are polled by stat until some are freed"
                )
            return None
        self._owners.setdefault(descriptor, set()).add(key)
        return descriptor

    def _release(self, key: str, descriptors: set[int], keep: set[int]) -> None:
        """`key` no longer needs the watches in `descriptors` but not in `keep`; remove those nobody else needs."""
        for descriptor in descriptors - keep:
            owners = self._owners.get(descriptor)
            if owners is None:
                continue
            owners.discard(key)
            if not owners:
                del self._owners[descriptor]
                if self._fd >= 0:
                    self._libc.inotify_rm_watch(self._fd, descriptor)  # a folder already gone answers EINVAL: fine


class TreeWatch:
    """The watches of one tree: which folders a scan put them on, and whether anything was reported since."""

    def __init__(self, watcher: TreeWatcher, key: str) -> None:
        self.watcher = watcher
        self.key = key
        self.descriptors: set[int] = set()
        self.touched = True  # until a scan has watched every folder, nothing is vouched for
        self._tree: Tree | None = None  # the tree the last complete scan returned
        self._top: tuple[str, int, int] | None = None  # its folder: resolved path, device, inode
        self._scanned_at = 0.0
        self._round: set[int] | None = None
        self._complete = False

    def vouches_for(self, tree: Tree, top: str) -> bool:
        """Whether `tree`, from the last scan of folder `top`, is still what is on disk: nothing reported since,
        the folder the same one, and the last scan by stat recent enough."""
        self.watcher.drain()
        if self.touched or tree is not self._tree or self._top is None:
            return False
        if time.monotonic() - self._scanned_at > RESCAN_SECONDS:
            return False
        try:
            st = os.stat(top)
        except OSError:
            return False
        return self._top == (top, st.st_dev, st.st_ino)

    # a scan's side -------------------------------------------------------------------------------
    def begin(self, top: str, st: os.stat_result) -> bool:
        """A scan of folder `top` starts; False when its file system is not one a watch can vouch for."""
        self.watcher.drain()
        self.touched = False  # what is reported from now on is newer than what the scan sees
        self._tree, self._top = None, None
        if not watchable(top):
            self._round = None
            return False
        self._round, self._complete = set(), True
        self._top = (top, st.st_dev, st.st_ino)
        return True

    def folder(self, path: str) -> None:
        """Watch `path` before the scan lists it."""
        assert self._round is not None
        descriptor = self.watcher._add(self.key, path)
        if descriptor is None:
            self._complete = False
        else:
            self._round.add(descriptor)

    def end(self, tree: Tree) -> None:
        """The scan returned `tree`: vouch for it when every folder of it was watched."""
        if self._round is None:
            return
        self.watcher._release(self.key, self.descriptors, keep=self._round)
        self.descriptors, self._round = self._round, None
        if self._complete:
            self._tree, self._scanned_at = tree, time.monotonic()
        else:
            self._top = None


def watchable(top: str) -> bool:
    """Whether the folder `top` is on a file system whose every change this machine's kernel hears of."""
    kind = file_system_of(top)
    return kind not in UNWATCHABLE_FILE_SYSTEMS and not kind.startswith("fuse")


def file_system_of(path: str) -> str:
    """The type of the file system holding `path` (from /proc/self/mounts; "" when unknown)."""
    best, kind = "", ""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = fields[1].replace("\\040", " ")
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        return ""
    return kind
