"""JSON on stdout for `--json`; the documents themselves are the facade's (`duto.facade.documents`)."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(document: Any) -> None:
    """JSON on stdout as it is: no Rich wrapping, markup or highlighting, so `jq` reads it."""
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()
