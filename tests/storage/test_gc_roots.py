"""The roots of `cache gc`: every kind of record that names stored content registers one, and gc leaves what
any root keeps."""

from __future__ import annotations

from duto.facade.content_cache import collect_garbage
from duto.storage import gc_roots, models


def test_every_table_is_read_by_a_gc_root_or_named_as_holding_no_digests():
    covered = {table for root in gc_roots.roots() for table in root.tables}
    tables = set(models.Base.metadata.tables)
    unaccounted = tables - covered - gc_roots.WITHOUT_DIGESTS
    assert unaccounted == set(), "a new kind of record: register a gc root for it, or list it in WITHOUT_DIGESTS"
    assert {"runs", "reuse entries"} <= {root.kind for root in gc_roots.roots()}


def test_gc_leaves_the_content_a_registered_root_keeps(ws, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"a registered model's bytes")
    cas = ws.content_store
    digest = cas.put_tree(folder, move=False)
    (blob,) = (cas.blob_path(d) for d in cas.files_of(digest).values())

    with gc_roots.registered("test models", ("models",), lambda db: [digest]):
        collect_garbage(ws)
        assert cas.manifest(digest) is not None and blob.exists()
        assert digest in gc_roots.live_digests(ws.database)

    assert "test models" not in {root.kind for root in gc_roots.roots()}
    report = collect_garbage(ws)
    assert (report.manifests, report.blobs) == (1, 1)
    assert cas.manifest(digest) is None and not blob.exists()
