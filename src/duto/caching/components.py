"""Building a step run's fingerprint components from its spec, its run's parameters and its inputs' hashes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from duto.graph.spec import Argument, InputSpec, StepSpec, dataset_paths
from duto.storage.cas import canonical
from duto.storage.datastores import DatastoreBackend, local_files
from duto.storage.hashing import FileHasher, FileState, hash_bytes
from duto.storage.remote_files import RemoteFiles


def referenced_parameters(step: StepSpec) -> set[str]:
    """The pipeline parameters a step's arguments, params or command use."""
    args: list[Argument] = [*step.arguments, *step.params.values()]
    if isinstance(step.command, list):
        args.extend(step.command)
    return {a["parameter"] for a in args if "parameter" in a}


def tree_digest(files: Mapping[str, str]) -> str:
    """One digest for a set of (path -> content digest): the identity of a dataset input or a folder."""
    return hash_bytes(canonical(dict(files)))


def file_key(datastore: str, path: str, default_datastore: str) -> str:
    """How fingerprint components name a datastore's file: its path on the default datastore, else "name:path"."""
    return path if datastore == default_datastore else f"{datastore}:{path}"


def dataset_files(
    spec: InputSpec,
    datastores: Mapping[str, DatastoreBackend],
    hasher: FileHasher,
    default_datastore: str,
    parameters: Mapping[str, Any] | None = None,
    fetch: Callable[[str], Path] | None = None,
    remote: RemoteFiles | None = None,
    keep: bool = True,
    states: dict[str, FileState] | None = None,
) -> dict[str, str]:
    """Datastore path (or URL, or absolute local path) -> content digest of every file a dataset input names.

    A URL is fetched with `fetch` and hashed by content; an object store's file through `remote`, read only when
    its stamp changed, and with `keep` kept in the content store for the step. `states` gets the stat of each
    local file its digest stands for, by absolute path. Raises FileNotFoundError, or what `fetch` and `remote`
    raise.
    """
    files: dict[str, str] = {}
    for entry in dataset_paths(spec.source, parameters or {}):
        if "url" in entry:
            assert fetch is not None  # the runner passes one whenever a spec may name a URL
            files[entry["url"]] = hasher.digest(fetch(entry["url"]))
            continue
        if "local" in entry:  # a local path: its files are named by their absolute paths
            backend, pattern, prefix = local_files(), entry["local"], "/"
        else:
            found = datastores.get(entry["datastore"])
            if found is None:  # a DataPath parameter's run value may name any datastore
                raise FileNotFoundError(f"input {spec.name!r}: the workspace has no datastore {entry['datastore']!r}")
            backend, pattern = found, entry["path"]
            prefix = file_key(entry["datastore"], "", default_datastore)
            if not backend.is_local:
                assert remote is not None  # the runner passes one whenever a spec may name an object store
                for path, stamp in backend.listing(pattern).items():
                    files[prefix + path] = remote.digest(backend, path, stamp, keep)
                continue
        matched = backend.expand(pattern)
        root = os.path.abspath(backend.local_path(".")).rstrip("/") if matched else ""  # "" for the local root
        local = {path: f"{root}/{path}" for path in matched}  # clean paths inside the root: expand found them
        digests = hasher.digests(list(local.values()), states)
        for path in matched:
            files[prefix + path] = digests[local[path]]
    return files


def path_digest(path: Path, hasher: FileHasher) -> str:
    """The digest of a file, or of every file under a folder."""
    if path.is_dir():
        files = {
            str(PurePosixPath(p.relative_to(path).as_posix())): hasher.digest(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
        return tree_digest(files)
    return hasher.digest(path)


def step_components(
    step: StepSpec,
    parameters: Mapping[str, Any],
    code: Mapping[str, str],
    inputs: Mapping[str, dict[str, Any]],
    hash_paths: Mapping[str, str],
    interpreter: Any,
) -> dict[str, Any]:
    """Everything a step run's result depends on, as the fingerprint and its explanations see it."""
    return {
        "kind": f"{step.kind}@{step.kind_version}",
        "code": dict(code),
        "script": step.script_name,
        "command": _options_as_command(step),
        "arguments": list(step.arguments),
        "params": dict(step.params),
        "parameters": {name: parameters[name] for name in sorted(referenced_parameters(step))},
        "inputs": dict(inputs),
        "environment": _environment(step, interpreter),
        "outputs": [
            {
                "name": o.name,
                "kind": o.kind,
                "datastore": o.datastore,
                "destination": o.destination,
                "is_directory": o.is_directory,
            }
            for o in step.outputs
        ],
        "version": step.version,
        "hash_paths": dict(hash_paths),
    }


def _options_as_command(step: StepSpec) -> str | list[Argument] | None:
    """A data transfer's reference types, or a parallel run's options, as the `command` of a step that has no
    other; a step's own command otherwise."""
    if step.transfer is not None:
        return [{"value": f"{name}={value}"} for name, value in sorted(step.transfer.items())]
    if step.parallel_run is not None:
        return [{"value": f"{name}={json.dumps(value)}"} for name, value in sorted(step.parallel_run.items())]
    return step.command


def _environment(step: StepSpec, interpreter: Any) -> dict[str, Any]:
    """The environment part of the fingerprint: Python version, variables, a built env's packages, and the
    content digests of the local wheels and folders it was installed from. A data transfer runs no code of the
    user's: what it copies does not depend on a Python version, so it has none."""
    if step.transfer is not None:
        return {"python": "", "variables": {}}
    variables = {**(step.environment or {}).get("environment_variables", {}), **step.environment_variables}
    part: dict[str, Any] = {"python": interpreter.version, "variables": variables}
    if interpreter.packages is not None:
        part["packages"] = dict(interpreter.packages)
    if getattr(interpreter, "sources", None):
        # Only when there are some, so the fingerprints of environments without local packages stay as they were.
        part["sources"] = dict(interpreter.sources)
    if (step.environment or {}).get("docker_image"):
        part["docker_image"] = step.environment["docker_image"]  # type: ignore[index]  # checked just above
    return part
