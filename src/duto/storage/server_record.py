"""Where a workspace's server answers: the record `duto server` keeps in the workspace while it runs.

`.duto/server.json` holds the running server's pid (with its start time, so a reused pid is not taken for it),
its URL and when it started. The SDK reads it to compute a published pipeline's `endpoint`; `duto server
status | stop` read it to find the server; a second `duto server` reads it to refuse to start beside it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from duto.processes import alive

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642
RECORD_FILE = "server.json"


@dataclass(frozen=True)
class ServerRecord:
    """A server of the workspace: its process, and the URL it answers on (`https://` when it serves TLS)."""

    pid: int
    start_ticks: int | None
    url: str
    started_at: float
    log: str | None = None

    def is_running(self) -> bool:
        return alive(self.pid, self.start_ticks)


def default_url() -> str:
    return f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def record_path(duto_dir: Path) -> Path:
    return duto_dir / RECORD_FILE


def running_server(duto_dir: Path) -> ServerRecord | None:
    """The workspace's server when one runs; a record left by a server that died is ignored."""
    try:
        data = json.loads(record_path(duto_dir).read_text())
        record = ServerRecord(**data)
    except (OSError, ValueError, TypeError):
        return None
    return record if record.is_running() else None


def base_url(duto_dir: Path) -> str:
    """The running server's URL, else the URL a server started with the defaults answers on."""
    record = running_server(duto_dir)
    return record.url if record is not None else default_url()


def write_record(duto_dir: Path, record: ServerRecord) -> None:
    """Record the server, written whole through a temporary file, readable by its owner alone."""
    path = record_path(duto_dir)
    tmp = path.with_name(f".{RECORD_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def remove_record(duto_dir: Path, pid: int) -> None:
    """Remove the record when it is the one of server `pid` (a later server's record stays)."""
    path = record_path(duto_dir)
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass
