"""A step run's fingerprint: one digest of everything its result depends on, so equal fingerprints may share outputs.

The runner gathers a step run's *components* (the `Components` mapping below) and stores them beside the
fingerprint, so that `duto.caching.explain` can later say why a step ran as a diff of two component sets.
Components are plain JSON values; only their canonical JSON is hashed, so dict key order never matters
while list order does (argument order is meaning).

Components schema, version 1 (every key is required, no other key is allowed):

    kind          "python_script@1": the step kind and its kind version
    code          {relpath: digest} for every file of the code snapshot
    script        the script's name, or None
    command       a shell string, a list of arguments, or None; for a data_transfer step its reference
                  types as value arguments ({"value": "destination_reference_type=file"})
    arguments     [argument, ...] as in the pipeline spec: {"value": "--lr"} | {"parameter": "lr"}
                  | {"input": "prepped"} | {"output": "model"}
    params        {env suffix: argument}: what reaches the script as AML_PARAMETER_<suffix>
    parameters    {name: value} of the pipeline parameters this step references
    inputs        {port: {"digest": content digest, "source": {"kind": "step_output", "step", "output"}}}
                  or, for a dataset, {port: {"digest", "source": {"kind": "dataset"}, "files": {path: digest}}},
                  and for a tabular dataset also "tabular": {"format", "options", "transforms", "direct"}
    environment   {"python": "3.11.7", "variables": {name: value}}; a data_transfer step's python is ""
    outputs       [{"name", "kind", "datastore", "destination", "is_directory"}, ...] as declared
    version       the user's salt (a string), or None
    hash_paths    {path as the user gave it: digest} of the extra files and folders the step depends on

Digests are BLAKE3 hex strings. The fingerprint is BLAKE3 over `FINGERPRINT_SCHEME`, a NUL byte and the
canonical JSON of the components; the scheme tag is folded in rather than prefixed, so a fingerprint stays a
plain 64-character hex digest like every other one, and a change of scheme changes every fingerprint (old
reuse entries then never match, which is what a scheme change must do).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

import blake3

from duto.errors import ConfigError
from duto.graph.spec import Argument

FINGERPRINT_SCHEME = "duto.fingerprint/1"

COMPONENT_KEYS: tuple[str, ...] = (
    "kind",
    "code",
    "script",
    "command",
    "arguments",
    "params",
    "parameters",
    "inputs",
    "environment",
    "outputs",
    "version",
    "hash_paths",
)


class InputSource(TypedDict, total=False):
    """Where an input comes from: `{"kind": "dataset"}`, or a step's output with `step` and `output` set."""

    kind: Literal["step_output", "dataset"]
    step: str
    output: str


class InputComponent(TypedDict):
    """One input port: its content digest, its source, and for a dataset the digest of each file."""

    digest: str
    source: InputSource
    files: NotRequired[dict[str, str]]
    tabular: NotRequired[dict[str, Any]]


class EnvironmentComponent(TypedDict):
    """The resolved environment: the Python version and the step's environment variables."""

    python: str
    variables: dict[str, str]


class OutputComponent(TypedDict):
    """One declared output, as the spec's OutputSpec holds it."""

    name: str
    kind: str
    datastore: str | None
    destination: str | None
    is_directory: bool | None


class Components(TypedDict):
    """Everything a step run's result depends on; the module docstring says what each key holds."""

    kind: str
    code: dict[str, str]
    script: str | None
    command: str | list[Argument] | None
    arguments: list[Argument]
    params: dict[str, Argument]
    parameters: dict[str, Any]
    inputs: dict[str, InputComponent]
    environment: EnvironmentComponent
    outputs: list[OutputComponent]
    version: str | None
    hash_paths: dict[str, str]


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value: keys sorted, no whitespace, UTF-8 without escapes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fingerprint(components: Mapping[str, Any]) -> str:
    """The BLAKE3 hex digest of a step run's components under `FINGERPRINT_SCHEME`.

    It trusts its argument; `validate_components` checks one that comes from elsewhere.
    """
    hasher = blake3.blake3(FINGERPRINT_SCHEME.encode("utf-8") + b"\0")
    hasher.update(canonical_json(dict(components)))
    return hasher.hexdigest()


def validate_components(components: Mapping[str, Any]) -> None:
    """Check that components have exactly `COMPONENT_KEYS` and are JSON values.

    Raises:
        ConfigError: naming every missing and every unexpected key, or saying what is not JSON.
    """
    missing = [key for key in COMPONENT_KEYS if key not in components]
    extra = sorted(str(key) for key in components if key not in COMPONENT_KEYS)
    problems = []
    if missing:
        problems.append(f"missing {', '.join(repr(k) for k in missing)}")
    if extra:
        problems.append(f"unexpected {', '.join(repr(k) for k in extra)}")
    if problems:
        raise ConfigError(
            f"fingerprint components: {'; '.join(problems)}; they must have exactly the keys "
            f"{', '.join(COMPONENT_KEYS)} (see duto.caching.fingerprint)"
        )
    try:
        canonical_json(dict(components))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"fingerprint components are not plain JSON values: {exc}") from exc
