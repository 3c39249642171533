"""Why a step ran: the differences between its fingerprint components and those of its previous run.

Each reason is one short sentence, in the order of `COMPONENT_KEYS` after the knobs that forbid reuse.
Two parts are compared by their canonical JSON, as the fingerprint sees them, so `1` and `1.0` differ here too.
Values are shown with `str()`, except parameter values that are strings, shown quoted with `repr()` so that
`'1'` and `1` read apart: "parameter lr: 0.01 -> 0.1", "parameter mode: 'fast' -> 'slow'".
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from duto.caching.fingerprint import COMPONENT_KEYS, canonical_json

FIRST_RUN = "first run of this step"
REGENERATE = "regenerate_outputs was set"
NO_REUSE = "allow_reuse=False"
SAME_FINGERPRINT = "same fingerprint as the previous run, whose outputs could not be reused"
GONE = "the earlier result with this fingerprint is gone"

ReadBlob = Callable[[str], bytes | None]


def explain(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    previous_ref: str | None = None,
    regenerate_outputs: bool = False,
    allow_reuse: bool = True,
    executed_upstream: Collection[str] = frozenset(),
    read_blob: ReadBlob | None = None,
) -> list[str]:
    """Say why a step runs, as a list of reasons.

    When nothing differs and no knob forbids reuse, the one reason is `SAME_FINGERPRINT` (with
    `previous_ref`, e.g. "<run id>/<step>", in parentheses when given): the caller, which knows why that run's
    outputs could not be used (missing, corrupt, the run failed), puts its own reason before it.

    Args:
        current: this step run's components.
        previous: the components of the previous run of the same step in the experiment, or None.
        previous_ref: what to call that previous run in the no-difference reason.
        regenerate_outputs: the pipeline run was submitted with regenerate_outputs.
        allow_reuse: the step's allow_reuse.
        executed_upstream: names of the steps that executed (not reused) in this pipeline run.
        read_blob: the bytes of a stored blob by digest, or None when it is not there; used for line counts.

    Returns:
        The reasons, first the knobs, then one or more per component that differs.
    """
    reasons = []
    if regenerate_outputs:
        reasons.append(REGENERATE)
    if not allow_reuse:
        reasons.append(NO_REUSE)
    if previous is None:
        return [*reasons, FIRST_RUN]
    for key in [*COMPONENT_KEYS, *sorted((set(current) | set(previous)) - set(COMPONENT_KEYS))]:
        old, new = previous.get(key), current.get(key)
        if not _same(old, new):
            # A part present on one side only (another schema version) may diff to nothing: still say it.
            differ = _DIFFERS.get(key, _unknown(key))
            reasons.extend(differ(old, new, executed_upstream, read_blob) or _unknown(key)(old, new, (), None))
    if not reasons:
        reasons.append(SAME_FINGERPRINT if previous_ref is None else f"{SAME_FINGERPRINT} ({previous_ref})")
    return reasons


def gone(cause: str) -> str:
    """Why a step whose fingerprint was computed before runs again: that result is gone, and `cause` says how.

    This is the whole reason: differences from the previous run did not make it run, since an intact result
    with this fingerprint would have been reused whatever they were.
    """
    return f"{GONE} ({cause})"


def verify_dropped(fault: str) -> str:
    """The cause `gone` gives for an entry `duto cache verify` dropped; `fault` as in "blob 1a2b... is corrupt"."""
    return f"dropped by cache verify: {fault}"


def output_fault(fault: str) -> str:
    """The cause `gone` gives when a run finds an output of the earlier result missing or corrupt."""
    return f"its output {fault}"


def summarize(reasons: list[str], width: int = 200) -> str:
    """The reasons on one line for a table cell: joined with "; ", cut to `width` characters with "…"."""
    text = "; ".join(reasons)
    return text if len(text) <= width else text[: width - 1] + "…"


def _same(old: Any, new: Any) -> bool:
    """Whether two component values have the same canonical JSON, without writing out a dataset's thousands of
    entries: mappings are compared key by key (as their canonical JSON is), strings directly."""
    if isinstance(old, str) and isinstance(new, str):  # a digest: most of a dataset's thousands of entries
        return old == new
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[key], new[key]) for key in old)
    return canonical_json(old) == canonical_json(new)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    # A key a component set from an older schema lacks reads as empty.
    return value if isinstance(value, Mapping) else {}


def _entries(old: Any, new: Any) -> Iterator[tuple[str, Any, Any]]:
    """(key, old value or None, new value or None) for every key whose value differs, sorted by key."""
    before, after = _mapping(old), _mapping(new)
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after or not _same(before[key], after[key]):
            yield key, before.get(key), after.get(key)


def _keyed(label: str, old: Any, new: Any, show: Callable[[Any], str] = _show) -> list[str]:
    """'<label> K: a -> b', '<label> K: added (v)', '<label> K: removed' for each key of two mappings."""
    before, after = _mapping(old), _mapping(new)
    lines = []
    for key, was, now in _entries(before, after):
        if key not in before:
            lines.append(f"{label} {key}: added ({show(now)})")
        elif key not in after:
            lines.append(f"{label} {key}: removed")
        else:
            lines.append(f"{label} {key}: {show(was)} -> {show(now)}")
    return lines


def _paths(label: str, old: Any, new: Any) -> list[str]:
    """'<label> P changed' / 'added' / 'removed' for each path of two {path: digest} mappings."""
    before, after = _mapping(old), _mapping(new)
    return [
        f"{label} {path} {'added' if path not in before else 'removed' if path not in after else 'changed'}"
        for path, _, _ in _entries(before, after)
    ]


def _line_counts(old_digest: str, new_digest: str, read_blob: ReadBlob | None) -> str:
    """' (+a -r lines)' between two stored text files, or '' when either is missing or binary."""
    if read_blob is None:
        return ""
    old, new = read_blob(old_digest), read_blob(new_digest)
    if old is None or new is None or b"\0" in old or b"\0" in new:
        return ""
    before = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    after = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return f" (+{added} -{removed} lines)" if added or removed else ""


def _render(arguments: Any) -> str:
    """An argument list as a command line: values quoted for a shell, symbols as {parameter:lr}."""
    if not isinstance(arguments, list) or not arguments:
        return "(none)" if arguments in (None, []) else _show(arguments)
    words = []
    for argument in arguments:
        if isinstance(argument, Mapping) and set(argument) == {"value"}:
            words.append(shlex.quote(str(argument["value"])))
        elif isinstance(argument, Mapping):
            words.append("{" + ",".join(f"{k}:{v}" for k, v in sorted(argument.items())) + "}")
        else:
            words.append(shlex.quote(str(argument)))
    return " ".join(words)


Differ = Callable[[Any, Any, Collection[str], ReadBlob | None], list[str]]


def _kind(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return [f"step kind: {old} -> {new}"]


def _code(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    before, after = _mapping(old), _mapping(new)
    lines = []
    for path, was, now in _entries(before, after):
        if path not in before:
            lines.append(f"code: {path} added")
        elif path not in after:
            lines.append(f"code: {path} removed")
        else:
            lines.append(f"code: {path} changed{_line_counts(was, now, read_blob)}")
    return lines


def _script(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return [f"script: {old} -> {new}"]


def _command(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return ["command changed"]


def _arguments(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return [f"arguments: {_render(old)} -> {_render(new)}"]


def _params(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    keys = [key for key, _, _ in _entries(old, new)]
    return [f"params changed: {', '.join(keys)}"] if keys else []


def _parameters(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return _keyed("parameter", old, new)


def _inputs(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    before, after = _mapping(old), _mapping(new)
    lines = []
    for name, was, now in _entries(before, after):
        if name not in before:
            lines.append(f"input {name!r} added")
        elif name not in after:
            lines.append(f"input {name!r} removed")
        else:
            lines.extend(_input(name, _mapping(was), _mapping(now), executed))
    return lines


def _input(name: str, was: Mapping[str, Any], now: Mapping[str, Any], executed: Collection[str]) -> list[str]:
    lines = []
    if was.get("tabular") != now.get("tabular"):
        lines.append(f"input {name!r}: its tabular dataset's recipe changed")
    if was.get("partition_format") != now.get("partition_format"):
        lines.append(f"input {name!r}: its partition_format changed")
    if "files" in was and "files" in now:
        lines.extend(_paths("file", was["files"], now["files"]))
    if lines:
        return lines
    source = _mapping(now.get("source"))
    same_source = _same(was.get("source"), now.get("source"))
    if same_source and source.get("kind") == "step_output" and source.get("step") in executed:
        return [f"input {name!r} changed because step {source['step']!r} ran again"]
    return [f"input {name!r} changed"]


def _environment(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    lines = []
    for key, was, now in _entries(old, new):
        if key == "python":
            lines.append(f"environment: python {was} -> {now}")
        elif key == "variables":
            lines.extend(_keyed("environment variable", was, now, show=str))
        elif key == "packages":
            lines.extend(f"environment: {line}" for line in _keyed("package", was, now, show=str))
        elif key == "sources":
            lines.extend(_sources(was, now))
        else:
            lines.append(f"environment: {key} changed")
    return lines


def _sources(old: Any, new: Any) -> list[str]:
    """'environment: local package P changed' (or the wheels of a find-links folder) for each local source."""
    lines = []
    for line in _paths("", old, new):
        reference = line.strip()
        if reference.startswith("--find-links="):
            lines.append(f"environment: wheels in find-links folder {reference.removeprefix('--find-links=')}")
        else:
            lines.append(f"environment: local package {reference}")
    return lines


def _outputs(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    def by_name(outputs: Any) -> dict[str, Any]:
        listed = outputs if isinstance(outputs, list) else []
        return {str(_mapping(o).get("name")): o for o in listed}

    names = [name for name, _, _ in _entries(by_name(old), by_name(new))]
    # Same outputs in another order (or a repeated name): still a difference the fingerprint sees.
    return [f"declared outputs changed: {', '.join(names)}" if names else "declared outputs reordered"]


def _version(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return [f"version: {old} -> {new}"]


def _hash_paths(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
    return _paths("hash_paths:", old, new)


def _unknown(key: str) -> Differ:
    def differs(old: Any, new: Any, executed: Collection[str], read_blob: ReadBlob | None) -> list[str]:
        return [f"{key} changed"]

    return differs


_DIFFERS: dict[str, Differ] = {
    "kind": _kind,
    "code": _code,
    "script": _script,
    "command": _command,
    "arguments": _arguments,
    "params": _params,
    "parameters": _parameters,
    "inputs": _inputs,
    "environment": _environment,
    "outputs": _outputs,
    "version": _version,
    "hash_paths": _hash_paths,
}
