"""A step run as users see it: its status, reuse, logs, metrics and outputs (`PipelineRun.get_steps()` gives them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duto.errors import (
    DutoError,
    RunNotFoundError,
)
from duto.facade.port_data import PortDataReference, StepRunOutput
from duto.graph.status import TERMINAL
from duto.storage.layout import StepLayout
from duto.storage.models import StepRun as StepRunRow
from duto.tracking.metrics import aggregate, series

if TYPE_CHECKING:
    from duto.facade.experiment import Experiment
    from duto.facade.runs import PipelineRun

JOB_LOG_EVENTS = ("step_status", "reuse_decision")


def times(row: Any) -> dict[str, str | None]:
    """A run row's start and end times as v1's details give them."""
    return {
        "startTimeUtc": row.started_at.isoformat() if row.started_at else None,
        "endTimeUtc": row.ended_at.isoformat() if row.ended_at else None,
    }


class StepRun:
    """One step's run inside a pipeline run."""

    def __init__(self, parent: PipelineRun, row: StepRunRow) -> None:
        self.parent = parent
        self.id = row.id
        self.name = row.name
        self._cached = row

    @property
    def _row(self) -> StepRunRow:
        if self._cached.status not in TERMINAL:
            self._cached = self.parent.workspace.runs_store.step_run(self.id)
        return self._cached

    @property
    def key(self) -> str:
        """The step's key in the run's spec: its name, or `name#2`... when an earlier step has that name too.

        Runs of the same pipeline give a step the same key, so it tells which step of another run is this one.
        """
        steps = self.parent._row.spec.get("steps", [])
        position = self._cached.position
        return str(steps[position].get("key") or self.name) if position < len(steps) else self.name

    @property
    def layout(self) -> StepLayout:
        return self.parent.layout.step(self.id)

    @property
    def experiment(self) -> Experiment:
        """The experiment of the pipeline run this step belongs to."""
        return self.parent.experiment

    @property
    def input_datasets(self) -> dict[str, str]:
        """The local path each named input of the step was given (the original's, when reused); {} before the
        step was prepared."""
        import json

        origin = self.reused_from
        if origin is not None:
            return origin.input_datasets
        try:
            return dict(json.loads(self.layout.inputs_map.read_text()))
        except FileNotFoundError:
            return {}

    def get_children(self, recursive: bool = False, **filters: Any) -> Iterator[StepRun]:
        """None: a step run has no runs of its own (v1's AutoML and HyperDrive children have no duto kin)."""
        del recursive, filters
        return iter(())

    @property
    def reason(self) -> str | None:
        return self._row.reason

    @property
    def exit_code(self) -> int | None:
        return self._row.exit_code

    @property
    def compute_target(self) -> str:
        return self._cached.compute_target  # fixed at submit: no need to read the row again

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._row.tags)

    def get_status(self) -> str:
        """Finished for a reused step too, as in v1; `is_reused` tells the two apart."""
        return str(self._row.status)

    @property
    def is_reused(self) -> bool:
        return self._row.reused_from is not None

    @property
    def reused_from(self) -> StepRun | None:
        """The step run whose outputs, logs and metrics this reused step run stands for; None when not reused,
        or when that step run was deleted (`get_reuse_info()` still says which it was)."""
        origin = self._row.reused_from
        if origin is None:
            return None
        try:
            row = self.parent.workspace.runs_store.step_run(origin)
        except RunNotFoundError:
            return None
        from duto.facade.runs import PipelineRun

        return StepRun(PipelineRun(self.parent.workspace, row.pipeline_run_id), row)

    def _origin_info(self) -> dict[str, Any] | None:
        """Where this step run was reused from, also when that run has been deleted since."""
        origin_id = self._row.reused_from
        if origin_id is None:
            return None
        origin = self.reused_from
        if origin is not None:
            return {"run_id": origin.parent.id, "step_run_id": origin.id, "step": origin.name}
        from duto.storage.deletion_store import DeletionStore

        tombstone = DeletionStore(self.parent.workspace.database).tombstone(origin_id)
        return {
            "run_id": tombstone.pipeline_run_id if tombstone else None,
            "step_run_id": origin_id,
            "step": tombstone.name if tombstone else self.name,
            "deleted": True,
        }

    @property
    def fingerprint(self) -> str | None:
        return self._row.fingerprint

    def get_reuse_info(self) -> dict[str, Any]:
        """Whether this step run was reused and from where, or why it ran, with its fingerprint's parts."""
        row = self._row
        origin = self._origin_info()
        return {
            "is_reused": origin is not None,
            # {run_id, step_run_id, step}, and `deleted: True` when that run was deleted since (its logs and
            # metrics went with it; the outputs this run reused stay).
            "reused_from": origin,
            "fingerprint": row.fingerprint,
            "reasons": [] if origin is not None else list(row.reasons or []),
            "explanation": row.reason if origin is not None else "; ".join(row.reasons or []),
            "components": row.components,
        }

    def get_details(self) -> dict[str, Any]:
        row = self._row
        return {
            "runId": row.id,
            "name": row.name,
            "isReused": row.reused_from is not None,
            "status": row.status,
            "reason": row.reason,
            "exitCode": row.exit_code,
            "target": row.compute_target,
            **times(row),
            "outputs": dict(row.outputs),
            "tags": dict(row.tags),
        }

    def get_stdout_log(self, attempt: int | None = None) -> str:
        """The step's combined stdout and stderr, as written so far (the original's, when reused).

        Args:
            attempt: an earlier attempt's log (they are kept when a step runs again); the current one's when None.
        """
        origin = self.reused_from
        if origin is not None:
            return origin.get_stdout_log(attempt)
        if self.is_reused:
            return ""  # the run it reused was deleted, and its log with it
        path = self.layout.std_log
        if attempt is not None and attempt != self._row.attempt:
            kept = [a["attempt"] for a in self.attempts]
            if attempt not in kept:
                raise DutoError(
                    f"step {self.name!r} has no attempt {attempt} kept; it has "
                    + (
                        ", ".join(map(str, kept)) + f" and the current one, {self._row.attempt}"
                        if kept
                        else f"only its current one, {self._row.attempt}"
                    )
                )
            path = self.layout.attempt(attempt) / "std_log.txt"
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def read_log(self, offset: int = 0, length: int | None = None) -> tuple[bytes, int]:
        """Bytes of the step's current log from `offset` (at most `length` of them), and the log's size so far.

        The original's log when reused; nothing (size 0) before the step wrote one, or when the run it reused
        was deleted. An offset past the end gives no bytes.
        """
        origin = self.reused_from
        if origin is not None:
            return origin.read_log(offset, length)
        if self.is_reused:
            return b"", 0
        try:
            with self.layout.std_log.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if offset >= size:
                    return b"", size
                handle.seek(max(0, offset))
                return handle.read(-1 if length is None else max(0, length)), size
        except FileNotFoundError:
            return b"", 0

    def log_place(self) -> tuple[str, int, Path | None]:
        """The step's status, its attempt (0 before its first), and the file its current log is in, from one
        read: the original's file when reused, None when the run it reused was deleted."""
        row = self._row
        if row.reused_from is None:
            return str(row.status), row.attempt, self.layout.std_log
        origin = self.reused_from
        return str(row.status), row.attempt, None if origin is None else origin.layout.std_log

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """The attempts that ended before the current one (retried, or interrupted by a runner stopping)."""
        return list(self._row.attempts or [])

    def get_details_with_logs(self) -> dict[str, Any]:
        return {**self.get_details(), "logFiles": {"std_log.txt": self.get_stdout_log()}}

    def get_metrics(self) -> dict[str, Any]:
        """What the step logged (what the original logged, when reused)."""
        return aggregate(self.parent.workspace.metric_store.metrics([self._row.reused_from or self.id]))

    def get_metric_series(self) -> dict[str, Any]:
        """Every point the step logged (the original's, when reused), as `tracking.metrics.series` shapes it."""
        return series(self.parent.workspace.metric_store.metrics([self._row.reused_from or self.id]))

    def get_image(self, name: str) -> str | None:
        """Where the image the step logged as metric `name` is kept (the latest, when logged again; the
        original's, when reused); None when it logged no image of that name."""
        rows = self.parent.workspace.metric_store.metric_rows(self._row.reused_from or self.id, name)
        images = [row for row in rows if row.kind == "image"]
        return str(images[-1].value) if images else None

    def get_environment(self) -> dict[str, Any]:
        """The environment the step ran in, as its fingerprint recorded it: the environment's name (None for
        duto's own interpreter), Python, the packages the built environment holds (None when not built by duto:
        its own interpreter or a Docker image), its variables and Docker image."""
        steps = self.parent._row.spec.get("steps", [])
        position = self._cached.position
        declared = (steps[position].get("environment") or {}) if position < len(steps) else {}
        recorded = (self._row.components or {}).get("environment") or {}
        packages = recorded.get("packages")
        return {
            "name": declared.get("name"),
            "python": recorded.get("python"),
            "packages": None if packages is None else dict(sorted(packages.items())),
            "variables": dict(recorded.get("variables") or {}),
            "docker_image": recorded.get("docker_image"),
        }

    def get_job_log(self) -> str:
        """How the step run went, one line a change: queued, preparing, running, the reuse decision, its end.

        v1's job log tells how the service ran the job; duto's is the step's events, in the order they came.
        """
        lines = []
        for event in self.parent.workspace.runs_store.step_events(self.parent.id, self.id, JOB_LOG_EVENTS):
            stamp = datetime.fromtimestamp(event.created_at).astimezone().isoformat(timespec="milliseconds")
            payload = event.payload
            if event.kind == "reuse_decision":
                why = "; ".join(payload.get("reasons") or []) or "no reason to run again"
                text = f"fingerprint {payload.get('fingerprint')}: {why}"
            else:
                text = payload["status"]
                if payload.get("reused_from"):
                    text += f" (reused {payload['reused_from']})"
                if payload.get("exit_code") is not None:
                    text += f" (exit code {payload['exit_code']})"
                if payload.get("reason"):
                    text += f": {payload['reason']}"
            lines.append(f"{stamp}  {text}\n")
        return "".join(lines)

    def get_outputs(self) -> dict[str, StepRunOutput]:
        """Every output the step declares, by name: `get_outputs()["model"].get_port_data_reference()`."""
        return {o["name"]: StepRunOutput(self, o["name"], o) for o in self._declared_outputs()}

    def get_output(self, name: str) -> StepRunOutput:
        """The output `name` of the step.

        Raises:
            DutoError: when the step declares no output of that name.
        """
        for declared in self._declared_outputs():
            if declared["name"] == name:
                return StepRunOutput(self, name, declared)
        known = ", ".join(o["name"] for o in self._declared_outputs()) or "none"
        raise DutoError(f"step {self.name!r} has no output {name!r}; its outputs: {known}")

    def _declared_outputs(self) -> list[dict[str, Any]]:
        """The step's outputs as the run's spec declares them."""
        steps = self.parent._row.spec.get("steps", [])
        position = self._cached.position
        return list(steps[position].get("outputs", [])) if position < len(steps) else []

    def get_output_data(self, name: str) -> PortDataReference:
        """The published output `name` of this step run.

        Raises:
            DutoError: when the step has no output `name`, or has not published it (it has not finished).
        """
        outputs = self._row.outputs
        if name not in outputs:
            known = ", ".join(sorted(outputs)) or "none (the step has not finished)"
            raise DutoError(f"step {self.name!r} has no output {name!r}; its outputs: {known}")
        location = outputs[name]
        return PortDataReference(
            self.parent.workspace, name, location["datastore"], location["path"], location.get("digest")
        )

    def published_outputs(self) -> list[str]:
        """The names of the outputs the step run has published ([] before it finished)."""
        return list(self._row.outputs)

    def output_folders(self) -> dict[str, Path]:
        """Where each output the step published is on this machine, by name ({} before it finished); an output
        on an object store has no such place and is left out."""
        datastores = self.parent.workspace.config.datastores
        return {
            name: self.get_output_data(name).local_path
            for name, location in self._row.outputs.items()
            if datastores.get(location["datastore"], {}).get("kind", "local") == "local"
        }

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, status={self.get_status()!r})"
