"""The Pipeline object: a graph of steps bound to a workspace, validated and submitted as a run."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from duto.errors import ConfigError, PipelineValidationError, ValidationProblem
from duto.execution.dry_run import StepPlan, plan_run
from duto.execution.launcher import start_runner, uses_dask
from duto.execution.runner import Runner
from duto.graph.datasets import DataPath, FileDataset
from duto.graph.params import coerce_parameter, spec_value
from duto.graph.pipeline_graph import PipelineGraph
from duto.graph.spec import PipelineSpec
from duto.graph.steps import CommandStep, PythonScriptStep, Step
from duto.storage.cas import workspace_content_store
from duto.storage.layout import RunLayout
from duto.storage.lease_store import LeaseStore
from duto.storage.runs_store import new_id
from duto.storage.snapshots import snapshot_files

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from duto.facade.publishing import PublishedPipeline
    from duto.facade.runs import PipelineRun
    from duto.facade.workspace import Workspace


class Pipeline:
    """A pipeline of steps in a workspace; the steps upstream of the ones passed are pulled in.

    Args:
        workspace: the workspace it runs in.
        steps: steps, StepSequences, or a list of them.
        description: shown with its runs.
        default_source_directory: the code folder of steps that name none (the current folder when None).
    """

    def __init__(
        self,
        workspace: Workspace,
        steps: Any,
        description: str | None = None,
        default_source_directory: str | os.PathLike[str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.graph = PipelineGraph(steps, description)
        # As v1 does, a port type mismatch stops the pipeline from being built at all.
        type_problems = self.graph.port_type_problems()
        if type_problems:
            raise PipelineValidationError(type_problems)
        self.description = description
        self.default_source_directory = default_source_directory

    @classmethod
    def load_yaml(cls, workspace: Workspace, filename: str | os.PathLike[str]) -> Pipeline:
        """The pipeline a YAML file in v1's shape defines (see docs/porting.md)."""
        from duto.facade.yaml_pipeline import load_yaml

        return load_yaml(workspace, filename)

    @property
    def steps(self) -> list[Step]:
        return list(self.graph.steps)

    def source_directory_of(self, step: Step, resolved: dict[str, Path] | None = None) -> Path | None:
        """The folder snapshotted for a step: its own, the pipeline's default, else the current folder.

        A command step that names no folder has no code to snapshot and runs in an empty folder; a step made
        from a module version has its code in the content store already. `resolved` keeps each folder as
        resolved, for one pass over the steps (many name the same folder).
        """
        if not step.runs_code or step.snapshot is not None:
            return None
        folder = step.source_directory or self.default_source_directory
        if folder is None and isinstance(step, CommandStep):
            return None
        named = str(folder or os.getcwd())
        found = None if resolved is None else resolved.get(named)
        if found is None:
            found = Path(named).expanduser().resolve()
            if resolved is not None:
                resolved[named] = found
        return found

    def validate(self, pipeline_parameters: Mapping[str, Any] | None = None) -> list[ValidationProblem]:
        """Every problem of the pipeline at once (an empty list when it can run)."""
        self.workspace.reload()
        problems = self.graph.validate(
            known_targets=self.workspace.config.compute_targets, parameter_overrides=pipeline_parameters
        )
        datastores = self.workspace.config.datastores
        docker_steps = [s for s in self.graph.steps if _docker_image(s)]
        if docker_steps:
            engine_problem = docker_engine_problem()
            if engine_problem is not None:
                problems.extend(
                    ValidationProblem(
                        step.name,
                        f"its environment runs in the Docker image {_docker_image(step)!r}, but {engine_problem}; "
                        "start a Docker engine, or run it without Docker "
                        "(DockerConfiguration(use_docker=False), or environment.docker.enabled = False)",
                    )
                    for step in docker_steps
                )
        problems.extend(self._environment_problems())
        resolved: dict[str, Path] = {}
        folders = functools.cache(Path.is_dir)  # looked at once per folder, not once per step
        scripts = functools.cache(Path.is_file)
        for step in self.graph.steps:
            folder = self.source_directory_of(step, resolved)
            if folder is None:
                pass
            elif not folders(folder):
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"source_directory {str(folder)!r} is not a folder; create it or fix the path",
                    )
                )
            elif isinstance(step, PythonScriptStep) and not scripts(folder / step.script_name):
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"script {step.script_name!r} is not in source_directory {str(folder)!r}; "
                        "check script_name and source_directory",
                    )
                )
            ports = self.graph.ports_of(step)
            names = [o.datastore_name for o in ports.outputs]
            for port in ports.inputs:
                if isinstance(port.source, FileDataset):
                    names.extend(p.datastore_name for p in port.source.paths if isinstance(p, DataPath))
            for name in sorted({n for n in names if n is not None and n not in datastores}):
                problems.append(
                    ValidationProblem(
                        step.name,
                        f"datastore {name!r} is not in this workspace; known: {', '.join(sorted(datastores))}",
                    )
                )
        for name, value in sorted((pipeline_parameters or {}).items()):
            if isinstance(value, DataPath) and value.datastore_name not in datastores:
                problems.append(
                    ValidationProblem(
                        None,
                        f"pipeline parameter {name!r} names datastore {value.datastore_name!r}, which is not in "
                        f"this workspace; known: {', '.join(sorted(datastores))}",
                    )
                )
        return problems

    def _environment_problems(self) -> list[ValidationProblem]:
        """A local wheel, folder or find-links folder a step's environment installs from that is not there."""
        from duto.environments.local_sources import missing_sources
        from duto.facade.environment_registry import Environment

        default: dict[str, Any] | None = None
        name = self.workspace.config.default_environment
        if name is not None and name in self.workspace.config.environments:
            default = Environment.get(self.workspace, name).to_spec()
        problems: list[ValidationProblem] = []
        for step in self.graph.steps:
            environment = step.runconfig.effective_environment()
            try:
                spec = environment.to_spec() if environment is not None else default
            except ConfigError:
                continue  # the graph's validation reports it
            if spec is None or spec.get("user_managed"):
                continue
            missing = missing_sources(spec, self.workspace.config.duto_dir)
            problems.extend(ValidationProblem(step.name, problem) for problem in missing)
        return problems

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        tags: Mapping[str, str] | None = None,
    ) -> PipelineRun:
        """Submit a run to the experiment `experiment_name`; returns at once while the run goes on."""
        from duto.facade.experiment import Experiment

        return Experiment(self.workspace, experiment_name).submit(
            self,
            pipeline_parameters=pipeline_parameters,
            continue_on_step_failure=continue_on_step_failure,
            regenerate_outputs=regenerate_outputs,
            tags=tags,
        )

    def publish(
        self,
        name: str,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> PublishedPipeline:
        """Freeze the pipeline as it is now (code snapshots stored) into a PublishedPipeline that runs it later.

        Later edits to the source folders change nothing in it. Names need not be unique: each publish is a new id.

        Raises:
            PipelineValidationError: with every problem of the pipeline; nothing is published.
        """
        from duto.facade.publishing import publish_pipeline

        return publish_pipeline(self, name, description, version, continue_on_step_failure)

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self.graph.steps]})"


