"""`duto --help` against its snapshot: a change to the command list or its wording shows up as a diff here.

After a deliberate change, regenerate the snapshot with `DUTO_UPDATE_SNAPSHOTS=1 pytest tests/e2e/test_help.py`.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from conftest import run_duto

SNAPSHOT = Path(__file__).parent / "snapshots" / "duto-help.txt"


def test_duto_help_matches_its_snapshot(tmp_path: Path) -> None:
    result = run_duto("--help", cwd=tmp_path, columns=100)
    assert result.returncode == 0, result.stderr
    actual = "\n".join(line.rstrip() for line in result.stdout.splitlines()) + "\n"
    if os.environ.get("DUTO_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(actual)
    expected = SNAPSHOT.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "snapshot", "duto --help"))
    assert actual == expected, f"`duto --help` changed (DUTO_UPDATE_SNAPSHOTS=1 regenerates it):\n{diff}"
