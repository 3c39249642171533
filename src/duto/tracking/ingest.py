"""Reading what a running step logs (its events file) into metrics and events of the run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duto.storage.models import Metric
from duto.storage.runs_store import NewEvent, RunsStore


@dataclass
class StepEventsReader:
    """Follows one step's events file from where it last stopped; a line cut short waits for its end."""

    path: Path
    pipeline_run_id: str
    step_run_id: str
    step_name: str
    offset: int = 0
    partial: bytes = b""
    tags: dict[str, str] = field(default_factory=dict)

    def ingest(self, store: RunsStore) -> int:
        """Store every complete line written since the last call; returns how many were stored.

        How far the file has been read is stored with what it held, in one transaction, so a runner that
        takes the run over reads on from there and stores nothing twice.
        """
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return 0
        if not chunk:
            return 0
        data = self.partial + chunk
        *lines, self.partial = data.split(b"\n")
        read_to = self.offset + len(chunk)
        consumed = read_to - len(self.partial)  # the bytes of the complete lines; a cut line waits
        metrics: list[Metric] = []
        events: list[NewEvent] = []
        new_tags = False
        for line in lines:
            record = _parse(line)
            if record is None:
                continue
            on_parent = record.get("target") == "parent"
            run_id = self.pipeline_run_id if on_parent else self.step_run_id
            event_step = None if on_parent else self.step_run_id
            kind = record.get("type")
            if kind == "metric":
                metrics.append(
                    Metric(
                        run_id=run_id,
                        name=str(record["name"]),
                        kind=str(record["kind"]),
                        value=record.get("value"),
                        step=record.get("step"),
                        logged_at=float(record.get("time", 0.0)),
                    )
                )
                payload = {
                    "run_id": run_id,
                    "step": self.step_name,
                    "name": record["name"],
                    "kind": record["kind"],
                    "value": record.get("value"),
                    "index": record.get("step"),
                }
                events.append(NewEvent("metric", payload, event_step))
            elif kind == "tags" and not on_parent:
                self.tags.update(record.get("tags", {}))
                new_tags = True
            elif kind == "tags":
                store.merge_run_tags(self.pipeline_run_id, record.get("tags", {}))
                events.append(NewEvent("run_tags", {"tags": record.get("tags", {})}))
            elif kind == "file":
                events.append(
                    NewEvent(
                        "file",
                        {"step": self.step_name, "name": record["name"], "path": record["path"]},
                        event_step,
                    )
                )
        if lines:
            store.record_metrics(self.pipeline_run_id, metrics, events, (self.step_run_id, consumed))
        self.offset = read_to
        if new_tags:
            store.update_step(self.step_run_id, tags=dict(self.tags))
        return len(metrics) + len(events)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None
