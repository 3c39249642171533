"""The content-addressed store and the stat-cached BLAKE3 hasher, on real files."""

from __future__ import annotations

import os
from pathlib import Path

import blake3
import pytest

from conftest import stray_name
from duto.storage.cas import ContentStore, Fault, StoreDamagedError
from duto.storage.hashing import BlobState, FileHasher, HashingTooSlow


def _age(path, seconds: int = 10) -> None:
    """Move a file's mtime into the past, so the hasher does not treat it as racily fresh."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def test_stat_cache_reads_a_file_once_and_again_only_when_its_stat_changes(tmp_path):
    hasher = FileHasher(tmp_path / "cache.db")
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 10_000)
    _age(data)
    expected = blake3.blake3(b"x" * 10_000).hexdigest()
    assert hasher.digest(data) == expected and hasher.bytes_read == 10_000
    assert hasher.digest(data) == expected and hasher.bytes_read == 10_000, "unchanged: not read again"
    _age(data, 5)
    assert hasher.digest(data) == expected and hasher.bytes_read == 20_000, "new mtime: read again"
    data.write_bytes(b"y" * 10_000)
    _age(data)
    assert hasher.digest(data) == blake3.blake3(b"y" * 10_000).hexdigest()
    fresh = tmp_path / "fresh.bin"
    fresh.write_bytes(b"z")
    hasher.digest(fresh)
    assert hasher.needs_reading(fresh) == 1, "a file written this instant is not trusted to the cache"
    hasher.close()


def test_large_files_hash_like_the_reference(tmp_path):
    big = tmp_path / "big.bin"
    payload = os.urandom(9 * 1024 * 1024)
    big.write_bytes(payload)
    assert FileHasher(tmp_path / "c.db").digest(big) == blake3.blake3(payload).hexdigest()


def test_trees_are_stored_once_laid_out_by_links_and_published_atomically(tmp_path):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        (folder / "sub").mkdir(parents=True)
        (folder / "a.txt").write_text("same")
        (folder / "sub" / "b.txt").write_text("bytes")
    digest = cas.put_tree(first, move=True)
    assert cas.put_tree(second, move=False) == digest
    assert not (first / "a.txt").exists(), "moved into the store"
    assert len(list(cas.blobs.rglob("*"))) - len(list(cas.blobs.iterdir())) == 2, "deduplicated blobs"
    assert cas.files_of(digest).keys() == {"a.txt", "sub/b.txt"}

    final = tmp_path / "published" / "out"
    cas.publish(digest, final)
    assert (final / "sub" / "b.txt").read_text() == "bytes"
    assert (final / "a.txt").stat().st_ino == cas.blob_path(cas.files_of(digest)["a.txt"]).stat().st_ino
    cas.publish(digest, final)  # again, over the old one
    assert sorted(p.name for p in final.parent.iterdir()) == ["out"]
    assert cas.intact(digest)


def test_a_moved_file_becomes_its_blob_by_one_rename_read_only_and_sound(tmp_path, monkeypatch):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    output = tmp_path / "out" / "value.txt"
    output.parent.mkdir()
    output.write_text("42")
    inode = output.stat().st_ino
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src, dst):
        real_replace(src, dst)
        renames.append((str(src), str(dst)))  # the renames that happened

    monkeypatch.setattr(os, "replace", recording_replace)
    blob = cas.put_file(output, move=True)
    # Straight from the step's folder to the blob's name (its fan-out folder made on the way), no temporary.
    assert renames == [(str(output), str(cas.blob_path(blob)))]
    assert not output.exists() and cas.blob_path(blob).stat().st_ino == inode
    assert cas.blob_path(blob).stat().st_mode & 0o222 == 0, "a blob is read-only"
    assert cas.blob_fault(blob) is None and cas.read_blob(blob) == b"42" and list(cas.tmp.iterdir()) == []
    again = tmp_path / "again.txt"
    again.write_text("42")
    assert cas.put_file(again, move=True) == blob and not again.exists(), "the same bytes: the copy is dropped"
    assert len(renames) == 1


def test_an_output_stored_in_place_stays_as_links_of_its_blobs_by_one_link_each(tmp_path, monkeypatch):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    out = tmp_path / "out"
    (out / "deep").mkdir(parents=True)
    (out / "new.txt").write_text("new bytes")
    (out / "deep" / "known.txt").write_text("known bytes")
    (out / "deep" / "corrupt.txt").write_text("corrupt me")
    known = cas.put_file(out / "deep" / "known.txt", move=False)
    corrupt = cas.put_file(out / "deep" / "corrupt.txt", move=False)
    blob = cas.blob_path(corrupt)
    blob.chmod(0o644)
    blob.write_text("corrupt!!!")  # same size, other bytes
    made: list[tuple[str, str]] = []
    real_link, real_replace = os.link, os.replace

    def recording(real, kind):
        def call(src, dst):
            real(src, dst)
            made.append((kind, os.path.basename(dst)))

        return call

    monkeypatch.setattr(os, "link", recording(real_link, "link"))
    monkeypatch.setattr(os, "replace", recording(real_replace, "replace"))
    digest = cas.put_in_place(out)
    files = cas.files_of(digest)
    assert files.keys() == {"new.txt", "deep/known.txt", "deep/corrupt.txt"} and files["deep/known.txt"] == known
    # new bytes: one link and no rename; known bytes: a link of the blob in the file's place; a corrupt blob:
    # replaced by the file, linked back
    new, manifest = files["new.txt"], f"{digest}.json"
    assert (
        [(kind, name) for kind, name in made if ".tmp-" not in name]
        == [
            ("link", new[2:]),  # new bytes: the file becomes its blob by one link, and stays
            ("replace", corrupt[2:]),  # a corrupt blob: the file replaces it, then is linked back
            ("link", "corrupt.txt"),
            ("link", "known.txt"),  # known bytes: a link of the blob in the file's place
            ("replace", manifest),
        ]
    )
    for rel, found in files.items():
        assert (out / rel).stat().st_ino == cas.blob_path(found).stat().st_ino, rel
        assert cas.blob_path(found).stat().st_mode & 0o222 == 0, "a blob is read-only"
    assert cas.intact(digest) and (out / "deep" / "corrupt.txt").read_text() == "corrupt me"
    assert list(cas.tmp.iterdir()) == []


def test_a_changed_blob_is_not_sound_and_verify_and_gc_clean_up(tmp_path):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "f").write_text("good")
    digest = cas.put_tree(folder, move=True)
    blob = cas.blob_path(cas.files_of(digest)["f"])
    blob.chmod(0o644)
    blob.write_text("evil")
    assert not cas.intact(digest), "a blob whose stat changed is re-hashed on a hit"
    checked, corrupt = cas.verify()
    assert (checked, len(corrupt)) == (2, 1) and not blob.exists(), "one blob and one manifest checked"

    (cas.tmp / stray_name("half")).write_bytes(b"partial")
    keep = cas.put_manifest({"kind": "tree", "files": {}})
    drop = cas.put_manifest({"kind": "file", "digest": "00" * 32, "size": 0, "executable": False})
    report = cas.gc(keep={keep})
    assert (report.manifests, report.temporary) == (2, 1)
    assert cas.manifest(keep) is not None and cas.manifest(drop) is None
    assert list(cas.tmp.iterdir()) == []


def _overwrite_in_place(path, data: bytes, keep_mtime: bool) -> None:
    """Write `data` into the file's own inode (as a writer through a hard link does), maybe putting its mtime back."""
    st = path.stat()
    path.chmod(0o644)
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not keep_mtime or (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["new-mtime", "mtime-put-back"])
def test_same_size_garbage_in_a_blob_is_noticed_and_the_blob_replaced(tmp_path, keep_mtime):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "f.txt").write_text("good bytes")
    digest = cas.put_tree(folder, move=False)
    blob_digest = cas.files_of(digest)["f.txt"]
    blob = cas.blob_path(blob_digest)
    assert cas.intact(digest)

    _overwrite_in_place(blob, b"evil bytes", keep_mtime)
    assert not cas.intact(digest), "a write into the blob changed its ctime: re-hashed, found corrupt"
    assert cas.fault(digest) == Fault("blob", blob_digest, "corrupt")
    with pytest.raises(StoreDamagedError, match=f"blob {blob_digest[:16]} is corrupt"):
        cas.materialize(digest, tmp_path / "laid-out", link=False)
    assert not (tmp_path / "laid-out" / "f.txt").exists(), "nothing of the garbage was laid out"

    assert cas.put_tree(folder, move=False) == digest
    assert blob.read_text() == "good bytes", "storing the same content again replaced the corrupt blob"
    assert cas.intact(digest)


