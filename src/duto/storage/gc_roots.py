"""The roots of `cache gc`: every kind of record that keeps stored outputs or snapshots alive says which.

`cache gc` removes from the content store whatever no root names. A new kind of record that names stored
content (published pipelines, datasets, models, modules, drafts) adds one registration below, naming the
tables it reads; `tests/storage/test_gc_roots.py` fails for a table that no root reads and that is not listed
as holding no digests, so a new kind cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from duto.storage import models
from duto.storage.db import Database
from duto.storage.module_store import ModuleStore

Digests = Callable[[Database], Iterable[str]]


@dataclass(frozen=True)
class GcRoot:
    """One kind of record: its name, the tables it reads, and what it keeps (manifest digests)."""

    kind: str
    tables: tuple[str, ...]
    digests: Digests


_ROOTS: dict[str, GcRoot] = {}

# Tables whose rows name no stored content: they need no root.
WITHOUT_DIGESTS = frozenset(
    {
        "experiments",
        "events",
        "metrics",
        "fingerprint_claims",
        "runner_daemons",
        "deleted_step_runs",
        "dropped_reuse_entries",
        "pipeline_endpoints",
        "pipeline_endpoint_versions",
        "api_tokens",
        "schedule_firings",
        "modules",
        "data_types",
        "dataset_consumptions",
    }
)


def register(kind: str, tables: Iterable[str], digests: Digests) -> GcRoot:
    """Make `digests(db)` a root of `cache gc`: what it returns, and every blob it names, is never collected."""
    root = GcRoot(kind, tuple(tables), digests)
    _ROOTS[kind] = root
    return root


def unregister(kind: str) -> None:
    _ROOTS.pop(kind, None)


@contextmanager
def registered(kind: str, tables: Iterable[str], digests: Digests) -> Iterator[GcRoot]:
    """A root for the length of a block (tests; a record kind that is loaded on demand)."""
    previous = _ROOTS.get(kind)
    root = register(kind, tables, digests)
    try:
        yield root
    finally:
        if previous is None:
            unregister(kind)
        else:
            _ROOTS[kind] = previous


def roots() -> list[GcRoot]:
    return list(_ROOTS.values())


def live_digests(db: Database) -> set[str]:
    """Every manifest digest some root keeps: what `cache gc` must leave."""
    keep: set[str] = set()
    for root in _ROOTS.values():
        keep.update(d for d in root.digests(db) if d)
    return keep


def _spec_contents(spec: dict[str, Any]) -> Iterator[str]:
    """What a pipeline spec pins by content: its steps' code snapshots, and the registered dataset versions its
    inputs read (kept when a version is unregistered, for the runs and pipelines that read it)."""
    for step in spec.get("steps", []):
        if step.get("snapshot"):
            yield step["snapshot"]
        for port in step.get("inputs", []):
            registered = port.get("source", {}).get("registered")
            if registered and registered.get("digest"):
                yield registered["digest"]


def _runs(db: Database) -> set[str]:
    """A run keeps its steps' outputs, the code snapshots and the registered datasets its spec names, for as long
    as it exists."""
    keep: set[str] = set()
    with db.reading() as s:
        for outputs in s.scalars(select(models.StepRun.outputs)):
            keep.update(o["digest"] for o in (outputs or {}).values() if o.get("digest"))
        for spec in s.scalars(select(models.PipelineRun.spec)):
            keep.update(_spec_contents(spec))
    return keep


def _reuse_entries(db: Database) -> set[str]:
    """A reuse entry keeps the outputs a later run with its fingerprint will reuse."""
    with db.reading() as s:
        return {
            o["digest"]
            for outputs in s.scalars(select(models.ReuseEntry.outputs))
            for o in (outputs or {}).values()
            if o.get("digest")
        }


def _published_pipelines(db: Database) -> set[str]:
    """A published pipeline keeps the code snapshots and registered datasets its frozen spec names, enabled or
    not, until deleted."""
    with db.reading() as s:
        return {digest for spec in s.scalars(select(models.PublishedPipeline.spec)) for digest in _spec_contents(spec)}


def _schedules(db: Database) -> set[str]:
    """A schedule that watches a datastore path keeps what it last saw there (its baseline), to tell changes."""
    with db.reading() as s:
        return {b for b in s.scalars(select(models.Schedule.baseline)) if b}


def _module_versions(db: Database) -> set[str]:
    """A module version keeps its code snapshot for as long as it exists, disabled or not."""
    return ModuleStore(db).snapshots()


def _registered_assets(db: Database) -> set[str]:
    """A registered dataset's or model's version keeps its content for as long as it is registered."""
    datasets, models_ = models.DatasetVersion, models.ModelVersion
    with db.reading() as s:
        found = set(s.scalars(select(datasets.digest).where(datasets.unregistered_at.is_(None))))
        found.update(s.scalars(select(models_.digest).where(models_.unregistered_at.is_(None))))
    return found


register("runs", ("pipeline_runs", "step_runs"), _runs)
register("module versions", ("module_versions",), _module_versions)
register("schedules", ("schedules",), _schedules)
register("published pipelines", ("published_pipelines",), _published_pipelines)
register("reuse entries", ("reuse_entries",), _reuse_entries)
register("datasets and models", ("dataset_versions", "model_versions"), _registered_assets)
