"""The metadata DB's tables. Every change here comes with an Alembic migration in `migrations/versions/`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class JSONText(TypeDecorator[Any]):
    """JSON kept as text. A column declared JSON has numeric affinity in SQLite, which turns 1.0 into 1."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


class Base(DeclarativeBase):
    pass


class Experiment(Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # When it was archived: hidden from lists, refused as a place to submit, until reactivated.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)


class PipelineRun(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    continue_on_step_failure: Mapped[bool] = mapped_column(Boolean)
    regenerate_outputs: Mapped[bool] = mapped_column(Boolean)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    runner_pid: Mapped[int | None] = mapped_column(Integer)
    # The lease of the runner driving the run: its token, where it runs, and until when it holds the run
    # unless it renews (see storage/lease_store.py).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_machine: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[float | None] = mapped_column(Float)
    runner_start_ticks: Mapped[int | None] = mapped_column(BigInteger)
    takeovers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    # An experiment's newest runs before a time, read from the index's end (reuse decisions, run lists).
    __table_args__ = (Index("ix_pipeline_runs_experiment_created", "experiment_id", "created_at"),)


class StepRun(Base):
    __tablename__ = "step_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    compute_target: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    components: Mapped[Any] = mapped_column(JSONText, nullable=True)
    reused_from: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[Any] = mapped_column(JSONText, nullable=True)
    cores: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    memory_gb: Mapped[float | None] = mapped_column(Float)
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # attempts started so far
    # The attempts that ended before the current one, oldest first: {attempt, outcome, reason, exit_code, ...}.
    attempts: Mapped[Any] = mapped_column(JSONText, nullable=True)
    pid_start_ticks: Mapped[int | None] = mapped_column(BigInteger)
    events_offset: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # of events.jsonl

    __table_args__ = (
        Index("ix_step_runs_target_status", "compute_target", "status"),
        Index("ix_step_runs_name", "name"),
    )


class ReuseEntry(Base):
    """A finished step run whose outputs any step run with the same fingerprint may reuse."""

    __tablename__ = "reuse_entries"

    fingerprint: Mapped[str] = mapped_column(String(80), primary_key=True)
    step_run_id: Mapped[str] = mapped_column(String(64))
    outputs: Mapped[Any] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DroppedReuseEntry(Base):
    """A reuse entry dropped because its outputs are gone from the store, and why: the reason a step with
    that fingerprint runs again. Removed when the fingerprint is computed again."""

    __tablename__ = "dropped_reuse_entries"

    fingerprint: Mapped[str] = mapped_column(String(80), primary_key=True)
    step_run_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    dropped_at: Mapped[datetime] = mapped_column(DateTime)


class FingerprintClaim(Base):
    """A step run computing a fingerprint now; another run reaching it waits, then reuses."""

    __tablename__ = "fingerprint_claims"

    fingerprint: Mapped[str] = mapped_column(String(80), primary_key=True)
    step_run_id: Mapped[str] = mapped_column(String(64))
    pipeline_run_id: Mapped[str] = mapped_column(String(64))
    runner_pid: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class RunnerDaemon(Base):
    """A `duto runner` daemon serving the workspace; live while it renews `expires_at` (and its process runs)."""

    __tablename__ = "runner_daemons"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    machine: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    start_ticks: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JSONText, nullable=True)
    step: Mapped[int | None] = mapped_column(Integer)
    logged_at: Mapped[float] = mapped_column(Float)


class Event(Base):
    """The run's event stream: status changes, metrics, log pointers, each with an increasing id."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pipeline_run_id: Mapped[str] = mapped_column(String(64))
    step_run_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_events_run_id", "pipeline_run_id", "id"),)


class DeletedStepRun(Base):
    """What is left of a deleted step run that a kept step run reused: enough for its history to say so."""

    __tablename__ = "deleted_step_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_run_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    deleted_at: Mapped[datetime] = mapped_column(DateTime)


class PublishedPipeline(Base):
    """A pipeline frozen when it was published: its spec (code snapshots by digest) and parameter defaults.

    Names need not be unique: each publish is a new id. `status` is "Active" or "Disabled".
    """

    __tablename__ = "published_pipelines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONText)
    continue_on_step_failure: Mapped[bool] = mapped_column(Boolean)
    # The run it was published from (`PipelineRun.publish_pipeline`), when it was.
    source_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class PipelineEndpoint(Base):
    """A stable name and URL over versions of published pipelines; one of them is the default."""

    __tablename__ = "pipeline_endpoints"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    default_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class PipelineEndpointVersion(Base):
    """Version "0", "1", ... of an endpoint: the published pipeline it names."""

    __tablename__ = "pipeline_endpoint_versions"

    endpoint_id: Mapped[str] = mapped_column(ForeignKey("pipeline_endpoints.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    published_pipeline_id: Mapped[str] = mapped_column(ForeignKey("published_pipelines.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A token for the workspace's server: only the SHA-256 of its secret is kept.

    `scope` is read, submit or admin. A token minted by `duto server` for the person who started it has
    `server_pid` set and is revoked when that server stops.
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    server_pid: Mapped[int | None] = mapped_column(Integer)


class Schedule(Base):
    """A recurrence or a watched datastore path that triggers a published pipeline (or an endpoint's default).

    `recurrence` is a ScheduleRecurrence's JSON, or None for a schedule that watches `path_on_datastore` on
    `datastore` every `polling_interval` minutes; `baseline` is then the digest, in the content store, of what was
    under it when it last fired (or was made), and `baseline_version` counts its changes. `last_tick` is the last
    due time a run was recorded for (or skipped at). `stopped_reason` says why it does not fire now (its pipeline
    was disabled or deleted), cleared when it fires again.
    """

    __tablename__ = "schedules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    pipeline_id: Mapped[str | None] = mapped_column(String(64), index=True)
    pipeline_endpoint_id: Mapped[str | None] = mapped_column(String(64), index=True)
    experiment_name: Mapped[str] = mapped_column(String(255))
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pipeline_parameters: Mapped[dict[str, Any]] = mapped_column(JSONText)
    continue_on_step_failure: Mapped[bool | None] = mapped_column(Boolean)
    datastore: Mapped[str | None] = mapped_column(String(255))
    path_on_datastore: Mapped[str | None] = mapped_column(Text)
    polling_interval: Mapped[float | None] = mapped_column(Float)
    data_path_parameter_name: Mapped[str | None] = mapped_column(String(255))
    catch_up: Mapped[str] = mapped_column(String(16))
    baseline: Mapped[str | None] = mapped_column(String(80))
    baseline_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_tick: Mapped[datetime | None] = mapped_column(DateTime)
    stopped_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ScheduleFiring(Base):
    """One due tick of a schedule (an ISO UTC time, or "data:N" for a watched path's Nth change): the run it
    started, or why none was (`outcome`). Unique per (schedule, tick), and written in the transaction that
    records the run."""

    __tablename__ = "schedule_firings"
    __table_args__ = (UniqueConstraint("schedule_id", "tick", name="uq_schedule_firings_tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(64))
    tick: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    fired_at: Mapped[datetime] = mapped_column(DateTime)


class Module(Base):
    """A module (v1's `Module`): a named, reusable step whose versions are published scripts with typed ports.

    `status` is "Active", "Deprecated" or "Disabled"; `default_version` is what `resolve()` gives with no version.
    """

    __tablename__ = "modules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    default_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ModuleVersion(Base):
    """One published version of a module: its script, its code snapshot (a manifest digest in the content
    store), and its interface ({"inputs", "outputs", "params", "arguments"}). `content` hashes all of it, so
    publishing what a version already holds gives that version back."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "version", name="uq_module_versions_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("modules.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    script_name: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[str] = mapped_column(String(80))
    interface: Mapped[dict[str, Any]] = mapped_column(JSONText)
    content: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DataTypeRecord(Base):
    """A user-defined data type of module ports (v1's `DataType.create`); AnyFile and AnyDirectory are built in."""

    __tablename__ = "data_types"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_directory: Mapped[bool] = mapped_column(Boolean)
    parent_datatypes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class DatasetVersion(Base):
    """One version of a registered dataset: its definition (what it reads) and the content it held, stored."""

    __tablename__ = "dataset_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    # What the dataset's class puts into a pipeline spec (its type and paths), to rebuild that class.
    definition: Mapped[Any] = mapped_column(JSONText)
    digest: Mapped[str] = mapped_column(String(80))  # the content store's manifest of its files
    single_file: Mapped[str | None] = mapped_column(Text)  # its one file's name, when it names one file
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[Any] = mapped_column(JSONText)
    # The step run whose output it is (register_on_complete, as_dataset().register), and that step's run.
    step_run_id: Mapped[str | None] = mapped_column(String(64))
    pipeline_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # When the version was unregistered (None while registered): its row stays, so its number is never given
    # again and the runs that read it still name it.
    unregistered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),)


class DatasetConsumption(Base):
    """A step of a run that took a registered dataset version as input."""

    __tablename__ = "dataset_consumptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_version_id: Mapped[str] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    pipeline_run_id: Mapped[str] = mapped_column(String(64), index=True)
    step_run_id: Mapped[str | None] = mapped_column(String(64))
    step_name: Mapped[str] = mapped_column(String(255))
    input_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ModelVersion(Base):
    """One version of a registered model: its file or folder, stored, and what made it."""

    __tablename__ = "model_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(80))  # the content store's manifest of the file or folder
    file_name: Mapped[str] = mapped_column(String(255))  # the registered file's or folder's own name
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[Any] = mapped_column(JSONText)
    properties: Mapped[Any] = mapped_column(JSONText)
    framework: Mapped[str | None] = mapped_column(String(64))
    dataset_version_ids: Mapped[Any] = mapped_column(JSONText)  # the datasets passed as `datasets=`
    step_run_id: Mapped[str | None] = mapped_column(String(64))
    pipeline_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    unregistered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # as a dataset version's

    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_versions_name_version"),)
