"""How two runs of a step differ, by kind of difference: code, data, environment, arguments.

A grouping of the fingerprint components that `duto runs diff` shows as columns; each group's details are the
sentences `explain` would give for a re-run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from duto.caching.explain import ReadBlob, explain
from duto.caching.fingerprint import canonical_json

# Every component key in exactly one group; kind and version (the user's salt) change what the code means.
GROUPS: dict[str, tuple[str, ...]] = {
    "code": ("kind", "code", "script", "command", "hash_paths", "version"),
    "data": ("inputs",),
    "environment": ("environment",),
    "arguments": ("arguments", "params", "parameters", "outputs"),
}


def differences(
    before: Mapping[str, Any], after: Mapping[str, Any], read_blob: ReadBlob | None = None
) -> dict[str, list[str]]:
    """For each group, what differs from `before` to `after` (an empty list when nothing does).

    `read_blob` gives a stored file's bytes by digest, for counting the lines a code change added and removed.
    """
    found: dict[str, list[str]] = {}
    for group, keys in GROUPS.items():
        old = {key: before.get(key) for key in keys}
        new = {key: after.get(key) for key in keys}
        same = canonical_json(old) == canonical_json(new)
        found[group] = [] if same else explain(new, old, read_blob=read_blob)
    return found
