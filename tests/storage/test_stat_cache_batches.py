"""The stat cache remembers a first scan's digests a batch at a time, and what it remembered is there for another
process once the batch ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duto.storage import hashing
from duto.storage.hashing import FileHasher

READ_BACK = """
import sys
from pathlib import Path
from duto.storage.hashing import FileHasher
hasher = FileHasher(Path(sys.argv[1]))
print(sum(hasher.needs_reading(p) == 0 for p in sys.argv[2:]))
"""


@pytest.mark.timeout(60)
def test_digests_remembered_in_batches_are_seen_by_another_process(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(hashing, "RACY_NS", 0)  # files just written count as settled here
    monkeypatch.setattr(hashing, "BATCH_FILES", 7)
    files = []
    for i in range(50):
        path = tmp_path / "data" / f"{i}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"file {i}\n")
        files.append(str(path))
    cache = tmp_path / "stat.db"
    hasher = FileHasher(cache)
    with hasher.batched(), hasher.batched():  # nested: one batch
        digests = [hasher.digest(p) for p in files]
        assert hasher.bytes_read == sum(Path(p).stat().st_size for p in files)
    assert [hasher.digest(p) for p in files] == digests
    assert hasher.bytes_read == sum(Path(p).stat().st_size for p in files), "all remembered: nothing read again"
    hasher.close()
    seen = subprocess.run([sys.executable, "-c", READ_BACK, str(cache), *files], capture_output=True, text=True)
    assert seen.stdout.strip() == "50", seen.stderr
