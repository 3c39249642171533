"""The wheel's build hook: build the portal into the package when it is missing or stale, and ship it.

The portal's build is git-ignored, so hatchling would leave it out; listing it as artifacts puts it in.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

HERE = Path(__file__).resolve().parent


def _portal_build() -> Any:
    spec = importlib.util.spec_from_file_location("portal_build", HERE / "tools" / "portal_build.py")
    assert spec is not None and spec.loader is not None, "tools/portal_build.py is part of the source tree"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PortalBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if (HERE / "tools" / "portal_build.py").exists():
            _portal_build().build(say=False)
        build_data["artifacts"].append("src/duto/server/portal/")
