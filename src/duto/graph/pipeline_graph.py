"""The graph of a pipeline: the closure of its steps, their ports and edges, validation, and the frozen spec."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from duto.config import LOCAL_TARGET
from duto.errors import ConfigError, ValidationProblem
from duto.graph.data import DataConsumption, OutputFileDatasetConfig, PipelineData, StepOutput, output_name
from duto.graph.datasets import DatasetConsumptionConfig, FileDataset, InputMode
from duto.graph.params import PipelineParameter, coerce_parameter, spec_value
from duto.graph.ports import TypedPorts
from duto.graph.sequence import flatten_steps
from duto.graph.spec import Argument, EdgeSpec, InputSpec, OutputSpec, PipelineSpec, StepSpec, step_key
from duto.graph.steps import ARGUMENT_TYPES, Step

Source = StepOutput | FileDataset


@dataclass
class InputPort:
    name: str
    mode: InputMode
    source: Source
    path_on_compute: str | None = None


@dataclass
class StepPorts:
    """A step's inputs and outputs after matching plain data objects with their named consumptions."""

    inputs: list[InputPort]
    outputs: list[StepOutput]
    problems: list[str]

    def input_for(self, source: Source) -> InputPort:
        return next(p for p in self.inputs if p.source is source)


def _is_output(item: Any, outputs: list[StepOutput]) -> bool:
    return any(item is o for o in outputs)


def step_ports(step: Step) -> StepPorts:
    """Normalize what a step reads and writes: every consumption of one source is one input."""
    outputs = step.declared_outputs()
    inputs: list[InputPort] = []
    problems: list[str] = []
    plain: list[Source] = []

    def add_consumption(name: str, mode: InputMode, source: Source, path_on_compute: str | None = None) -> None:
        for port in inputs:
            if port.name == name and port.source is not source:
                problems.append(
                    f"two different inputs are named {name!r}; give one another name with as_input('...') "
                    "or as_named_input('...')"
                )
                return
            if port.name == name and port.mode != mode:
                problems.append(
                    f"input {name!r} is consumed both as {port.mode} and as {mode}; use one of as_mount() "
                    "and as_download() for it"
                )
                return
            if port.name == name:
                port.path_on_compute = port.path_on_compute or path_on_compute
                return
        inputs.append(InputPort(name, mode, source, path_on_compute))

    items = [*step.inputs, *step.argument_items(), *step.params.values()]
    for item in items:
        if isinstance(item, DataConsumption):
            add_consumption(item.input_name, item.mode, item.source)
        elif isinstance(item, DatasetConsumptionConfig):
            add_consumption(item.name, item.mode, item.dataset, item.path_on_compute)
        elif (
            (isinstance(item, PipelineData) and not _is_output(item, outputs))
            or isinstance(item, FileDataset)
            or (isinstance(item, OutputFileDatasetConfig) and any(item is i for i in step.inputs))
        ):
            plain.append(item)
    for source in plain:
        if not any(p.source is source for p in inputs):
            name = source.name if isinstance(source, FileDataset) else output_name(source)
            add_consumption(name, "mount", source)

    names = [output_name(o) for o in outputs]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"two outputs are named {name!r}; give each output its own name")
    for port in inputs:
        if not isinstance(port.source, FileDataset) and _is_output(port.source, outputs):
            problems.append(
                f"{port.name!r} is both an input and an output of this step; a step cannot read what it writes"
            )
    return StepPorts(inputs, outputs, problems)


