"""Kernel watches on watched trees: a poll of an untouched tree answers the previous tree as is, and every kind
of change the kernel reports makes the next poll scan again and see it. Real folders, a real inotify instance."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from duto.scheduling.data_changes import Tree, changes, scan
from duto.scheduling.tree_watch import TreeWatcher, file_system_of, watchable
from duto.storage.hashing import FileHasher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def hasher(tmp_path: Path) -> Iterator[FileHasher]:
    hasher = FileHasher(tmp_path / "cache" / "hashes.db")
    yield hasher
    hasher.close()


@pytest.fixture
def watcher() -> Iterator[TreeWatcher]:
    opened = TreeWatcher.open()
    assert opened is not None, "Linux gives every process inotify instances"
    yield opened
    opened.close()


def settled(path: Path, data: bytes) -> Path:
    """A file written a minute ago, as settled data is (older than the racy window)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


@pytest.fixture
def tree_folder(tmp_path: Path) -> Path:
    root = tmp_path / "datastore" / "incoming"
    for folder in ("a", "a/deep", "b"):
        for index in range(3):
            settled(root / folder / f"f{index}.csv", f"{folder},{index}\n".encode())
    settled(root / "top.csv", b"top\n")
    return root


@pytest.mark.timeout(30)
def test_an_untouched_tree_is_answered_without_a_scan(tree_folder, hasher, watcher):
    watch = watcher.tree("s1")
    first = scan(tree_folder, hasher, None, watch)
    assert len(first.files) == 10
    # The scan read every file: reading reports nothing, so the next polls answer the same tree object.
    assert scan(tree_folder, hasher, first, watch) is first
    assert scan(tree_folder, hasher, first, watch) is first


def _add(root: Path) -> None:
    settled(root / "b" / "new.csv", b"new\n")


def _rewrite_same_size(root: Path) -> None:
    (root / "a" / "f1.csv").write_bytes(b"a,9\n")


def _deep(root: Path) -> None:
    (root / "a" / "deep" / "f0.csv").write_bytes(b"changed deep below\n")


def _new_folder(root: Path) -> None:
    settled(root / "c" / "d" / "e.csv", b"in folders made after the watch\n")


def _renamed_in(root: Path) -> None:
    outside = settled(root.parent / "staging.csv", b"moved in\n")
    os.replace(outside, root / "a" / "moved.csv")


def _replaced_atomically(root: Path) -> None:
    staged = settled(root / "b" / ".f2.csv.part", b"replaced\n")
    os.replace(staged, root / "b" / "f2.csv")


def _folder_moved_in(root: Path) -> None:
    settled(root.parent / "batch" / "x.csv", b"a batch\n")
    os.rename(root.parent / "batch", root / "batch")


def _touched_top(root: Path) -> None:
    (root / "top.csv").write_bytes(b"top, again\n")


CHANGES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "a file added": (_add, ["b/new.csv"]),
    "a file rewritten, same size": (_rewrite_same_size, ["a/f1.csv"]),
    "a file deep below": (_deep, ["a/deep/f0.csv"]),
    "a folder made after the watch": (_new_folder, ["c/d/e.csv"]),
    "a file renamed in": (_renamed_in, ["a/moved.csv"]),
    "a file replaced by rename": (_replaced_atomically, ["b/f2.csv"]),
    "a folder moved in": (_folder_moved_in, ["batch/x.csv"]),
    "a file at the top": (_touched_top, ["top.csv"]),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", list(CHANGES))
def test_every_kind_of_change_is_seen_at_the_next_poll(kind, tree_folder, hasher, watcher):
    change, expected = CHANGES[kind]
    watch = watcher.tree("s1")
    baseline = scan(tree_folder, hasher, None, watch)
    assert scan(tree_folder, hasher, baseline, watch) is baseline
    change(tree_folder)
    after = scan(tree_folder, hasher, baseline, watch)
    assert changes(baseline, after) == expected
    # ...and once seen, the tree is vouched for again until the next change.
    assert scan(tree_folder, hasher, after, watch) is after
    if kind == "a folder made after the watch":  # the new folders are watched too
        (tree_folder / "c" / "d" / "e.csv").write_bytes(b"and changed again\n")
        assert changes(after, scan(tree_folder, hasher, after, watch)) == ["c/d/e.csv"]


@pytest.mark.timeout(30)
def test_a_removal_rescans_and_is_no_change(tree_folder, hasher, watcher):
    watch = watcher.tree("s1")
    baseline = scan(tree_folder, hasher, None, watch)
    shutil.rmtree(tree_folder / "a" / "deep")
    after = scan(tree_folder, hasher, baseline, watch)
    assert after is not baseline
    assert "a/deep/f0.csv" not in after.files
    assert changes(baseline, after) == []


