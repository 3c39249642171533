"""Reading what a running step logs (its events file) into metrics and events of the run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duto.errors import DutoError
from duto.storage.asset_store import AssetStore, Producer
from duto.storage.cas import ContentStore
from duto.storage.model_files import store_model
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
    cas: ContentStore | None = None  # where models the step registers are stored; None reads them as not there

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
        registered: list[dict[str, Any]] = []
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
            elif kind == "model":
                registered.append(record)
        for record in registered:
            events.append(NewEvent("model", self._register_model(store, record), self.step_run_id))
        if lines:
            store.record_metrics(self.pipeline_run_id, metrics, events, (self.step_run_id, consumed))
        self.offset = read_to
        if new_tags:
            store.update_step(self.step_run_id, tags=dict(self.tags))
        return len(metrics) + len(events)

    def _register_model(self, store: RunsStore, record: dict[str, Any]) -> dict[str, Any]:
        """Register a model the step asked to (`run.register_model`); the same content again keeps its version,
        so reading the line twice (a runner taking the run over) registers nothing twice."""
        name = str(record.get("name"))
        if self.cas is None:
            return {"step": self.step_name, "name": name, "error": "the runner keeps no content store here"}
        try:
            row = store_model(
                self.cas,
                AssetStore(store.db),
                Path(str(record["path"])),
                name,
                description=record.get("description"),
                tags=dict(record.get("tags") or {}),
                properties=dict(record.get("properties") or {}),
                framework=record.get("framework"),
                producer=Producer(self.pipeline_run_id, self.step_run_id),
            )
        except (DutoError, OSError) as exc:
            return {"step": self.step_name, "name": name, "error": str(exc)}
        return {"step": self.step_name, "name": name, "version": row.version, "id": row.id}


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None
