"""The command servers a benchmark's runs start: in a folder of the benchmark's own, stopped when it ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from duto.cli.command_servers import stop_servers
from duto.resident import DIR_ENV


@contextmanager
def own_command_servers() -> Iterator[Path]:
    """Point duto's command servers at a new temp folder (a short path: a socket's must fit in 108 bytes)
    for the block, then stop the servers started there, and what they still run."""
    folder = Path(tempfile.mkdtemp(prefix="duto-cs-"))
    before = os.environ.get(DIR_ENV)
    os.environ[DIR_ENV] = str(folder)
    try:
        yield folder
    finally:
        stop_servers(folder, wait=5, kill=True)
        shutil.rmtree(folder, ignore_errors=True)
        if before is None:
            os.environ.pop(DIR_ENV, None)
        else:
            os.environ[DIR_ENV] = before
