"""Where every benchmark keeps its figures: `bench/results/<name>.json`, with what machine and duto made them."""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

import duto
from duto.config import default_concurrency

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def write_figures(name: str, figures: dict[str, Any], console: Console) -> Path:
    """Write one benchmark's figures, headed by when and where they were measured; returns the file."""
    document = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "duto_version": duto.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cores": default_concurrency(),
        **figures,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"figures written to {path}", highlight=False)
    return path
