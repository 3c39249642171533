"""Runs and steps as JSON documents for `--json`: stable field names, full ids, UTC times, no markup."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from duto.facade.runs import StepRun
    from duto.storage.models import PipelineRun as PipelineRunRow


def iso_utc(moment: datetime | None) -> str | None:
    """A naive UTC time from the DB as ISO text with its offset (`2024-05-01T12:00:00+00:00`)."""
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def seconds_between(started: datetime | None, ended: datetime | None) -> float | None:
    """Seconds from start to end (to now while it goes on); None when it never started."""
    if started is None:
        return None
    end = ended.replace(tzinfo=UTC) if ended is not None else datetime.now(UTC)
    return round((end - started.replace(tzinfo=UTC)).total_seconds(), 3)


def run_document(row: PipelineRunRow, experiment: str, reused: bool) -> dict[str, Any]:
    """A run as `duto runs list --json` gives it; `reused` is true when every one of its steps was reused."""
    return {
        "id": row.id,
        "experiment": experiment,
        "status": row.status,
        "reason": row.reason,
        "created": iso_utc(row.created_at),
        "started": iso_utc(row.started_at),
        "ended": iso_utc(row.ended_at),
        "duration_seconds": 0.0 if reused else seconds_between(row.started_at, row.ended_at),
        "reused": reused,
        "tags": dict(row.tags),
        "parameters": dict(row.parameters),
    }


def step_document(step: StepRun) -> dict[str, Any]:
    """A step run as `duto runs show --json` gives it."""
    row = step._row
    reuse = step.get_reuse_info()
    return {
        "name": step.name,
        "key": step.key,
        "id": step.id,
        "status": row.status,
        "reused": reuse["is_reused"],
        "reused_from": reuse["reused_from"],
        "fingerprint": row.fingerprint,
        "started": iso_utc(row.started_at),
        "ended": iso_utc(row.ended_at),
        "duration_seconds": seconds_between(row.started_at, row.ended_at),
        "exit_code": row.exit_code,
        "reason": row.reason,
        "why": [] if reuse["is_reused"] else list(reuse["reasons"] or []),
        "compute_target": row.compute_target,
        "outputs": dict(row.outputs),
    }


def print_json(document: Any) -> None:
    """JSON on stdout as it is: no Rich wrapping, markup or highlighting, so `jq` reads it."""
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()
