"""An object store's files known by content: read once, remembered by (size, ETag), kept for the step that reads
them, and never given to a step with other bytes than its fingerprint took."""

from __future__ import annotations

import pytest

from duto import Datastore
from duto.storage.cas import workspace_content_store
from duto.storage.hashing import hash_bytes
from duto.storage.remote_files import RemoteFileError, RemoteFiles

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def lake(ws, s3_endpoint, s3_bucket):  # type: ignore[no-untyped-def]
    store = Datastore.register_s3(
        ws, "lake", s3_bucket, endpoint_url=s3_endpoint, region="us-east-1", access_key_id="k", secret_access_key="s"
    )
    return store.backend


def test_an_unchanged_object_is_not_read_again_and_a_rewritten_one_is(ws, lake):
    lake.fs.pipe_file("raw/a.csv", b"first")
    cas = workspace_content_store(ws.config.duto_dir)
    remote = RemoteFiles(cas)
    stamp = lake.listing("raw")["raw/a.csv"]

    assert remote.digest(lake, "raw/a.csv", stamp, keep=False) == hash_bytes(b"first")
    assert not cas.has_blob(hash_bytes(b"first")), "a file read only to be hashed is not kept"
    # What the cache says for an unchanged stamp is taken without a read: a planted digest shows it.
    cas.hasher.remember_remote(f"{lake.identity}/raw/a.csv", stamp.size, stamp.version, "planted")
    assert remote.digest(lake, "raw/a.csv", stamp, keep=False) == "planted"

    lake.fs.pipe_file("raw/a.csv", b"again")  # rewritten: a new ETag
    new_stamp = lake.listing("raw")["raw/a.csv"]
    assert new_stamp != stamp
    assert remote.digest(lake, "raw/a.csv", new_stamp, keep=True) == hash_bytes(b"again")
    assert cas.read_blob(hash_bytes(b"again")) == b"again"


def test_a_step_is_given_the_bytes_its_fingerprint_took(ws, lake, tmp_path):
    lake.fs.pipe_file("raw/a.csv", b"fingerprinted")
    cas = workspace_content_store(ws.config.duto_dir)
    remote = RemoteFiles(cas)
    digest = remote.digest(lake, "raw/a.csv", lake.stamp("raw/a.csv"), keep=True)

    lake.fs.pipe_file("raw/a.csv", b"rewritten after the fingerprint")
    remote.place(lake, "raw/a.csv", digest, tmp_path / "kept" / "a.csv")
    assert (tmp_path / "kept" / "a.csv").read_bytes() == b"fingerprinted"

    cas.evict_blob(digest)  # the kept bytes are gone: the object is read again, and must still hold them
    with pytest.raises(RemoteFileError, match="no longer holds the bytes"):
        remote.place(lake, "raw/a.csv", digest, tmp_path / "again" / "a.csv")
    assert not (tmp_path / "again" / "a.csv").exists()
