"""Write the server's OpenAPI document, the source the portal's typed client is generated from.

`python -m duto.server.openapi_document ui/openapi.json`. The document is built from an app over a throwaway
workspace and written with sorted keys, so the same code always writes the same bytes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from duto.facade.workspace import Workspace
from duto.server.app import create_app


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, as served at `/api/openapi.json`."""
    with tempfile.TemporaryDirectory(prefix="duto-openapi-") as folder:
        Workspace.create(folder)
        document: dict[str, Any] = create_app(Path(folder)).openapi()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m duto.server.openapi_document OUTPUT.json", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render(openapi_document()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
