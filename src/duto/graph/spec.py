"""duto's pipeline spec: the versioned JSON document `submit` freezes and the runner executes.

The format is written down in docs/pipeline-spec.md; bump SCHEMA_VERSION on any change a reader must know of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from duto.errors import ConfigError

SCHEMA_VERSION = 9
# 2 added a step's max_retries, retry_backoff_seconds and timeout_seconds; 3 an input's path_on_compute, a
# dataset source's `parameter` and `url` paths, and an output's pipeline_output_name and training_output; 4 a
# step's `key`, which edges, step-output sources and `upstream` name (in older documents the key is the name);
# 5 a step's `processes`, how many v1 would start (1 in older documents); 6 a dataset's `local` paths;
# 7 the `data_transfer` step kind and a step's `transfer` (its reference types; null for other kinds);
# 8 a dataset source's `tabular` recipe and `direct` (a tabular dataset given to the step as itself), the
# `parallel_run` step kind and a step's `parallel_run` (its ParallelRunConfig; null for other kinds), and a step's
# `module`: the module version a step was made from and its ports' types (null for other steps),
# a dataset source's `registered` (the registered version it is pinned to) and an output's `register_as`;
# 9 a dataset source's `partition_format` (absent when unpartitioned; a tabular recipe's options carry it too) and
# a parallel_run step's `partition_keys` and `partition_format` (absent when it does not group by partition)
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
SPEC_KIND = "duto.pipeline"

# An argument: {"value": "text"} | {"parameter": "lr"} | {"input": "prepped"} | {"output": "model"}
Argument = dict[str, str]


@dataclass(frozen=True)
class InputSpec:
    """One input port. `source` is {"kind": "step_output", "step", "output"} or
    {"kind": "dataset", "paths": [{"datastore", "path"} | {"url"} | {"local"}], "parameter"?: name,
    "tabular"?: {"format", "options", "transforms"}, "direct"?: bool, "partition_format"?: str,
    "registered"?: {"id", "name", "version", "digest", "single_file"}}; a registered one is read from the store's
    `digest`, the content its version held. `path_on_compute` places it at that path relative to the step's
    working folder."""

    name: str
    mode: Literal["mount", "download"]
    source: dict[str, Any]
    path_on_compute: str | None = None


def dataset_paths(source: dict[str, Any], parameters: Mapping[str, Any]) -> list[dict[str, str]]:
    """The paths a dataset source names in a run: a DataPath parameter's run value, else the paths written."""
    name = source.get("parameter")
    if name is not None and isinstance(parameters.get(name), dict):
        return [parameters[name]]
    paths: list[dict[str, str]] = source["paths"]
    return paths


@dataclass(frozen=True)
class OutputSpec:
    """One output port; `destination` is a datastore path template for an OutputFileDatasetConfig.

    `pipeline_output_name` names it for the whole run; `training_output` is {"type", "model_file"} as declared;
    `register_as` the dataset it is registered as when its step finishes.
    """

    name: str
    kind: Literal["pipeline_data", "output_file_dataset"]
    datastore: str | None = None
    destination: str | None = None
    is_directory: bool | None = None
    pipeline_output_name: str | None = None
    training_output: dict[str, Any] | None = None
    # {"name", "description", "tags", "create_new_version"}: registered as a dataset version when the step finishes
    register_as: dict[str, Any] | None = None


def step_key(name: str, ordinal: int) -> str:
    """The key of the `ordinal`-th step (1 for the first, in spec order) among those named `name`.

    The first keeps its name as its key, so that adding a step of the same name changes no existing key;
    `storage/reuse_store.py` derives the same keys from step runs' names and positions.
    """
    return name if ordinal == 1 else f"{name}#{ordinal}"