class PipelineGraph:
    """The steps a pipeline runs: those passed in, and every step upstream of them."""

    def __init__(self, steps: Any, description: str | None = None) -> None:
        roots, ordering = flatten_steps(steps)
        if not roots:
            raise ConfigError("a pipeline needs at least one step")
        self.description = description
        self.steps: list[Step] = []
        self._members: set[int] = {id(s) for s in roots}
        self._upstream: dict[int, list[Step]] = {}
        self._keys: dict[int, str] = {}
        pending = deque(roots)
        seen: set[int] = set()
        while pending:
            step = pending.popleft()
            if id(step) in seen:
                continue
            seen.add(id(step))
            self.steps.append(step)
            self._members.add(id(step))
            for port in step_ports(step).inputs:
                if not isinstance(port.source, FileDataset) and port.source.producers:
                    pending.append(self._producer(port.source))
            pending.extend(step.run_after_steps)
        self.ports = {id(s): step_ports(s) for s in self.steps}
        self.ordering: list[tuple[Step, Step]] = []
        known: set[tuple[int, int]] = set()
        for before, after in [*ordering, *((before, s) for s in self.steps for before in s.run_after_steps)]:
            if (id(before), id(after)) not in known:
                known.add((id(before), id(after)))
                self.ordering.append((before, after))

    def _producer(self, output: StepOutput) -> Step:
        """The step of this pipeline that writes `output`.

        The step that declared the output last is its producer, as when a notebook cell that builds a step
        runs again; a writer that is already part of the pipeline comes first.
        """
        inside = [p for p in output.producers if id(p) in self._members]
        return (inside or output.producers)[-1]

    def writers(self, output: StepOutput) -> list[Step]:
        """The steps of this pipeline that declare `output` among their outputs."""
        return [p for p in output.producers if id(p) in self._members]

    def key_of(self, step: Step) -> str:
        """The step's key in the spec: its name, with `#2`, `#3`... for later steps of the same name in the
        spec's order (see `spec.step_key`)."""
        if not self._keys:
            order, _ = self.topological_order()
            seen: dict[str, int] = {}
            for s in [*order, *(s for s in self.steps if all(s is not o for o in order))]:
                seen[s.name] = seen.get(s.name, 0) + 1
                self._keys[id(s)] = step_key(s.name, seen[s.name])
        return self._keys[id(step)]

    def ports_of(self, step: Step) -> StepPorts:
        return self.ports[id(step)]

    def upstream_of(self, step: Step) -> list[Step]:
        """Steps that must finish before `step`: producers of its inputs and the ones it runs after."""
        if not self._upstream:
            befores: dict[int, list[Step]] = {}
            for before, after in self.ordering:
                befores.setdefault(id(after), []).append(before)
            for s in self.steps:
                found = [
                    self._producer(port.source)
                    for port in self.ports_of(s).inputs
                    if not isinstance(port.source, FileDataset) and port.source.producers
                ]
                found.extend(befores.get(id(s), []))
                unique: dict[int, Step] = {}
                for u in found:
                    unique.setdefault(id(u), u)
                self._upstream[id(s)] = list(unique.values())
        return self._upstream[id(step)]

    def parameters(self) -> tuple[dict[str, PipelineParameter], list[ValidationProblem]]:
        found: dict[str, PipelineParameter] = {}
        problems: list[ValidationProblem] = []
        for step in self.steps:
            for item in [*step.argument_items(), *step.params.values(), *step.data_parameters]:
                if not isinstance(item, PipelineParameter):
                    continue
                known = found.setdefault(item.name, item)
                same = (type(known.default_value), known.default_value) == (
                    type(item.default_value),
                    item.default_value,
                )
                if known is not item and not same:
                    problems.append(
                        ValidationProblem(
                            step.name,
                            f"pipeline parameter {item.name!r} is declared twice with different defaults "
                            f"({known.default_value!r} and {item.default_value!r}); use one PipelineParameter object",
                        )
                    )
        return found, problems

    def topological_order(self) -> tuple[list[Step], list[Step]]:
        """Steps in an order that runs each after its upstream, and the steps that are part of a cycle.

        A step reading its own output is reported by `step_ports`, so a self-edge does not count here.
        """
        remaining = {id(s): {id(u) for u in self.upstream_of(s) if u is not s} for s in self.steps}
        dependents: dict[int, list[Step]] = {}
        for s in self.steps:
            for u in remaining[id(s)]:
                dependents.setdefault(u, []).append(s)
        ready = deque(s for s in self.steps if not remaining[id(s)])
        order: list[Step] = []
        while ready:
            s = ready.popleft()
            order.append(s)
            del remaining[id(s)]
            for d in dependents.get(id(s), []):
                waiting = remaining[id(d)]
                waiting.discard(id(s))
                if not waiting:
                    ready.append(d)
        return order, [s for s in self.steps if id(s) in remaining and self._reaches(s, s, remaining)]

    def _reaches(self, start: Step, target: Step, upstream: dict[int, set[int]]) -> bool:
        """Whether `target` is upstream of `start`, through the given upstream sets."""
        seen: set[int] = set()
        pending = list(upstream.get(id(start), ()))
        while pending:
            current = pending.pop()
            if current == id(target):
                return True
            if current not in seen:
                seen.add(current)
                pending.extend(upstream.get(current, ()))
        return False

    def validate(
        self,
        known_targets: Collection[str] | None = None,
        parameter_overrides: Mapping[str, Any] | None = None,
    ) -> list[ValidationProblem]:
        """Every problem of the pipeline at once, each naming its step and the fix."""
        problems: list[ValidationProblem] = []
        step_names = {s.name for s in self.steps}
        for step in self.steps:
            key = self.key_of(step)
            if key != step.name and key in step_names:
                problems.append(
                    ValidationProblem(
                        key,
                        f"this name is also the key duto gives the step {step.name!r} that comes after another "
                        f"step named {step.name!r}; rename the step {key!r}",
                    )
                )
        problems += self._pipeline_output_problems()
        problems += self.port_type_problems()
        for step in self.steps:
            ports = self.ports_of(step)
            problems.extend(ValidationProblem(step.name, p) for p in ports.problems)
            problems.extend(self._argument_problems(step))
            for port in ports.inputs:
                if isinstance(port.source, FileDataset):
                    continue
                producers = port.source.producers
                if not producers:
                    problems.append(
                        ValidationProblem(
                            step.name,
                            f"input {port.name!r} has no producer; add the step that writes it to the "
                            "pipeline (list it in that step's outputs), or pass a Dataset",
                        )
                    )
            for output in ports.outputs:
                if output.register_as is not None and step.kind == "data_transfer":
                    problems.append(
                        ValidationProblem(
                            step.name,
                            f"output {output_name(output)!r} of a data transfer cannot be registered when the "
                            "step finishes (its files stay on the datastore, not in the store); register the "
                            "destination with Dataset.File.from_files(...).register(ws, name) after the run",
                        )
                    )
                writers = [p.name for p in self.writers(output)]
                if len(writers) > 1 and self.writers(output)[0] is step:
                    problems.append(
                        ValidationProblem(
                            step.name,
                            f"output {output_name(output)!r} is written by {len(writers)} steps "
                            f"({', '.join(writers)}); give each step its own PipelineData",
                        )
                    )
            environment = step.runconfig.effective_environment()
            if environment is not None:
                try:
                    environment.to_spec()
                except ConfigError as exc:
                    problems.append(ValidationProblem(step.name, str(exc)))
            target = step.target_name or LOCAL_TARGET
            if known_targets is not None and target not in known_targets:
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"compute target {target!r} is not in this workspace; known targets: "
                        f"{', '.join(sorted(known_targets))}; create it with ComputeTarget.create(...) "
                        "or `duto compute create`",
                    )
                )
        _, cycle = self.topological_order()
        if cycle:
            names = ", ".join(s.name for s in cycle)
            problems.append(
                ValidationProblem(
                    cycle[0].name,
                    f"steps {names} depend on each other in a cycle; remove a run_after or a data edge between them",
                )
            )
        parameters, parameter_problems = self.parameters()
        problems.extend(parameter_problems)
        for name, value in (parameter_overrides or {}).items():
            if name not in parameters:
                known = ", ".join(sorted(parameters)) or "none"
                problems.append(
                    ValidationProblem(
                        None,
                        f"unknown pipeline parameter {name!r}; this pipeline's parameters are: {known}",
                    )
                )
                continue
            try:
                coerce_parameter(name, parameters[name].default_value, value)
            except ConfigError as exc:
                problems.append(ValidationProblem(None, str(exc)))
        return problems

    def port_type_problems(self) -> list[ValidationProblem]:
        """An edge from a typed output into a typed input that does not accept its type, naming both ends."""
        problems = []
        for step in self.steps:
            if step.typed_ports is None:
                continue
            for typed in step.typed_ports.inputs:
                source = typed.source.source if isinstance(typed.source, DataConsumption) else typed.source
                if isinstance(source, FileDataset) or not getattr(source, "producers", None):
                    continue
                producer = self._producer(source)
                written = producer.typed_ports.output_for(source) if producer.typed_ports is not None else None
                if written is None or any(a.accepts(written.data_type) for a in typed.accepted):
                    continue
                accepted = " or ".join(a.name for a in typed.accepted)
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"input port {typed.port!r} of step {step.name!r} accepts {accepted}, but it is bound to "
                        f"output port {written.port!r} of step {producer.name!r}, which is of type "
                        f"{written.data_type.name}; bind an output of an accepted type, or publish the module "
                        f"with {written.data_type.name} among the input's data_types",
                    )
                )
        return problems

    def _pipeline_output_problems(self) -> list[ValidationProblem]:
        """Two outputs may not share a `pipeline_output_name`: it names one output of the whole run."""
        seen: dict[str, object] = {}
        problems = []
        for step in self.steps:
            for output in self.ports_of(step).outputs:
                name = output.pipeline_output_name if isinstance(output, PipelineData) else None
                if name is None or seen.setdefault(name, output) is output:
                    continue
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"output {output_name(output)!r} has pipeline_output_name {name!r}, which another output "
                        "has already; give each pipeline output its own name",
                    )
                )
        return problems

    def _argument_problems(self, step: Step) -> list[ValidationProblem]:
        problems = []
        for item in step.argument_items():
            if isinstance(item, bool) or not isinstance(item, ARGUMENT_TYPES):
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"argument {item!r} is a {type(item).__name__}; arguments are str, int, float, "
                        "PipelineParameter or data objects (convert it with str())",
                    )
                )
        for key, value in step.params.items():
            if not isinstance(key, str) or not key:
                problems.append(ValidationProblem(step.name, f"params key {key!r} must be a non-empty string"))
            if not isinstance(value, str | int | float | bool | PipelineParameter):
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"params[{key!r}] is a {type(value).__name__}; params take str, int, float, bool "
                        "or a PipelineParameter",
                    )
                )
        return problems

    def to_spec(
        self,
        source_directories: Mapping[str, tuple[str | None, str | None]],
        default_environment: dict[str, Any] | None = None,
    ) -> PipelineSpec:
        """Freeze the graph; `source_directories` maps each step's key to (folder, snapshot id).

        Steps with no environment of their own get `default_environment` (the workspace's, if it has one).
        Call only on a graph whose `validate()` found nothing.
        """
        order, _ = self.topological_order()
        parameters, _ = self.parameters()
        steps = [
            self._step_spec(
                s,
                *source_directories.get(self.key_of(s), (None, None)),
                _environment_spec(s, default_environment),
            )
            for s in order
        ]
        edges: list[EdgeSpec] = []
        for step in order:
            for port in self.ports_of(step).inputs:
                if not isinstance(port.source, FileDataset):
                    producer = self._producer(port.source)
                    edges.append(
                        EdgeSpec(self.key_of(producer), self.key_of(step), output_name(port.source), port.name)
                    )
            for before, after in self.ordering:
                if after is step:
                    edges.append(EdgeSpec(self.key_of(before), self.key_of(step)))
        return PipelineSpec(
            steps=steps,
            edges=edges,
            parameters={name: spec_value(p.default_value) for name, p in sorted(parameters.items())},
            description=self.description,
        )

    def _step_spec(
        self, step: Step, folder: str | None, snapshot: str | None, environment: dict[str, Any] | None
    ) -> StepSpec:
        ports = self.ports_of(step)

        def ref(item: Any) -> Argument:
            if isinstance(item, PipelineParameter):
                return {"parameter": item.name}
            if isinstance(item, PipelineData | OutputFileDatasetConfig) and _is_output(item, ports.outputs):
                return {"output": output_name(item)}
            if isinstance(item, DataConsumption | DatasetConsumptionConfig):
                return {"input": item.name}
            if isinstance(item, PipelineData | OutputFileDatasetConfig | FileDataset):
                return {"input": ports.input_for(item).name}
            return {"value": str(item)}

        inputs = [
            InputSpec(
                port.name,
                port.mode,
                port.source.to_spec()
                if isinstance(port.source, FileDataset)
                else {
                    "kind": "step_output",
                    "step": self.key_of(self._producer(port.source)),
                    "output": output_name(port.source),
                },
                port.path_on_compute,
            )
            for port in ports.inputs
        ]
        outputs = [
            OutputSpec(
                output_name(o),
                o.kind,
                datastore=o.datastore_name,
                destination=o.destination_path if isinstance(o, OutputFileDatasetConfig) else None,
                is_directory=o.is_directory if isinstance(o, PipelineData) else None,
                pipeline_output_name=o.pipeline_output_name if isinstance(o, PipelineData) else None,
                training_output=(
                    asdict(o.training_output) if isinstance(o, PipelineData) and o.training_output is not None else None
                ),
                register_as=o.register_as,
            )
            for o in ports.outputs
        ]
        command = getattr(step, "command", None)
        return StepSpec(
            name=step.name,
            kind=step.kind,
            kind_version=step.kind_version,
            compute_target=step.target_name or LOCAL_TARGET,
            arguments=[ref(a) for a in step.arguments],
            params={k: ref(v) for k, v in sorted(step.params.items())},
            inputs=inputs,
            outputs=outputs,
            script_name=getattr(step, "script_name", None),
            command=[ref(c) for c in command] if isinstance(command, list) else command,
            environment_variables=dict(sorted(step.runconfig.environment_variables.items())),
            environment=environment,
            cores=step.runconfig.cores,
            memory_gb=step.runconfig.memory_gb,
            source_directory=folder,
            snapshot=snapshot,
            allow_reuse=step.allow_reuse,
            version=step.version,
            hash_paths=list(step.hash_paths),
            upstream=sorted({self.key_of(u) for u in self.upstream_of(step)}),
            max_retries=step.max_retries,
            retry_backoff_seconds=step.retry_backoff_seconds,
            timeout_seconds=step.runconfig.max_run_duration_seconds,
            key=self.key_of(step),
            processes=step.runconfig.process_count(),
            transfer=getattr(step, "transfer_options", None),
            module=_module_spec(step),
        )


def _environment_spec(step: Step, default: dict[str, Any] | None) -> dict[str, Any] | None:
    """The spec of the environment a step runs in: its own, else the workspace's default; none for a kind that
    runs no code of the user's (a data transfer runs in the runner)."""
    if not step.runs_code:
        return None
    environment = step.runconfig.effective_environment()
    return environment.to_spec() if environment is not None else default


def _module_spec(step: Step) -> dict[str, Any] | None:
    """Which module version a step was made from, with its ports' types; None for other steps."""
    if step.module_origin is None:
        return None
    ports = step.typed_ports or TypedPorts()
    return {
        **step.module_origin,
        "inputs": {t.port: [a.name for a in t.accepted] for t in ports.inputs},
        "outputs": {t.port: t.data_type.name for t in ports.outputs},
    }