def test_a_corrupt_manifest_counts_as_missing_and_is_written_again(tmp_path):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "f.txt").write_text("content")
    digest = cas.put_tree(folder, move=False)
    path = cas.manifests / f"{digest}.json"
    path.write_bytes(os.urandom(path.stat().st_size))
    assert cas.manifest(digest) is None and cas.files_of(digest) == {}
    assert cas.fault(digest) == Fault("manifest", digest, "corrupt")
    assert cas.put_tree(folder, move=False) == digest
    assert cas.files_of(digest).keys() == {"f.txt"} and cas.intact(digest)


def test_a_sound_blob_is_checked_by_its_stat_alone_even_after_it_is_linked(tmp_path):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "big.bin").write_bytes(os.urandom(1024 * 1024))
    digest = cas.put_tree(folder, move=True)
    cas.publish(digest, tmp_path / "published")  # a hard link: the blob's ctime changes
    blob_digest = cas.files_of(digest)["big.bin"]
    assert cas.hasher.blob_state(blob_digest) == BlobState.of(cas.blob_path(blob_digest).stat())
    _overwrite_in_place(tmp_path / "published" / "big.bin", os.urandom(1024 * 1024), keep_mtime=True)
    assert cas.fault(digest) == Fault("blob", blob_digest, "corrupt"), "written through the published hard link"


