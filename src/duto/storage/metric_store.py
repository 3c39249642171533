"""Reading what runs and steps logged: every row, each metric's last row, one metric's rows.

Metrics are written with their events by `RunsStore.record_metrics` (one transaction with the events file's
offset); this module only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from duto.storage import models
from duto.storage.db import Database


class MetricStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def metrics(self, run_ids: Sequence[str]) -> list[models.Metric]:
        with self.db.reading() as s:
            return list(
                s.scalars(select(models.Metric).where(models.Metric.run_id.in_(run_ids)).order_by(models.Metric.id))
            )

    def last_metrics(self, run_ids: Sequence[str]) -> list[tuple[models.Metric, int]]:
        """The last row of each metric of these runs (steps' or pipelines') with how many rows it has: one query,
        however many points were logged (comparing runs needs no more, and a 100,000-point series took seconds
        to load whole)."""
        metric = models.Metric
        last = (
            select(func.max(metric.id).label("id"), func.count().label("rows"))
            .where(metric.run_id.in_(run_ids))
            .group_by(metric.run_id, metric.name)
            .subquery()
        )
        with self.db.reading() as s:
            found = s.execute(select(metric, last.c.rows).join(last, metric.id == last.c.id).order_by(metric.id))
            return [(row, int(rows)) for row, rows in found]

    def metric_rows(self, run_id: str, name: str) -> list[models.Metric]:
        """Every row of one metric of a run, oldest first."""
        with self.db.reading() as s:
            query = select(models.Metric).where(models.Metric.run_id == run_id, models.Metric.name == name)
            return list(s.scalars(query.order_by(models.Metric.id)))