def _docker_image(step: Step) -> str | None:
    environment = step.runconfig.effective_environment()
    return None if environment is None else environment.docker.image


def docker_engine_problem() -> str | None:
    """Why no Docker engine can run a step here, or None when one answers."""
    import shutil
    import subprocess

    if shutil.which("docker") is None:
        return "there is no `docker` command on this machine"
    try:
        answer = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "no Docker engine answered `docker info` within 10 s"
    if answer.returncode != 0:
        detail = (answer.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no Docker engine answers here (`docker info`: {detail})"
    return None


@dataclass(frozen=True)
class FrozenPipeline:
    """A pipeline as a run records it: its spec and its parameters' values.

    `code` holds each step's code snapshot as {path: digest} when it was hashed but not stored (a dry run).
    """

    spec: PipelineSpec
    parameters: dict[str, Any]
    code: dict[str, dict[str, str]] = field(default_factory=dict)


Snapshots = Literal["store", "hash", "skip"]


def freeze_pipeline(
    pipeline: Pipeline, pipeline_parameters: Mapping[str, Any] | None, snapshots: Snapshots = "store"
) -> FrozenPipeline:
    """Validate the pipeline and freeze it: the spec and parameter values that `submit` records.

    Args:
        pipeline: the pipeline.
        pipeline_parameters: overrides of its parameters' defaults.
        snapshots: "store" puts each step's code into the content-addressed store (submit); "hash" only hashes
            it (a dry run); "skip" leaves it out (drawing the graph).

    Raises:
        PipelineValidationError: with every problem of the pipeline.
    """
    overrides = dict(pipeline_parameters or {})
    problems = pipeline.validate(overrides)
    if problems:
        raise PipelineValidationError(problems)
    workspace = pipeline.workspace
    sources: dict[str, tuple[str | None, str | None]] = {}
    code: dict[str, dict[str, str]] = {}
    cas = workspace_content_store(workspace.config.duto_dir) if snapshots != "skip" else None
    stored: dict[Path, str] = {}
    hashed: dict[Path, dict[str, str]] = {}
    resolved: dict[str, Path] = {}
    try:
        for step in pipeline.graph.steps:
            key = pipeline.graph.key_of(step)
            folder = pipeline.source_directory_of(step, resolved)
            if step.snapshot is not None:
                sources[key] = (None, step.snapshot)
                if cas is not None and snapshots == "hash":
                    code[key] = cas.files_of(step.snapshot)
            elif folder is None or cas is None:
                sources[key] = (None if folder is None else str(folder), None)
            elif snapshots == "store":
                if folder not in stored:
                    stored[folder] = cas.put_tree(folder, move=False, files=snapshot_files(folder))
                sources[key] = (str(folder), stored[folder])
            else:
                if folder not in hashed:
                    hashed[folder] = {rel: cas.hasher.digest(folder / rel) for rel in snapshot_files(folder)}
                sources[key] = (str(folder), None)
                code[key] = hashed[folder]
    finally:
        if cas is not None:
            cas.hasher.close()
    default_environment = None
    if workspace.config.default_environment is not None:
        from duto.facade.environment_registry import Environment

        default_environment = Environment.get(workspace, workspace.config.default_environment).to_spec()
    spec = pipeline.graph.to_spec(sources, default_environment)
    declared, _ = pipeline.graph.parameters()
    parameters = {name: spec_value(p.default_value) for name, p in declared.items()}
    for name, value in overrides.items():
        parameters[name] = coerce_parameter(name, declared[name].default_value, value)
    return FrozenPipeline(spec, parameters, code)


def plan_pipeline(
    pipeline: Pipeline,
    experiment_name: str,
    pipeline_parameters: Mapping[str, Any] | None = None,
    regenerate_outputs: bool = False,
) -> list[StepPlan]:
    """A dry run of `submit`: per step, whether a run submitted now would reuse it or run it, and why.

    Nothing is recorded and nothing runs; the code snapshots are hashed, not stored.
    """
    frozen = freeze_pipeline(pipeline, pipeline_parameters, snapshots="hash")
    workspace = pipeline.workspace
    return plan_run(
        workspace.config,
        workspace.database,
        frozen.spec,
        frozen.parameters,
        experiment_name,
        frozen.code,
        regenerate_outputs,
    )


def submit_pipeline(
    pipeline: Pipeline,
    experiment_name: str,
    pipeline_parameters: Mapping[str, Any] | None,
    continue_on_step_failure: bool,
    regenerate_outputs: bool,
    tags: Mapping[str, str] | None,
) -> PipelineRun:
    """Validate, snapshot the code, freeze the spec, then start a run of it (see `start_run`)."""
    frozen = freeze_pipeline(pipeline, pipeline_parameters)
    return start_run(
        pipeline.workspace,
        frozen.spec,
        frozen.parameters,
        experiment_name,
        continue_on_step_failure,
        regenerate_outputs,
        tags,
    )


def start_run(
    workspace: Workspace,
    spec: PipelineSpec,
    parameters: Mapping[str, Any],
    experiment_name: str,
    continue_on_step_failure: bool,
    regenerate_outputs: bool,
    tags: Mapping[str, str] | None,
    description: str | None = None,
    decide_reuse: bool = True,
    guard: Callable[[Session, str], None] | None = None,
) -> PipelineRun:
    """Record a run of a frozen spec with these parameter values, and hand it to a runner.

    What `submit` does after freezing, and what a published pipeline does with the spec it stored: no Pipeline
    object is needed. `parameters` are complete and checked (as `freeze_pipeline` or `resolve_trigger` give them);
    `description`, when given, is the run's instead of the spec's; `guard(session, run_id)` runs in the
    transaction that records the run and raises to record nothing.

    Steps that are all reused need no runner: they are decided here, so the run returned has ended. With
    `decide_reuse` False the run is left to the workspace's runner daemon, which decides the same way in its own
    process: the call returns once the run is recorded. Only a caller that keeps a daemon serving the workspace
    passes it (`duto server`, which replaces its daemon within a second if it goes away).

    Raises:
        ConfigError: the experiment name is not one (empty, too long).
        ExperimentArchivedError: the experiment is archived; nothing is recorded.
    """
    from duto.facade.experiment import Experiment
    from duto.facade.runs import PipelineRun

    Experiment(workspace, experiment_name)  # the same rules for the name as every submit
    run_id = new_id()
    layout = RunLayout(workspace.config.runs_dir, run_id)
    workspace.runs_store.create_pipeline_run(
        run_id,
        experiment_name,
        spec.to_json(),
        dict(parameters),
        {str(k): str(v) for k, v in (tags or {}).items()},
        continue_on_step_failure,
        regenerate_outputs,
        [(new_id(), s.name, s.compute_target) for s in spec.steps],
        description=description,
        guard=guard,
    )
    run = PipelineRun.recorded(workspace, run_id)
    if not decide_reuse:
        return run  # the daemon the caller keeps wakes on this commit and decides reuse (see RunnerDaemon)
    # Steps that are all reused need no runner process: decide that here, reading little (see Runner.reuse_pass).
    # A live `duto runner` daemon takes the run itself (it wakes on this commit); else a runner starts now.
    if not Runner(workspace.root, run_id).reuse_pass() and not LeaseStore(workspace.database).live_daemons():
        dask = uses_dask(workspace.config.compute_targets, spec.to_json())
        run._runner_thread = start_runner(workspace.root, layout, dask)
    return run
