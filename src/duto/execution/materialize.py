"""Getting a step ready to start: its working copy of the code, its inputs in place, its command resolved."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from duto.caching.components import file_key
from duto.errors import DutoError
from duto.execution.url_inputs import fetch_url
from duto.graph.spec import Argument, InputSpec, OutputSpec, StepSpec, dataset_paths
from duto.storage.cas import ContentStore, StoreDamagedError
from duto.storage.datastores import DatastoreBackend, local_files
from duto.storage.hashing import hash_bytes
from duto.storage.layout import StepLayout
from duto.storage.remote_files import RemoteFiles
from duto.tracking.step_context import (
    EVENTS_ENV,
    EXPERIMENT_ENV,
    FILES_ENV,
    INPUTS_ENV,
    INPUTS_JSON_ENV,
    PARENT_ID_ENV,
    RUN_ID_ENV,
    TABULAR_INPUTS_ENV,
    WORKSPACE_ENV,
)

# Up to this size the map of a step's inputs goes in its environment (DUTO_INPUTS); past it, in a file made first.
# A variable may hold 128 KiB on Linux; a step with a few inputs needs a few hundred bytes.
INLINE_INPUTS_BYTES = 32 * 1024


class InputError(DutoError):
    """An input that cannot be put in place; the step fails with this reason before it starts."""


@dataclass(frozen=True)
class InputDigests:
    """The content digests a step's fingerprint took for the dataset files it reads (by the keys fingerprint
    components give them): a URL's, or an object store's, is placed from those very bytes."""

    files: Mapping[str, str]
    default_datastore: str

    @classmethod
    def of(cls, components: Mapping[str, Any] | None, default_datastore: str) -> InputDigests:
        files = {
            name: digest
            for port in (components or {}).get("inputs", {}).values()
            for name, digest in port.get("files", {}).items()
        }
        return cls(files, default_datastore)

    def url(self, url: str) -> str | None:
        return self.files.get(url)

    def datastore_file(self, datastore: str, path: str) -> str | None:
        return self.files.get(file_key(datastore, path, self.default_datastore))


@dataclass(frozen=True)
class PreparedStep:
    """Everything needed to start a step's process, and the input files it reads in place."""

    command: list[str]
    env: dict[str, str]
    cwd: Path
    input_paths: dict[str, str]
    output_paths: dict[str, str]
    mounted_files: list[str]
    # The map of its inputs for `inputs.json`, when the step was given it inline: written once the process has
    # started (`write_inputs_map`), off the path to its start, for those who ask after.
    inputs_map: str | None = None


def output_location(output: OutputSpec, step_run_id: str, default_datastore: str) -> tuple[str, str]:
    """(datastore, path on it) where a step run's output is published."""
    datastore = output.datastore or default_datastore
    if output.kind == "output_file_dataset":
        template = output.destination or "dataset/{run-id}/{output-name}"
        path = template.replace("{run-id}", step_run_id).replace("{output-name}", output.name)
        return datastore, path.strip("/")
    return datastore, f"azureml/{step_run_id}/{output.name}"