@dataclass(frozen=True)
class StepSpec:
    """One step. `key` identifies it in the spec (edges, sources, `upstream`); `name` is what it is called,
    and two steps may share one."""

    name: str
    kind: str
    kind_version: int
    compute_target: str
    arguments: list[Argument] = field(default_factory=list)
    params: dict[str, Argument] = field(default_factory=dict)
    inputs: list[InputSpec] = field(default_factory=list)
    outputs: list[OutputSpec] = field(default_factory=list)
    script_name: str | None = None
    command: str | list[Argument] | None = None
    environment_variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, Any] | None = None
    cores: int = 1
    memory_gb: float | None = None
    source_directory: str | None = None
    snapshot: str | None = None
    allow_reuse: bool = True
    version: str | None = None
    hash_paths: list[str] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    max_retries: int = 0
    retry_backoff_seconds: float = 1.0
    timeout_seconds: float | None = None
    key: str = ""
    processes: int = 1  # MPI's processes per node times nodes, as v1 would start them; duto starts one
    # A data_transfer step's {"source_reference_type", "destination_reference_type"}; None for other kinds.
    transfer: dict[str, Any] | None = None
    # A parallel_run step's options (ParallelRunConfig's, its scored `input` and `side_inputs`); None otherwise.
    parallel_run: dict[str, Any] | None = None
    # A step made from a module version: {"module", "module_id", "version", "inputs": {port: [accepted types]},
    # "outputs": {port: type}}; None for other steps.
    module: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)

    def input(self, name: str) -> InputSpec:
        return next(i for i in self.inputs if i.name == name)

    def output(self, name: str) -> OutputSpec:
        return next(o for o in self.outputs if o.name == name)


@dataclass(frozen=True)
class EdgeSpec:
    """`source` -> `target`; with `output` and `input` set when data flows, order only otherwise."""

    source: str
    target: str
    output: str | None = None
    input: str | None = None


@dataclass(frozen=True)
class PipelineSpec:
    steps: list[StepSpec]
    edges: list[EdgeSpec]
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    schema_version: int = SCHEMA_VERSION

    def step(self, key: str) -> StepSpec:
        """The step with this key (its name, when no other step has that name)."""
        return next(s for s in self.steps if s.key == key)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _plain(self)
        return {"kind": SPEC_KIND, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PipelineSpec:
        if data.get("kind") != SPEC_KIND:
            raise ConfigError(f"not a duto pipeline spec (kind is {data.get('kind')!r}, expected {SPEC_KIND!r})")
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise ConfigError(
                f"pipeline spec schema_version {version!r} is not readable by this duto "
                f"(it reads {', '.join(map(str, READABLE_VERSIONS))}); upgrade duto"
            )
        try:
            steps = [
                StepSpec(
                    **{
                        **s,
                        "inputs": [InputSpec(**i) for i in s.get("inputs", [])],
                        "outputs": [OutputSpec(**o) for o in s.get("outputs", [])],
                    }
                )
                for s in data["steps"]
            ]
            return cls(
                steps=steps,
                edges=[EdgeSpec(**e) for e in data.get("edges", [])],
                parameters=dict(data.get("parameters", {})),
                description=data.get("description"),
                schema_version=version,
            )
        except KeyError as exc:
            raise ConfigError(f"pipeline spec: a required field is missing: {exc}") from exc
        except (TypeError, AttributeError) as exc:
            raise ConfigError(f"pipeline spec: a field is not as docs/pipeline-spec.md describes it: {exc}") from exc


def _plain(value: Any) -> Any:
    """A spec as plain JSON values: dataclasses as dicts, lists and dicts copied, leaves (text, numbers) shared.

    What `dataclasses.asdict` gives, at a fraction of its cost: it deep-copies every leaf, and a spec of a
    thousand steps is written on every submit.
    """
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    names = _field_names(value)
    if names:
        return {name: _plain(getattr(value, name)) for name in names}
    return value


def _field_names(value: object) -> tuple[str, ...]:
    """The fields of a dataclass instance's class, in order (kept per class); none for any other value."""
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(value)) if is_dataclass(value) else ()
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
