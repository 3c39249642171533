"""Comparing runs, through the facade's comparison that `duto runs diff` uses too."""

from __future__ import annotations

from duto.errors import ConfigError
from duto.facade import comparison
from duto.facade.workspace import Workspace
from duto.server.operations.runs import image_url
from duto.server.schemas.compare import Comparison

MAX_RUNS = 10


class RunsToCompareError(ConfigError):
    """Fewer than two runs to compare, or more than the page can show: 422 naming the `runs` field."""

    field = "runs"

    def __init__(self, count: int) -> None:
        super().__init__(f"name 2 to {MAX_RUNS} runs to compare, as runs=ID1,ID2 (ids or unique prefixes); got {count}")


def compare(workspace: Workspace, runs: list[str]) -> Comparison:
    """The runs named in `runs` (each item one id, or several separated by commas) compared with the first."""
    ids = [part.strip() for text in runs for part in text.split(",") if part.strip()]
    if not 2 <= len(ids) <= MAX_RUNS:
        raise RunsToCompareError(len(ids))
    return Comparison(**comparison.compare(workspace, ids, image_url))