def place_input(
    spec: InputSpec,
    layout: StepLayout,
    cas: ContentStore,
    datastores: dict[str, DatastoreBackend],
    upstream_outputs: dict[str, dict[str, dict[str, str]]],
    mounted: list[str],
    parameters: dict[str, Any] | None = None,
    fingerprinted: InputDigests | None = None,
    in_place: bool = False,
) -> str:
    """Put one input where the step reads it; returns the path its arguments resolve to.

    With `in_place`, a mounted dataset that is one folder on a local datastore is given as that folder itself,
    rather than as a folder of links to its files (a ParallelRunStep's thousands of files).

    `fingerprinted` gives the digests the step's fingerprint took for URLs and an object store's files: the
    bytes read then are the ones placed.

    Files the step reads in place (mounted, not copied) are added to `mounted`. An upstream output is fed
    only with the bytes it was committed with: copied from sound blobs, or, mounted, its published files
    checked against them. An object store's files are always copied: mounting one falls back to a download.

    Raises:
        InputError: an upstream step recorded no such output.
        StoreDamagedError: the stored output is missing or corrupt.
    """
    source = spec.source
    if source["kind"] == "step_output":
        location = upstream_outputs.get(source["step"], {}).get(source["output"])
        if location is None:
            raise InputError(f"input {spec.name!r}: step {source['step']!r} recorded no output {source['output']!r}")
        backend = datastores[location["datastore"]]
        what = f"input {spec.name!r} (output {source['output']!r} of step {source['step']!r})"
        if location.get("stored_in") == "datastore":
            return _place_transferred(spec, layout, RemoteFiles(cas), backend, location, mounted, what)
        if spec.mode == "mount" and backend.is_local:
            published = backend.local_path(location["path"])
            _check_published(cas, location["digest"], published, what)
            mounted.extend(_files_under(published))
            return str(published)
        target = layout.inputs / spec.name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            cas.materialize(location["digest"], target, link=False)
        except StoreDamagedError as exc:
            raise StoreDamagedError(exc.fault, what) from exc
        return str(target)
    if source.get("registered"):
        return _place_registered(spec, layout, cas, mounted)
    digests = fingerprinted or InputDigests({}, "")
    if in_place:
        folder = _local_folder(spec, datastores, parameters or {})
        if folder is not None:
            mounted.extend(_files_under(folder))
            return str(folder)
    return _place_dataset(spec, layout, datastores, mounted, parameters or {}, RemoteFiles(cas), digests)


def _local_folder(spec: InputSpec, datastores: dict[str, DatastoreBackend], parameters: dict[str, Any]) -> Path | None:
    """The folder a mounted dataset names, when it is one folder (no wildcards) on a local datastore."""
    paths = dataset_paths(spec.source, parameters)
    if spec.mode != "mount" or len(paths) != 1 or "datastore" not in paths[0]:
        return None
    backend = datastores.get(paths[0]["datastore"])
    if backend is None or not backend.is_local or any(c in paths[0]["path"] for c in "*?["):
        return None
    folder = backend.local_path(paths[0]["path"])
    return folder if folder.is_dir() else None


def _place_registered(spec: InputSpec, layout: StepLayout, cas: ContentStore, mounted: list[str]) -> str:
    """A registered dataset version, laid out from the content it was registered with (hard links when mounted,
    since the step reads it in place, watched as mounted files are; copies when downloaded): its one file when
    it names one, else a folder."""
    registered = spec.source["registered"]
    target = layout.inputs / spec.name
    what = f"input {spec.name!r} (dataset {registered['name']!r} version {registered['version']})"
    try:
        cas.materialize(registered["digest"], target, link=spec.mode == "mount")
    except StoreDamagedError as exc:
        raise StoreDamagedError(exc.fault, what) from exc
    if spec.mode == "mount":
        mounted.extend(_files_under(target))
    single = registered.get("single_file")
    return str(target / single) if single else str(target)


def _place_transferred(
    spec: InputSpec,
    layout: StepLayout,
    remote: RemoteFiles,
    backend: DatastoreBackend,
    location: Mapping[str, str],
    mounted: list[str],
    what: str,
) -> str:
    """An upstream data transfer's copy, kept on its datastore: read there in place (mounted, on a local
    folder), else copied here, each file checked against the digest the transfer recorded."""
    manifest = remote.cas.manifest(location["digest"])
    if manifest is None:
        raise InputError(f"{what}: the record of its files is missing from the content store; submit again")
    if spec.mode == "mount" and backend.is_local:
        published = backend.local_path(location["path"])
        mounted.extend(_files_under(published))
        return str(published)
    target = layout.inputs / spec.name
    for rel, entry in manifest["files"].items():
        path = f"{location['path']}/{rel}" if rel else location["path"]
        remote.place(backend, path, entry["digest"], target / rel if rel else target)
    return str(target)


