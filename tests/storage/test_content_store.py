"""The content-addressed store and the stat-cached BLAKE3 hasher, on real files."""

from __future__ import annotations

import os

import blake3
import pytest

from conftest import stray_name
from duto.storage.cas import ContentStore
from duto.storage.hashing import FileHasher, HashingTooSlow


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
    assert (checked, len(corrupt)) == (1, 1) and not blob.exists()

    (cas.tmp / stray_name("half")).write_bytes(b"partial")
    keep = cas.put_manifest({"kind": "tree", "files": {}})
    drop = cas.put_manifest({"kind": "file", "digest": "00" * 32, "size": 0, "executable": False})
    report = cas.gc(keep={keep})
    assert (report.manifests, report.temporary) == (2, 1)
    assert cas.manifest(keep) is not None and cas.manifest(drop) is None
    assert list(cas.tmp.iterdir()) == []


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
