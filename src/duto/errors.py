"""The one exception root of duto, with subclasses that carry their context.

DutoError                                         (v1: AzureMLException)
├── WorkspaceError                                (v1: WorkspaceException)
│   ├── WorkspaceNotFoundError (+ FileNotFoundError)
│   └── WorkspaceExistsError (+ FileExistsError)
├── ConfigError (+ ValueError)                    (v1: UserErrorException)
│   ├── TriggerError                              .field: a trigger's body or arguments, e.g. "ParameterAssignments.lr"
│   └── PipelineEndpointExistsError               .name: an endpoint of that name exists already
├── DatastoreError
│   ├── DatastoreNotFoundError (+ KeyError)
│   ├── DatastorePathError (+ ValueError)         .path: a datastore path that would leave the datastore's root
│   └── MissingExtraError (+ ImportError)         .kind, .extra: a datastore kind whose package is not installed
├── SecretNotFoundError (+ KeyError)              .name: a named secret the workspace does not hold
├── ComputeTargetError                            (v1: ComputeTargetException)
│   ├── ComputeTargetNotFoundError (+ KeyError)
│   ├── ComputeTargetTypeError (+ TypeError)      .name, .type, .expected
│   └── DaskTargetError                           .target
├── PipelineValidationError (+ ValueError)       .problems: list of ValidationProblem
├── RunNotFoundError (+ KeyError)
│   └── AmbiguousRunError                         .prefix, .matches, .runs: a prefix of several runs' ids
├── StepNotFoundError (+ KeyError)               .run_id, .key, .steps: no step run answers to that id or name
│   └── AmbiguousStepError                        .ids: several steps of the run have that name
├── RunNotEndedError                              .run_ids: runs that must end before they are deleted
├── PublishedPipelineNotFoundError (+ KeyError)  .key, .matches: no published pipeline (or several) has that id
├── PipelineEndpointNotFoundError (+ KeyError)   .key, .matches: no endpoint (or several) has that id or name
├── PipelineDisabledError                         .kind, .id, .name: a disabled pipeline or endpoint was triggered
├── PipelineModuleNotFoundError (+ KeyError)     .key, .known: no module (or version, or data type) of that name
├── ExperimentError                               (v1: ExperimentExecutionException)
│   ├── ExperimentNotFoundError (+ KeyError)     .name
│   └── ExperimentArchivedError                   .name: submitting to an archived experiment
├── RunFailedError                                (v1: ActivityFailedException)
│   ├── StepRunError                              .step_name, .exit_code, .log_tail, .run_id
│   └── PipelineRunError                          .run_id, .status
├── RunTimeoutError (+ TimeoutError)
├── LeaseLostError                                .run_id: another runner drives the run now
├── UserFileError (+ ValueError)                  .path: a pipeline file that cannot be loaded
├── UserCodeError                                 .path, .error, .shown: the user's own code raised
├── WheelExistsError (+ FileExistsError)          .wheel: a stored wheel of that name has other content
├── EnvironmentNotFoundError (+ KeyError)        .name, .version, .known
├── AssetNotFoundError (+ KeyError)              .kind, .name, .version: no registered dataset or model by that
├── AssetExistsError (+ ConfigError)             .kind, .name, .version: registered already with other content
├── FieldError (+ ConfigError)                   .field: a request's bad value, by the field it came in
└── EnvironmentBuildError                         .environment, .reason, .output

`duto.exceptions` gives the bases marked "v1" their `azureml.exceptions` names, so `except ComputeTargetException`
in ported code catches a missing target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class DutoError(Exception):
    """Root of every error duto raises on purpose."""


class WorkspaceError(DutoError):
    """A workspace that cannot be found, made or opened as asked."""


class WorkspaceNotFoundError(WorkspaceError, FileNotFoundError):
    def __init__(self, start: str) -> None:
        self.start = start
        super().__init__(
            f"no duto workspace found at or above {start!r}; run `duto init` there, "
            "or set DUTO_WORKSPACE to a workspace folder"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class WorkspaceExistsError(WorkspaceError, FileExistsError):
    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"a duto workspace already exists at {path!r}; pass exist_ok=True to open it, or choose another folder"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ConfigError(DutoError, ValueError):
    """A workspace setting or a user argument that cannot be used as given."""


class DatastoreError(DutoError):
    """A datastore operation that cannot be done as asked."""


class DatastoreNotFoundError(DatastoreError, KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"no datastore named {name!r}; known datastores: {', '.join(sorted(known))}")

    def __str__(self) -> str:
        return str(self.args[0])


class DatastorePathError(DatastoreError, ValueError):
    """A datastore path that is absolute or climbs out of the datastore with `..`."""

    def __init__(self, path: str, datastore: str | None = None) -> None:
        self.path = path
        self.datastore = datastore
        where = f"datastore {datastore!r}" if datastore else "the datastore"
        super().__init__(
            f"path {path!r} would leave {where}: datastore paths are relative to its root, without '..' "
            "(write 'raw/data.csv', not '/raw/data.csv' or '../data.csv')"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class MissingExtraError(DatastoreError, ImportError):
    """A datastore of a kind whose package is not installed: the message names the extra that brings it."""

    def __init__(self, kind: str, extra: str, package: str) -> None:
        self.kind = kind
        self.extra = extra
        self.package = package
        super().__init__(
            f"{kind} datastores need the package {package!r}, which is not installed; "
            f"install duto with the {extra!r} extra: pip install 'duto[{extra}]'"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class SecretNotFoundError(DutoError, KeyError):
    """A named secret the workspace does not hold (a datastore's credentials name it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"the workspace holds no secret named {name!r}; set it with `duto secrets set {name}` "
            f"or ws.set_secret({name!r}, value)"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ComputeTargetError(DutoError):
    """A compute target that cannot be found, made or used as asked."""


class ComputeTargetNotFoundError(ComputeTargetError, KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(
            f"no compute target named {name!r}; known targets: {', '.join(sorted(known))}; "
            "create it with ComputeTarget.create or `duto compute create`"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ComputeTargetTypeError(ComputeTargetError, TypeError):
    """A target opened as one type (`AmlCompute(ws, name)`) that the workspace holds as another."""

    def __init__(self, name: str, actual: str, expected: str) -> None:
        self.name = name
        self.type = actual
        self.expected = expected
        super().__init__(
            f"compute target {name!r} is of type {actual!r}, not {expected!r}; open it with ComputeTarget(ws, {name!r})"
        )


@dataclass(frozen=True)
class ValidationProblem:
    """One thing wrong with a pipeline, naming the step it is about and the fix."""

    step_name: str | None
    message: str

    def __str__(self) -> str:
        return f"step {self.step_name!r}: {self.message}" if self.step_name else self.message


class PipelineValidationError(DutoError, ValueError):
    def __init__(self, problems: list[ValidationProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the pipeline is not valid ({len(problems)} problem(s)):\n{lines}")

    def __str__(self) -> str:
        return str(self.args[0])


class RunNotFoundError(DutoError, KeyError):
    def __init__(self, run_id: str, detail: str = "") -> None:
        self.run_id = run_id
        super().__init__(f"no run {run_id!r} in this workspace{detail}; `duto runs list` shows the runs there are")

    def __str__(self) -> str:
        return str(self.args[0])


class StepNotFoundError(DutoError, KeyError):
    """No step run of the run answers to `key` (a step-run id, or a step name)."""

    def __init__(self, run_id: str, key: str, steps: list[tuple[str, str]], detail: str = "") -> None:
        self.run_id = run_id
        self.key = key
        self.steps = steps  # (step-run id, name) of every step of the run
        listed = ", ".join(f"{name} ({step_id})" for step_id, name in steps) or "none"
        super().__init__(detail or f"run {run_id} has no step {key!r}; its steps: {listed}")

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousStepError(StepNotFoundError):
    """More than one step of the run has the name asked for: address one by its step-run id."""

    def __init__(self, run_id: str, key: str, steps: list[tuple[str, str]], ids: list[str]) -> None:
        self.ids = ids
        super().__init__(
            run_id,
            key,
            steps,
            f"run {run_id} has {len(ids)} steps named {key!r}; name one by its step-run id: {', '.join(ids)}",
        )


@dataclass(frozen=True)
class RunMatch:
    """A run that an ambiguous run id prefix matches, as `duto runs list` shows it."""

    id: str
    experiment: str
    status: str
    created: datetime  # aware; shown in local time


class AmbiguousRunError(RunNotFoundError):
    """A prefix of several runs' ids: `.matches` are their ids; `.runs`, when given, the newest of them as
    `duto runs list` shows them (then `.matches` are theirs), of `.count` in all."""

    def __init__(
        self, prefix: str, matches: list[str], runs: Sequence[RunMatch] = (), count: int | None = None
    ) -> None:
        self.prefix = prefix
        self.run_id = prefix
        self.matches = matches
        self.runs = list(runs)
        self.count = len(matches) if count is None else count
        if not self.runs:
            message = f"{prefix!r} is the start of several runs' ids: {', '.join(matches)}; give more of the id"
        else:
            wide = max(len(r.experiment) for r in self.runs), max(len(r.status) for r in self.runs)
            listed = "".join(
                f"\n  {r.id}  {r.experiment:<{wide[0]}}  {r.status:<{wide[1]}}  "
                f"{r.created.astimezone():%Y-%m-%d %H:%M:%S}"
                for r in self.runs
            )
            more = f"\n  ... and {self.count - len(self.runs)} more" if self.count > len(self.runs) else ""
            message = (
                f"run id prefix {prefix!r} matches {self.count} runs; give more characters of the one you mean:"
                f"{listed}{more}"
            )
        super(RunNotFoundError, self).__init__(message)


class RunNotEndedError(DutoError):
    """Runs asked to be deleted that have not ended: a runner may still be writing their records."""

    def __init__(self, run_ids: list[str], statuses: list[str]) -> None:
        self.run_ids = run_ids
        self.statuses = statuses
        listed = ", ".join(f"{r} ({s})" for r, s in zip(run_ids, statuses, strict=True))
        super().__init__(
            f"run(s) not ended: {listed}; cancel them first (`duto runs cancel RUN`), or pass --force "
            "(force=True) to cancel and then delete them; nothing was deleted"
        )


class ExperimentError(DutoError):
    """An experiment that cannot be found or submitted to as asked."""


class ExperimentNotFoundError(ExperimentError, KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(known) or "none"
        super().__init__(
            f"no experiment named {name!r} in this workspace; experiments: {listed} "
            "(`duto experiments list --all` shows archived ones too)"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class ExperimentArchivedError(ExperimentError):
    """A run submitted to an archived experiment: reactivate it first, or use another name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"experiment {name!r} is archived; reactivate it (`duto experiments unarchive {name}`, or "
            f"Experiment(ws, {name!r}).reactivate()) to submit to it, or submit to another experiment"
        )


class RunFailedError(DutoError):
    """A run that `wait_for_completion` saw fail: a step's own failure, or the pipeline run's."""


class StepRunError(RunFailedError):
    """A step's own code failed: its name, exit code and the end of its log."""

    def __init__(self, step_name: str, exit_code: int | None, log_tail: str, run_id: str, reason: str = "") -> None:
        self.step_name = step_name
        self.exit_code = exit_code
        self.log_tail = log_tail
        self.run_id = run_id
        self.reason = reason
        why = reason or f"exited with code {exit_code}"
        tail = f"\n--- last lines of its log ---\n{log_tail}" if log_tail else ""
        super().__init__(f"step {step_name!r} of run {run_id} failed: {why}{tail}")


class PipelineRunError(RunFailedError):
    """A pipeline run ended in a status other than Finished without a step to blame."""

    def __init__(self, run_id: str, status: str, reason: str = "") -> None:
        self.run_id = run_id
        self.status = status
        super().__init__(f"run {run_id} ended {status}" + (f": {reason}" if reason else ""))


class RunTimeoutError(DutoError, TimeoutError):
    def __init__(self, run_id: str, timeout_seconds: float, status: str) -> None:
        self.run_id = run_id
        self.timeout_seconds = timeout_seconds
        super().__init__(
            f"run {run_id} was still {status} after {timeout_seconds:g} s; it goes on in the "
            "background: wait again, or cancel it with `duto runs cancel`"
        )


class LeaseLostError(DutoError):
    """A runner's lease on a run lapsed or went to another runner: it must stop driving the run."""

    def __init__(self, run_id: str, why: str) -> None:
        self.run_id = run_id
        super().__init__(f"the runner no longer holds run {run_id}: {why}")


class UserFileError(DutoError, ValueError):
    """A pipeline file given to `duto run` that cannot be loaded as asked."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class UserCodeError(DutoError):
    """The user's own code raised while duto ran it for them (a pipeline file `duto run` imports).

    `.error` is what it raised (also the `__cause__`); `.shown` is its traceback from the user's first frame on,
    as `python FILE.py` would print it, to be shown instead of a traceback through duto.
    """

    def __init__(self, path: str, error: BaseException, shown: str) -> None:
        self.path = path
        self.error = error
        self.shown = shown
        super().__init__(f"{path}: {type(error).__name__}: {error}")


class WheelExistsError(DutoError, FileExistsError):
    """`Environment.add_private_pip_wheel` found a wheel of that file name stored with other content."""

    def __init__(self, wheel: str) -> None:
        self.wheel = wheel
        super().__init__(
            f"a wheel named {wheel!r} is already stored in this workspace, with other content; pass exist_ok=True "
            "to replace it (steps whose environment installs it will then run again), or give the wheel a new version"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class EnvironmentNotFoundError(DutoError, KeyError):
    """No registered environment of that name (or no such version of it)."""

    def __init__(self, name: str, version: str | None, known: dict[str, list[str]]) -> None:
        self.name = name
        self.version = version
        self.known = known
        if version is not None and name in known:
            message = (
                f"environment {name!r} has no version {version!r}; its versions: {', '.join(known[name])}; "
                "leave the version out for the latest"
            )
        else:
            names = ", ".join(sorted(known)) or "none"
            message = (
                f"no environment named {name!r} in this workspace; registered environments: {names}; "
                "register it with Environment(...).register(ws)"
            )
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class AssetNotFoundError(DutoError, KeyError):
    """No registered dataset or model of that name, id or version."""

    def __init__(self, kind: str, name: str, version: int | str | None = None, known: list[int] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.version = version
        if version is not None and known:
            message = (
                f"{kind} {name!r} has no version {version}; its versions: {', '.join(map(str, known))}; "
                "leave the version out for the latest"
            )
        else:
            message = f"no {kind} {name!r} is registered in this workspace; `duto {kind}s list` shows those that are"
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class FieldError(ConfigError):
    """A request's value that is not right, naming the field it came in (e.g. "paths.0.path")."""

    def __init__(self, message: str, field: str) -> None:
        self.field = field
        super().__init__(message)


class AssetExistsError(ConfigError):
    """A dataset registered under a name taken by other content, without `create_new_version=True`."""

    conflict = True

    def __init__(self, kind: str, name: str, version: int) -> None:
        self.kind = kind
        self.name = name
        self.version = version
        super().__init__(
            f"{kind} {name!r} is registered already (version {version}) with other content; pass "
            "create_new_version=True to add a version, or register it under another name"
        )


class EnvironmentBuildError(DutoError):
    """An environment could not be built: which one (`environment`), why (`reason`), and the last lines of the
    tool that failed, uv, micromamba or conda (`output`); `tool` names it."""

    def __init__(self, environment: str, message: str, output: str = "", tool: str = "uv") -> None:
        self.environment = environment
        self.reason = message
        self.output = output
        self.tool = tool
        tail = f"\n--- {tool} said ---\n{output.rstrip()}" if output.strip() else ""
        super().__init__(f"environment {environment!r} could not be built: {message}{tail}")


class DaskTargetError(ComputeTargetError):
    """A Dask target that cannot be reached or started; the step fails with this reason before it starts."""

    def __init__(self, target: str, message: str) -> None:
        self.target = target
        super().__init__(message)


class TriggerError(ConfigError):
    """A trigger of a published pipeline or endpoint that cannot start a run as given; nothing was created.

    `field` names what is wrong as the REST body spells it ("ExperimentName", "ParameterAssignments.lr",
    "DataPathAssignments.input.DataStoreName"), so a server can answer naming it.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}; nothing was started")


class ScheduleError(ConfigError):
    """A schedule that cannot be made or changed as asked; nothing was changed.

    `field` names what is wrong as `Schedule.create` and `ScheduleRecurrence` spell it ("recurrence.frequency",
    "recurrence.hours", "pipeline_id", "datastore", "polling_interval"), so a server can answer naming it.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ScheduleNotFoundError(DutoError, KeyError):
    """No schedule has the id (or unique id prefix) asked for."""

    def __init__(self, key: str, matches: Sequence[str] = ()) -> None:
        self.key = key
        self.matches = list(matches)
        hint = "" if matches else "; `duto schedules list --all` shows the schedules there are"
        super().__init__(_matches_text("schedule", key, matches) + hint)

    def __str__(self) -> str:
        return str(self.args[0])


class PipelineEndpointExistsError(ConfigError):
    """An endpoint name that another endpoint has: endpoint names are unique in a workspace."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"a pipeline endpoint named {name!r} exists already; add the pipeline to it as a new version "
            f"(PipelineEndpoint.get(ws, name={name!r}).add(pipeline), `duto endpoints add {name} --pipeline ID`), "
            "or pick another name"
        )


class PublishedPipelineInUseError(ConfigError):
    """A published pipeline that a version of a pipeline endpoint names cannot be deleted; nothing was.

    `used_by` lists "endpoint version V" for each such version.
    """

    conflict = True  # the request is sound; the workspace's state refuses it (a server answers 409)

    def __init__(self, pipeline_id: str, used_by: Sequence[str]) -> None:
        self.pipeline_id = pipeline_id
        self.used_by = list(used_by)
        super().__init__(
            f"published pipeline {pipeline_id} is a version of pipeline endpoint(s) {', '.join(used_by)}, which go "
            "on naming it; disable it instead (.disable(), `duto pipelines disable ID`); nothing was deleted"
        )


def _matches_text(kind: str, key: str, matches: Sequence[str]) -> str:
    if matches:
        return f"{key!r} is the start of the ids of {len(matches)} {kind}s: {', '.join(matches)}; give more of the id"
    return f"no {kind} {key!r} in this workspace"


class PublishedPipelineNotFoundError(DutoError, KeyError):
    """No published pipeline has the id (or unique id prefix) asked for; `matches` lists the ids a prefix of
    several matches."""

    def __init__(self, key: str, matches: Sequence[str] = ()) -> None:
        self.key = key
        self.matches = list(matches)
        hint = "" if matches else "; `duto pipelines list --all` shows the published pipelines there are"
        super().__init__(_matches_text("published pipeline", key, matches) + hint)

    def __str__(self) -> str:
        return str(self.args[0])


class TokenError(DutoError):
    """A token could not be made, found or used as asked."""


class TokenNotFoundError(TokenError, KeyError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no token named {name!r} in this workspace; `duto token list` shows the tokens there are")

    def __str__(self) -> str:
        return str(self.args[0])


class PipelineEndpointNotFoundError(DutoError, KeyError):
    """No pipeline endpoint has the id (or unique id prefix) or name asked for; `matches` as above."""

    def __init__(self, key: str, matches: Sequence[str] = ()) -> None:
        self.key = key
        self.matches = list(matches)
        hint = "" if matches else "; `duto endpoints list --all` shows the endpoints there are"
        super().__init__(_matches_text("pipeline endpoint", key, matches) + hint)

    def __str__(self) -> str:
        return str(self.args[0])


class PipelineDisabledError(DutoError):
    """A disabled published pipeline or endpoint was asked to start a run; nothing was created.

    `kind` is "published pipeline" or "pipeline endpoint".
    """

    def __init__(self, kind: str, id: str, name: str) -> None:
        self.kind = kind
        self.id = id
        self.name = name
        command = "pipelines" if kind == "published pipeline" else "endpoints"
        super().__init__(
            f"{kind} {name!r} ({id}) is disabled, so it starts no runs; enable it first (.enable(), "
            f"`duto {command} enable {id}`); nothing was started"
        )


class PipelineModuleNotFoundError(DutoError, KeyError):
    """No module, module version or data type answers to `key`; `known` lists those there are."""

    def __init__(self, what: str, key: str, known: Sequence[str] = ()) -> None:
        self.key = key
        self.known = list(known)
        listed = ", ".join(self.known) if self.known else "none"
        super().__init__(f"no {what} {key!r} in this workspace; known: {listed}")

    def __str__(self) -> str:
        return str(self.args[0])


class ServerError(DutoError):
    """The workspace's server could not start, or be found or stopped as asked."""
