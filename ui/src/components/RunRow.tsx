import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Schemas } from "../api/client";
import { elapsedSeconds, formatAgo, formatDateTime, formatDuration } from "../time";
import { StatusBadge } from "./StatusBadge";

/** A run as a table row: its id (a link to its page), experiment, status, duration (growing while it runs) and
 * start; `children` add cells after those. */
export function RunRow({ run, now, children }: { run: Schemas["RunSummary"]; now: number; children?: ReactNode }) {
  const started = run.started ?? run.created;
  const seconds = run.duration_seconds ?? (run.started ? elapsedSeconds(run.started, run.ended, now) : null);
  return (
    <tr>
      <td>
        <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">
          {run.id.slice(0, 8)}
        </Link>
      </td>
      <td>
        <Link to={`/experiments/${encodeURIComponent(run.experiment)}`}>{run.experiment}</Link>
      </td>
      <td>
        <StatusBadge status={run.status} reused={run.reused} />
      </td>
      <td className="num">{formatDuration(seconds)}</td>
      <td className="muted" title={formatDateTime(started)}>
        {formatAgo(started, now)}
      </td>
      {children}
    </tr>
  );
}

/** The header cells of `RunRow`'s cells, in their order. */
export function RunHeaderCells() {
  return (
    <>
      <th>Run</th>
      <th>Experiment</th>
      <th>Status</th>
      <th className="num">Duration</th>
      <th>Started</th>
    </>
  );
}