@pytest.mark.timeout(30)
def test_a_folder_replaced_by_another_of_the_same_name_is_scanned_anew(tree_folder, hasher, watcher):
    watch = watcher.tree("s1")
    baseline = scan(tree_folder, hasher, None, watch)
    os.rename(tree_folder, tree_folder.with_name("old"))
    settled(tree_folder / "only.csv", b"a new folder\n")
    # The parent is not watched: the root's identity, checked at every poll, tells the folder is another one.
    after = scan(tree_folder, hasher, baseline, watch)
    assert sorted(after.files) == ["only.csv"]


@pytest.mark.timeout(30)
def test_a_symlinked_root_turned_elsewhere_is_scanned_anew(tmp_path, tree_folder, hasher, watcher):
    other = tmp_path / "other"
    settled(other / "z.csv", b"elsewhere\n")
    link = tmp_path / "link"
    link.symlink_to(tree_folder)
    watch = watcher.tree("s1")
    baseline = scan(link, hasher, None, watch)
    link.unlink()
    link.symlink_to(other)
    assert sorted(scan(link, hasher, baseline, watch).files) == ["z.csv"]


@pytest.mark.timeout(30)
def test_a_link_to_a_file_inside_sees_its_target_change(tree_folder, hasher, watcher):
    (tree_folder / "b" / "latest.csv").symlink_to(tree_folder / "a" / "f0.csv")
    watch = watcher.tree("s1")
    baseline = scan(tree_folder, hasher, None, watch)
    (tree_folder / "a" / "f0.csv").write_bytes(b"a new target\n")
    assert changes(baseline, scan(tree_folder, hasher, baseline, watch)) == ["a/f0.csv", "b/latest.csv"]


@pytest.mark.timeout(30)
def test_two_trees_sharing_folders_are_each_told(tree_folder, hasher, watcher):
    whole, part = watcher.tree("whole"), watcher.tree("part")
    whole_tree = scan(tree_folder, hasher, None, whole)
    part_tree = scan(tree_folder / "a", hasher, None, part)
    settled(tree_folder / "a" / "deep" / "new.csv", b"seen by both\n")
    assert changes(whole_tree, scan(tree_folder, hasher, whole_tree, whole)) == ["a/deep/new.csv"]
    assert changes(part_tree, scan(tree_folder / "a", hasher, part_tree, part)) == ["deep/new.csv"]


@pytest.mark.timeout(30)
def test_a_forgotten_tree_frees_its_watches_and_leaves_the_others(tree_folder, hasher, watcher):
    kept, dropped = watcher.tree("kept"), watcher.tree("dropped")
    kept_tree = scan(tree_folder / "b", hasher, None, kept)
    scan(tree_folder, hasher, None, dropped)
    watcher.forget("dropped")
    assert watcher.watched_keys() == ["kept"]
    settled(tree_folder / "a" / "unwatched-now.csv", b"x\n")  # only the forgotten tree watched folder a
    assert scan(tree_folder / "b", hasher, kept_tree, kept) is kept_tree
    settled(tree_folder / "b" / "new.csv", b"y\n")
    assert changes(kept_tree, scan(tree_folder / "b", hasher, kept_tree, kept)) == ["new.csv"]


@pytest.mark.timeout(30)
def test_a_folder_that_could_not_be_watched_leaves_the_tree_unvouched(tree_folder, hasher, watcher):
    watch = watcher.tree("s1")
    st = os.stat(tree_folder)
    assert watch.begin(str(tree_folder), st)
    watch.folder(str(tree_folder))
    watch.folder(str(tree_folder / "gone"))  # the kernel refuses a watch on a folder that is not there
    tree = Tree({})
    watch.end(tree)
    assert not watch.vouches_for(tree, str(tree_folder))


@pytest.mark.timeout(60)
def test_lost_reports_make_every_tree_scan_again(tmp_path, hasher, watcher):
    flooded, quiet = tmp_path / "flooded", tmp_path / "quiet"
    settled(flooded / "first.csv", b"1\n")
    settled(quiet / "only.csv", b"2\n")
    flooded_watch, quiet_watch = watcher.tree("flooded"), watcher.tree("quiet")
    flooded_tree = scan(flooded, hasher, None, flooded_watch)
    quiet_tree = scan(quiet, hasher, None, quiet_watch)
    # More reports than the kernel queues for one reader (fs.inotify.max_queued_events): it drops the rest and
    # says so, and then nobody can tell what happened where.
    queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    for index in range(queued // 2 + 100):
        (flooded / f"n{index}").write_bytes(b"")  # a create and a close-after-write each
    assert scan(quiet, hasher, quiet_tree, quiet_watch) is not quiet_tree
    assert len(scan(flooded, hasher, flooded_tree, flooded_watch).files) == queued // 2 + 101


@pytest.mark.timeout(30)
def test_trees_on_local_file_systems_are_watchable(tmp_path):
    assert file_system_of(str(tmp_path)) != ""
    assert watchable(str(tmp_path))