def _check_published(cas: ContentStore, digest: str, published: Path, what: str) -> None:
    """Make sure the published files a step is to read in place hold the bytes their output was committed with.

    A published file is a hard link to its blob, so a sound blob vouches for it (one stat each); a file that
    is not (another filesystem, or replaced) is hashed. Files that differ from sound blobs are published again.
    """
    fault = cas.fault(digest)
    if fault is not None:
        raise StoreDamagedError(fault, what)
    for rel, blob in cas.files_of(digest).items():
        path = published / rel if rel else published
        try:
            here, stored = os.stat(path), os.stat(cas.blob_path(blob))
        except FileNotFoundError:
            break
        if (here.st_dev, here.st_ino) != (stored.st_dev, stored.st_ino) and cas.hasher.digest(path) != blob:
            break
    else:
        return
    cas.publish(digest, published)


def _files_under(path: Path) -> list[str]:
    if path.is_file():
        return [str(path)]
    return [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]


def url_cache(cas: ContentStore) -> Path:
    """Where fetched URLs are kept, beside the content store."""
    return cas.root.parent / "cache" / "urls"


def _place_dataset(
    spec: InputSpec,
    layout: StepLayout,
    datastores: dict[str, DatastoreBackend],
    mounted: list[str],
    parameters: dict[str, Any],
    remote: RemoteFiles,
    fingerprinted: InputDigests,
) -> str:
    """One file stays a file; a folder or glob becomes a folder of the files, relative to the fixed prefix.

    A path that names no files gives an empty folder and a warning in the step's log, as in v1. An object
    store's files are copied into the step's folder whatever the mode.
    """
    files: list[tuple[Path, str]] = []
    fetches: list[tuple[DatastoreBackend, str, str]] = []  # an object store's (backend, path, relative path)
    names_one_file = False
    paths = dataset_paths(spec.source, parameters)
    for entry in paths:
        if "url" in entry:
            local = fetch_url(entry["url"], url_cache(remote.cas), fingerprinted.url(entry["url"]))
            files.append((local, local.name))
            names_one_file = len(paths) == 1
            continue
        if "local" in entry:
            backend, pattern, where = local_files(), entry["local"], entry["local"]
        else:
            found = datastores.get(entry["datastore"])
            if found is None:
                raise InputError(f"input {spec.name!r}: the workspace has no datastore {entry['datastore']!r}")
            backend, pattern, where = found, entry["path"], f"{entry['datastore']}:{entry['path']}"
        matched = backend.expand(pattern)
        if not matched:
            with layout.std_log.open("a") as log:
                log.write(f"duto: warning: input {spec.name!r} holds no files at {where}\n")
            continue
        prefix = fixed_prefix(pattern)
        is_file = matched == [prefix]
        names_one_file = is_file and len(paths) == 1
        base = PurePosixPath(prefix).parent if is_file else PurePosixPath(prefix)
        if not backend.is_local:
            fetches.extend((backend, p, str(PurePosixPath(p).relative_to(base))) for p in matched)
            continue
        files.extend((backend.local_path(p), str(PurePosixPath(p).relative_to(base))) for p in matched)
    if spec.mode == "mount":
        mounted.extend(str(local) for local, _ in files)
    if names_one_file and fetches:
        backend, path, rel = fetches[0]
        target = layout.inputs / spec.name / rel
        remote.place(backend, path, fingerprinted.datastore_file(backend.name, path), target)
        return str(target)
    if names_one_file:
        local, rel = files[0]
        if spec.mode == "mount":
            return str(local)
        target = layout.inputs / spec.name / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(local, target)
        return str(target)
    folder = layout.inputs / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    for local, rel in files:
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if spec.mode == "mount":
            dest.symlink_to(local)
        else:
            shutil.copy2(local, dest)
    for backend, path, rel in fetches:
        remote.place(backend, path, fingerprinted.datastore_file(backend.name, path), folder / rel)
    return str(folder)


