"""Polling a watched datastore path: what counts as a change, on real folders with a real FileHasher."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from duto.scheduling.data_changes import Tree, changes, from_bytes, scan, to_bytes
from duto.storage.datastores import DatastoreBackend
from duto.storage.hashing import FileHasher, hash_bytes
from duto.storage.temporary import temporary_name


@pytest.fixture
def hasher(tmp_path: Path) -> FileHasher:
    return FileHasher(tmp_path / "cache" / "hashes.db")


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    folder = tmp_path / "datastore" / "incoming"
    folder.mkdir(parents=True)
    return folder


def write(path: Path, data: bytes, age_s: float | None = None) -> Path:
    """Write a file, dated `age_s` seconds back when given (older than the racy window, as settled data is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if age_s is not None:
        then = time.time() - age_s
        os.utime(path, (then, then))
    return path


@pytest.mark.timeout(30)
def test_an_added_file_is_a_change(watched, hasher):
    write(watched / "a.csv", b"1,2\n")
    baseline = scan(watched, hasher)
    write(watched / "b.csv", b"3,4\n")
    assert changes(baseline, scan(watched, hasher, baseline)) == ["b.csv"]


@pytest.mark.timeout(30)
def test_new_content_is_a_change(watched, hasher):
    path = write(watched / "a.csv", b"1,2\n", age_s=60)
    baseline = scan(watched, hasher)
    write(path, b"1,3\n")
    assert changes(baseline, scan(watched, hasher, baseline)) == ["a.csv"]


@pytest.mark.timeout(30)
def test_the_same_bytes_written_again_are_no_change(tmp_path, watched, hasher):
    path = write(watched / "a.csv", b"1,2\n", age_s=60)
    baseline = scan(watched, hasher)
    write(path, b"1,2\n")  # in place: a new mtime
    assert path.stat().st_mtime_ns != baseline.files["a.csv"].mtime_ns
    again = scan(watched, hasher, baseline)
    assert changes(baseline, again) == []
    # An upload through the datastore: a temporary name, then a rename over the file (a new inode).
    store = DatastoreBackend("data", {"path": str(watched.parent)}, tmp_path)
    local = write(tmp_path / "a.csv", b"1,2\n")
    assert store.put_file(local, "incoming/a.csv", overwrite=True)
    assert path.stat().st_ino != baseline.files["a.csv"].inode
    assert changes(baseline, scan(watched, hasher, again)) == []


@pytest.mark.timeout(30)
def test_a_file_deep_below_is_seen(watched, hasher):
    baseline = scan(watched, hasher)
    write(watched / "2024" / "05" / "day.csv", b"x\n")
    assert changes(baseline, scan(watched, hasher, baseline)) == ["2024/05/day.csv"]


@pytest.mark.timeout(30)
def test_a_burst_of_files_is_one_list(watched, hasher):
    baseline = scan(watched, hasher)
    for i in range(50):
        write(watched / "batch" / f"part-{i:02d}.csv", f"{i}\n".encode())
    assert changes(baseline, scan(watched, hasher, baseline)) == [f"batch/part-{i:02d}.csv" for i in range(50)]


@pytest.mark.timeout(30)
def test_temporary_names_are_never_seen(watched, hasher):
    baseline = scan(watched, hasher)
    write(watched / temporary_name("a.csv"), b"half written")
    write(watched / temporary_name("out") / "inside.csv", b"a folder being laid out")
    after = scan(watched, hasher, baseline)
    assert after.files == {}
    assert changes(baseline, after) == []


@pytest.mark.timeout(30)
def test_a_path_that_does_not_exist_yet_is_empty_and_then_all_new(tmp_path, hasher):
    root = tmp_path / "later"
    baseline = scan(root, hasher)
    assert baseline.files == {}
    write(root / "a.csv", b"a")
    write(root / "sub" / "b.csv", b"b")
    assert changes(baseline, scan(root, hasher, baseline)) == ["a.csv", "sub/b.csv"]


@pytest.mark.timeout(30)
def test_a_single_file_is_a_tree_of_one(watched, hasher):
    path = write(watched / "model.bin", b"v1", age_s=60)
    baseline = scan(path, hasher)
    assert list(baseline.files) == ["model.bin"]
    assert baseline.files["model.bin"].digest == hash_bytes(b"v1")
    assert changes(baseline, scan(path, hasher, baseline)) == []
    write(path, b"v2")
    assert changes(baseline, scan(path, hasher, baseline)) == ["model.bin"]


@pytest.mark.timeout(30)
def test_a_removal_is_no_change(watched, hasher):
    write(watched / "a.csv", b"a")
    write(watched / "b.csv", b"b")
    baseline = scan(watched, hasher)
    (watched / "a.csv").unlink()
    after = scan(watched, hasher, baseline)
    assert list(after.files) == ["b.csv"]
    assert changes(baseline, after) == []


@pytest.mark.timeout(30)
def test_the_previous_tree_spares_reading_unchanged_files(tmp_path, watched):
    for i in range(20):
        write(watched / f"f{i}.csv", f"row {i}\n".encode(), age_s=60)
    first = FileHasher(tmp_path / "first.db")
    baseline = scan(watched, first)
    assert first.bytes_read == sum(f.size for f in baseline.files.values())
    # A hasher with an empty stat cache reads nothing: every digest came from the previous tree.
    fresh = FileHasher(tmp_path / "fresh.db")
    again = scan(watched, fresh, baseline)
    assert fresh.bytes_read == 0
    assert again.files == baseline.files
    # New bytes behind the same size, mtime and inode: the carried-over digest is what the poll says.
    path = watched / "f0.csv"
    st = path.stat()
    with path.open("r+b") as handle:
        handle.write(b"ROW")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    carried = scan(watched, FileHasher(tmp_path / "carried.db"), baseline)
    assert carried.files["f0.csv"].digest == hash_bytes(b"row 0\n")
    assert scan(watched, FileHasher(tmp_path / "read.db")).files["f0.csv"].digest == hash_bytes(b"ROW 0\n")


@pytest.mark.timeout(30)
def test_a_file_written_just_before_a_poll_is_read_again_at_the_next(tmp_path, watched):
    # Its stat may not move with a second write in the same clock tick, so its digest is not carried over.
    write(watched / "fresh.csv", b"new\n")
    baseline = scan(watched, FileHasher(tmp_path / "a.db"))
    again = FileHasher(tmp_path / "b.db")
    scan(watched, again, baseline)
    assert again.bytes_read == len(b"new\n")


@pytest.mark.timeout(30)
def test_a_tree_round_trips_through_bytes(tmp_path, watched, hasher):
    write(watched / "a.csv", b"a", age_s=60)
    write(watched / "deep" / "er" / "b.csv", b"b", age_s=60)
    write(watched / "tab\there, new\nline, ü.csv", b"odd name", age_s=60)
    tree = scan(watched, hasher)
    data = to_bytes(tree)
    back = from_bytes(data)
    assert back == tree
    assert back.files == tree.files and back.scanned_ns == tree.scanned_ns
    assert back.digest == tree.digest
    assert to_bytes(back) == data
    # Kept and read back, it serves as the previous tree: nothing is read again.
    fresh = FileHasher(tmp_path / "fresh.db")
    assert changes(back, scan(watched, fresh, back)) == []
    assert fresh.bytes_read == 0


@pytest.mark.timeout(30)
def test_a_tree_digest_depends_on_paths_and_contents_only(tmp_path, hasher):
    one, two = tmp_path / "one", tmp_path / "two"
    for root, age in ((one, 60), (two, 600)):
        write(root / "b.csv", b"b", age_s=age)
        write(root / "a" / "x.csv", b"x", age_s=age)
    first = scan(one, hasher)
    assert first.digest == scan(one, hasher, first).digest == scan(two, hasher).digest
    write(two / "a" / "x.csv", b"y")
    assert scan(two, hasher).digest != first.digest
    (two / "a" / "x.csv").rename(two / "a" / "z.csv")
    write(two / "a" / "z.csv", b"x")
    assert scan(two, hasher).digest != first.digest
    assert Tree({}).digest == scan(tmp_path / "missing", hasher).digest


@pytest.mark.timeout(30)
def test_symlinks_are_read_inside_the_watched_path_only(tmp_path, watched, hasher):
    write(watched / "data" / "real.csv", b"inside")
    outside = write(tmp_path / "secret.txt", b"outside")
    (watched / "latest.csv").symlink_to(watched / "data" / "real.csv")
    (watched / "escape.txt").symlink_to(outside)
    (watched / "loop").symlink_to(watched, target_is_directory=True)
    (watched / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    tree = scan(watched, hasher)
    assert sorted(tree.files) == ["data/real.csv", "latest.csv"]
    assert tree.files["latest.csv"].digest == hash_bytes(b"inside")
    # A watched path that is itself a symlink is followed.
    (tmp_path / "alias").symlink_to(watched, target_is_directory=True)
    assert scan(tmp_path / "alias", hasher).files == tree.files


class RacingHasher(FileHasher):
    """A real FileHasher, with another writer acting on each file at the moment it is read."""

    def __init__(self, cache_file: Path, race: str) -> None:
        super().__init__(cache_file)
        self.race = race

    def digest(self, path: str | os.PathLike[str]) -> str:
        if self.race == "remove":
            os.unlink(path)
        found = super().digest(path)
        if self.race == "append":
            with open(path, "ab") as handle:
                handle.write(b"more\n")
        return found


@pytest.mark.timeout(30)
def test_a_file_that_vanishes_while_polled_is_left_out(tmp_path, watched):
    write(watched / "a.csv", b"a")
    assert scan(watched, RacingHasher(tmp_path / "h.db", "remove")).files == {}


@pytest.mark.timeout(30)
def test_a_file_still_being_written_waits_for_the_next_poll(tmp_path, watched, hasher):
    path = write(watched / "log.csv", b"first\n", age_s=60)
    baseline = scan(watched, hasher)
    write(watched / "new.csv", b"partial")
    write(path, b"first\nsecond\n")
    during = scan(watched, RacingHasher(tmp_path / "h.db", "append"), baseline)
    # The new file stays out and the growing one keeps its last entry: no run fires on half a file.
    assert during.files == baseline.files
    assert changes(baseline, during) == []
    settled = scan(watched, hasher, during)
    assert changes(baseline, settled) == ["log.csv", "new.csv"]
    assert settled.files["log.csv"].digest == hash_bytes(b"first\nsecond\nmore\n")
