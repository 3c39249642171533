"""Store operations for deleting runs: every row of a run in one transaction, what other runs reused kept.

A deleted run's step run that kept runs reused leaves a tombstone (`deleted_step_runs`: its id, run and name),
so a kept run still says where its step came from. A reuse entry of a deleted step run moves to the newest kept
step run that reused it (same fingerprint, same outputs), so later runs still reuse those outputs; with no such
step run the entry goes, and `cache gc` reclaims what it held.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select

from duto.errors import RunNotFoundError
from duto.storage import models
from duto.storage.db import Database
from duto.storage.runs_store import utcnow

Location = tuple[str, str]  # (datastore, path on it)


@dataclass(frozen=True)
class DeletedRecords:
    """What deleting one run's records did."""

    run_id: str
    experiment: str
    status: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    unreferenced_outputs: list[Location] = field(default_factory=list)  # published outputs no kept record names
    kept_outputs: list[Location] = field(default_factory=list)  # its outputs that kept records still name
    entries_moved: int = 0
    entries_dropped: int = 0

    @property
    def row_count(self) -> int:
        return sum(self.rows.values())


def _locations(outputs: dict[str, dict[str, str]] | None) -> set[Location]:
    return {(o["datastore"], o["path"]) for o in (outputs or {}).values() if "datastore" in o and "path" in o}


class DeletionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def matching_runs(self, prefix: str, limit: int = 10) -> list[str]:
        """Ids of the pipeline runs that are `prefix` or start with it, at most `limit`."""
        with self.db.reading() as s:
            if s.get(models.PipelineRun, prefix) is not None:
                return [prefix]
            query = select(models.PipelineRun.id).where(models.PipelineRun.id.startswith(prefix, autoescape=True))
            return list(s.scalars(query.order_by(models.PipelineRun.id).limit(limit)))

    def tombstone(self, step_run_id: str) -> models.DeletedStepRun | None:
        with self.db.reading() as s:
            return s.get(models.DeletedStepRun, step_run_id)

    def tombstones(self, step_run_ids: Collection[str]) -> dict[str, models.DeletedStepRun]:
        """The tombstones of these step runs that have one, by id, in one query."""
        if not step_run_ids:
            return {}
        query = select(models.DeletedStepRun).where(models.DeletedStepRun.id.in_(step_run_ids))
        with self.db.reading() as s:
            return {row.id: row for row in s.scalars(query)}

    def delete_run(self, run_id: str) -> DeletedRecords:
        """Delete a run's rows: the run (and its lease), its step runs, events, metrics and claims.

        Raises:
            RunNotFoundError: when there is no such run (any more).
        """
        with self.db.writing() as s:
            run = s.get(models.PipelineRun, run_id)
            if run is None:
                raise RunNotFoundError(run_id)
            status = run.status
            experiment = s.scalar(select(models.Experiment.name).where(models.Experiment.id == run.experiment_id))
            steps = list(s.scalars(select(models.StepRun).where(models.StepRun.pipeline_run_id == run_id)))
            step_ids = [step.id for step in steps]
            reusers = list(
                s.scalars(
                    select(models.StepRun)
                    .where(models.StepRun.reused_from.in_(step_ids), models.StepRun.pipeline_run_id != run_id)
                    .order_by(models.StepRun.created_at.desc())
                )
            )
            now = utcnow()
            names = {step.id: step.name for step in steps}
            for origin in sorted({r.reused_from for r in reusers if r.reused_from}):
                s.merge(models.DeletedStepRun(id=origin, pipeline_run_id=run_id, name=names[origin], deleted_at=now))
            moved = dropped = 0
            for entry in s.scalars(select(models.ReuseEntry).where(models.ReuseEntry.step_run_id.in_(step_ids))):
                heir = next((r for r in reusers if r.reused_from == entry.step_run_id), None)
                if heir is None:
                    s.delete(entry)
                    dropped += 1
                else:
                    entry.step_run_id = heir.id
                    moved += 1
            s.flush()

            everyone = [*step_ids, run_id]
            core = s.connection()  # Core, for each statement's row count
            rows = {
                "events": core.execute(delete(models.Event).where(models.Event.pipeline_run_id == run_id)).rowcount,
                "metrics": core.execute(delete(models.Metric).where(models.Metric.run_id.in_(everyone))).rowcount,
                "fingerprint_claims": core.execute(
                    delete(models.FingerprintClaim).where(
                        or_(
                            models.FingerprintClaim.pipeline_run_id == run_id,
                            models.FingerprintClaim.step_run_id.in_(step_ids),
                        )
                    )
                ).rowcount,
                "step_runs": core.execute(
                    delete(models.StepRun).where(models.StepRun.pipeline_run_id == run_id)
                ).rowcount,
                "pipeline_runs": core.execute(
                    delete(models.PipelineRun).where(models.PipelineRun.id == run_id)
                ).rowcount,
            }
            # A tombstone no kept step run names any more (its reusers went too) has nothing left to explain.
            rows["deleted_step_runs"] = core.execute(
                delete(models.DeletedStepRun).where(
                    models.DeletedStepRun.id.not_in(
                        select(models.StepRun.reused_from).where(models.StepRun.reused_from.is_not(None))
                    )
                )
            ).rowcount
            # What this run published stays wherever a kept step run or reuse entry still names it (a kept run
            # reused it); the rest is the caller's to remove from the datastores.
            named = set()
            for outputs in s.scalars(select(models.StepRun.outputs)):
                named |= _locations(outputs)
            for outputs in s.scalars(select(models.ReuseEntry.outputs)):
                named |= _locations(outputs)
            own: set[Location] = set()
            for step in steps:
                own |= _locations(step.outputs)
            return DeletedRecords(
                run_id,
                experiment or "",
                status,
                rows,
                sorted(own - named),
                sorted(own & named),
                moved,
                dropped,
            )