def store_dataset(
    source: dict[str, Any], scratch: Path, cas: ContentStore, datastores: dict[str, DatastoreBackend]
) -> tuple[str, str | None]:
    """Copy the files a dataset source names now into the content store, as a registered version keeps them.

    Returns the manifest's digest and, when the dataset names one file, that file's name in it. `scratch` is an
    empty folder on the store's filesystem, for the copy on its way in.

    Raises:
        InputError: the dataset names no files.
    """
    layout = StepLayout(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    spec = InputSpec("dataset", "download", {k: v for k, v in source.items() if k != "registered"})
    placed = Path(_place_dataset(spec, layout, datastores, [], {}, RemoteFiles(cas), InputDigests({}, "")))
    folder = layout.inputs / spec.name
    files = [str(PurePosixPath(p.relative_to(folder).as_posix())) for p in folder.rglob("*") if p.is_file()]
    if not files:
        where = ", ".join(str(list(p.values())[-1]) for p in source["paths"])
        raise InputError(f"the dataset names no files now (at {where}); nothing to register")
    single = placed.relative_to(folder).as_posix() if placed.is_file() else None
    return cas.put_tree(folder, move=True), single


def at_path_on_compute(spec: InputSpec, placed: str, code: Path) -> str:
    """Put a placed input at its `path_on_compute`, relative to the step's working folder; returns that path.

    Mounted, a symbolic link to the data; downloaded, the copy itself moved there.

    Raises:
        InputError: the path leaves the working folder.
    """
    if spec.path_on_compute is None:
        return placed
    target = (code / spec.path_on_compute).resolve()
    if not target.is_relative_to(code.resolve()) or target == code.resolve():
        raise InputError(
            f"input {spec.name!r}: path_on_compute {spec.path_on_compute!r} leaves the step's working folder; "
            "give a relative path inside it such as 'data/raw'"
        )
    if target.exists() or target.is_symlink():
        raise InputError(
            f"input {spec.name!r}: path_on_compute {spec.path_on_compute!r} is already taken in the step's "
            "working folder (by its code or another input); choose another path"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if spec.mode == "mount":
        target.symlink_to(placed)
    else:
        shutil.move(placed, target)
    return str(target)


def fixed_prefix(pattern: str) -> str:
    """The part of a path before its first glob character ("raw" for "raw/**/*.csv")."""
    fixed: list[str] = []
    for part in PurePosixPath(pattern.strip("/")).parts:
        if any(c in part for c in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def resolve(arg: Argument, parameters: dict[str, Any], inputs: dict[str, str], outputs: dict[str, str]) -> str:
    if "value" in arg:
        return arg["value"]
    if "parameter" in arg:
        return str(parameters[arg["parameter"]])
    if "input" in arg:
        return inputs[arg["input"]]
    return outputs[arg["output"]]


@dataclass(frozen=True)
class Interpreter:
    """The Python a step runs with: the runner's own, a user-managed one, or a built environment's."""

    python: str
    version: str
    packages: dict[str, str] | None = None  # the resolved package set of a built environment
    bin_dir: str | None = None  # put first on PATH, so a command step finds the environment's tools
    step_api: str | None = None  # a folder with duto's step-side API, for environments without duto
    sources: dict[str, str] | None = None  # content digests of the local wheels and folders it was installed from


def prepare(
    step: StepSpec,
    layout: StepLayout,
    cas: ContentStore,
    parameters: dict[str, Any],
    datastores: dict[str, DatastoreBackend],
    upstream_outputs: dict[str, dict[str, dict[str, str]]],
    ids: tuple[str, str],
    interpreter: Interpreter,
    experiment: tuple[str, str] | None = None,
    fingerprinted: InputDigests | None = None,
    laid_out: bool = False,
) -> PreparedStep:
    """Lay out a step run's folder and resolve its command; `ids` is (pipeline run id, step run id), `experiment`
    (experiment name, workspace root) for `Run.get_context().experiment`, `fingerprinted` the digests the step's
    fingerprint took for the URLs it reads (see `place_input`), `laid_out` whether `lay_out_ahead` made the
    folder, its code included, for this attempt."""
    pipeline_run_id, step_run_id = ids
    if not laid_out:
        _lay_out_folder(layout)
    if step.processes > 1 and step.parallel_run is None:  # a parallel run starts its nodes itself
        with layout.std_log.open("a") as log:
            log.write(
                f"duto: warning: the run configuration asks for {step.processes} processes (MpiConfiguration's "
                "process_count_per_node times node_count); duto runs one process of the step, so the step "
                "should not wait for its peers\n"
            )
    if not laid_out:
        _lay_out_code(step, layout, cas)
    mounted: list[str] = []
    input_paths = {
        spec.name: at_path_on_compute(
            spec,
            place_input(
                spec,
                layout,
                cas,
                datastores,
                upstream_outputs,
                mounted,
                parameters,
                fingerprinted,
                in_place=step.kind == "parallel_run",
            ),
            layout.code,
        )
        for spec in step.inputs
    }
    output_paths: dict[str, str] = {}
    for output in step.outputs:
        path = layout.outputs / output.name
        if output.is_directory:
            path.mkdir(parents=True, exist_ok=True)
        output_paths[output.name] = str(path)

    def res(arg: Argument) -> str:
        return resolve(arg, parameters, input_paths, output_paths)

    docker_image = (step.environment or {}).get("docker_image")
    if step.kind == "python_script":
        assert step.script_name is not None  # the spec of a python_script step always names its script
        python = "python" if docker_image else interpreter.python
        command = [python, step.script_name, *(res(a) for a in step.arguments)]
    elif step.kind == "parallel_run":  # duto's driver, which imports the entry script in its workers
        python = "python" if docker_image else interpreter.python
        plan = str(layout.root / "parallel_run.json")
        command = [python, "-m", "duto.tracking.parallel_driver", plan, *(res(a) for a in step.arguments)]
    elif isinstance(step.command, str):
        command = ["/bin/sh", "-c", step.command]
    else:
        command = [res(a) for a in step.command or []]

    env = dict(os.environ)
    env.update((step.environment or {}).get("environment_variables", {}))
    env.update(step.environment_variables)
    if interpreter.bin_dir:
        env["PATH"] = f"{interpreter.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(Path(interpreter.bin_dir).parent)
    if interpreter.step_api:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [interpreter.step_api, env.get("PYTHONPATH")]))
    env.update({f"AML_PARAMETER_{key}": res(value) for key, value in step.params.items()})
    for name, place in input_paths.items():
        env[f"DUTO_INPUT_{name}"] = place
        env[f"AZUREML_DATAREFERENCE_{name}"] = place
    for name, place in output_paths.items():
        env[f"DUTO_OUTPUT_{name}"] = place
        env[f"AZUREML_DATAREFERENCE_{name}"] = place
    env.update(
        {
            EVENTS_ENV: str(layout.events),
            FILES_ENV: str(layout.files),
            RUN_ID_ENV: step_run_id,
            PARENT_ID_ENV: pipeline_run_id,
            "PYTHONUNBUFFERED": "1",
        }
    )
    inputs_map = None
    if input_paths:  # a step with no inputs has no map: `Run.input_datasets` is {} then, in the step and after
        inputs_map = json.dumps(input_paths)
        if len(inputs_map) <= INLINE_INPUTS_BYTES:
            env[INPUTS_JSON_ENV] = inputs_map  # no file to make before the step can start
        else:
            layout.inputs_map.write_text(inputs_map)
            env[INPUTS_ENV], inputs_map = str(layout.inputs_map), None
    tabular = {spec.name: spec.source["tabular"] for spec in step.inputs if spec.source.get("direct")}
    if tabular:
        layout.tabular_inputs.write_text(json.dumps(tabular))
        env[TABULAR_INPUTS_ENV] = str(layout.tabular_inputs)
    if experiment is not None:
        env[EXPERIMENT_ENV], env[WORKSPACE_ENV] = experiment
    if docker_image:
        command = _in_docker(docker_image, command, layout, env, list(input_paths.values()))
    return PreparedStep(command, env, layout.code, input_paths, output_paths, mounted, inputs_map)


def lay_out_ahead(step: StepSpec, layout: StepLayout, cas: ContentStore) -> None:
    """Make what of a step's folder does not depend on its inputs (the folder, `outputs/`, its copy of the code,
    an empty log) before the step can start, while the steps it waits on still run: `prepare(laid_out=True)` then
    makes only what does, and the step starts sooner once they end.

    Raises:
        StoreDamagedError: the step's snapshot is damaged (`prepare` finds it again and fails the step).
    """
    _lay_out_folder(layout)
    _lay_out_code(step, layout, cas)
    layout.std_log.touch()


def _lay_out_folder(layout: StepLayout) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.outputs.mkdir(exist_ok=True)


def _lay_out_code(step: StepSpec, layout: StepLayout, cas: ContentStore) -> None:
    if step.snapshot is not None:
        # Copies, not links: a step that rewrites its own files must not change the stored snapshot.
        cas.materialize(step.snapshot, layout.code, link=False)
    else:
        layout.code.mkdir(exist_ok=True)


def _in_docker(image: str, command: list[str], layout: StepLayout, env: dict[str, str], inputs: list[str]) -> list[str]:
    """Run `command` in a container of `image`, with the step's folder and its inputs at the same paths."""
    mounts = {str(layout.root), *(str(Path(p).resolve().parent) for p in inputs)}
    wrapped = ["docker", "run", "--rm", "--network", "host", "-w", str(layout.code)]
    for folder in sorted(mounts):
        wrapped += ["-v", f"{folder}:{folder}"]
    for key in sorted(env):
        if key.startswith(("DUTO_", "AML_", "AZUREML_", "PYTHON")):
            wrapped += ["-e", key]  # the value comes from docker's own environment, which is `env`
    return [*wrapped, image, *command]


def write_inputs_map(prepared: PreparedStep, layout: StepLayout) -> None:
    """Keep the map of inputs a step was given inline as its `inputs.json`, for `StepRun.input_datasets`."""
    if prepared.inputs_map is not None:
        layout.inputs_map.write_text(prepared.inputs_map)


def step_api_folder(envs_dir: Path) -> Path:
    """A folder holding duto's standard-library-only step API, so `from duto import Run` works in any env.

    Named by the content of what it holds, so a new duto gets a new folder and an old run keeps its own.
    """
    package = Path(__file__).resolve().parents[1]
    files = (
        "__init__.py",
        "_lazy.py",
        "errors.py",
        "parallel_run.py",
        "tracking/__init__.py",
        "tracking/step_context.py",
        "tracking/model_paths.py",
        "tracking/entry_script.py",
        "tracking/parallel_driver.py",
        # A tabular dataset given as itself: standard library too, pandas imported when a frame is asked for.
        "graph/__init__.py",
        "graph/datasets.py",
        "graph/partitions.py",
        "graph/tabular.py",
        "graph/tabular_factory.py",
        "graph/tabular_reading.py",
    )
    content = b"".join((package / rel).read_bytes() for rel in files)
    target = envs_dir / f"step-api-{hash_bytes(content)[:16]}"
    if (target / "duto" / "tracking" / "step_context.py").is_file():
        return target
    staging = envs_dir / f".tmp-step-api-{os.getpid()}"
    for rel in files:
        (staging / "duto" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package / rel, staging / "duto" / rel)
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another runner made it first
    return target