def test_a_read_budget_leaves_a_file_past_it_unread(tmp_path):
    hasher = FileHasher(tmp_path / "cache.db")
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(b"s" * 100)
    big.write_bytes(b"b" * 1000)
    _age(small)
    _age(big)
    hasher.read_budget = 500
    assert hasher.digest(small) == blake3.blake3(b"s" * 100).hexdigest()
    with pytest.raises(HashingTooSlow):
        hasher.digest(big)
    assert (hasher.bytes_read, hasher.read_budget) == (100, 400), "the big file was not read at all"
    hasher.read_budget = None
    assert hasher.digest(big) == blake3.blake3(b"b" * 1000).hexdigest()
    hasher.close()


def test_a_manifest_read_sound_is_read_again_only_when_its_file_changed(tmp_path, monkeypatch):
    cas = ContentStore(tmp_path / "cas", FileHasher(tmp_path / "cache.db"))
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    digest = cas.put_tree(folder, move=False)
    reads: list[str] = []
    real_read = Path.read_bytes

    def counted(self):  # type: ignore[no-untyped-def]
        reads.append(self.name)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", counted)
    manifest_file = f"{digest}.json"
    assert cas.files_of(digest) == cas.files_of(digest) != {}
    assert reads.count(manifest_file) == 1, "the second read is answered from what the first found"

    path = cas.manifests / manifest_file
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(b"{}")  # written over: a new stat, read and hashed again, found corrupt
    assert cas.manifest(digest) is None and cas.manifest_fault(digest) == Fault("manifest", digest, "corrupt")
    path.write_bytes(original)
    assert cas.manifest(digest) is not None
    path.unlink()
    assert cas.manifest(digest) is None and cas.manifest_fault(digest) == Fault("manifest", digest, "missing")
