import { Link } from "react-router-dom";
import { statusWord } from "../../status";
import { elapsedSeconds, formatAgo, formatDateTime, formatDuration } from "../../time";
import { CopyButton } from "../CopyButton";
import { StatusBadge } from "../StatusBadge";
import type { RunOutline } from "./queries";
import { ResubmitButton } from "./ResubmitButton";
import { shortId, triggerOf } from "./trigger";
import { useNow } from "./useNow";

function scalarOf(value: unknown): string | null {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.length > 0) return scalarOf(value[value.length - 1]);
  return null;
}

/** The run at a glance: its short id (the whole one a click away), status, experiment, when and how long, what
 * started it, what it was given and what it logged; and Re-submit. */
export function RunHeader({ run, metrics }: { run: RunOutline; metrics: Record<string, unknown> }) {
  const now = useNow(run.ended ? null : 1000);
  const duration = run.reused ? 0 : elapsedSeconds(run.started, run.ended, now);
  const parameters = Object.entries(run.parameters);
  const tags = Object.entries(run.tags);
  const trigger = triggerOf(run.tags);
  const logged = Object.entries(metrics)
    .map(([name, value]) => [name, scalarOf(value)] as const)
    .filter(([, v]) => v !== null);
  const counts = run.steps.reduce<Record<string, number>>((c, s) => ((c[s.status] = (c[s.status] ?? 0) + 1), c), {});
  return (
    <header className="run-header">
      <div className="run-title-row">
        <div className="run-title">
          <div className="crumbs">
            <Link to="/">Runs</Link>
            <span aria-hidden="true">/</span>
            <Link to={`/experiments/${encodeURIComponent(run.experiment)}`} data-testid="run-experiment">
              {run.experiment}
            </Link>
          </div>
          <h1>
            <span className="mono run-id" title={run.id} data-testid="run-id">
              {shortId(run.id)}
            </span>
            <CopyButton text={run.id} label="Copy id" />
            <span data-testid="run-status">
              <StatusBadge status={run.status} reused={run.reused} />
            </span>
          </h1>
          {run.description && <p className="run-description">{run.description}</p>}
        </div>
        <div className="run-actions">
          <ResubmitButton run={run} />
        </div>
      </div>
      <dl className="run-facts">
        <div>
          <dt>Started</dt>
          <dd title={formatDateTime(run.started)}>{formatAgo(run.started, now)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(duration)}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd>
            {run.steps.length}
            {Object.entries(counts).length > 1 && (
              <span className="muted">
                {" "}
                ({Object.entries(counts).map(([s, n]) => `${n} ${statusWord(s).toLowerCase()}`).join(", ")})
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>{trigger.what}</dt>
          <dd data-testid="run-trigger">{trigger.to ? <Link to={trigger.to}>{trigger.name}</Link> : trigger.name}</dd>
        </div>
        {run.reason && (
          <div>
            <dt>Reason</dt>
            <dd>{run.reason}</dd>
          </div>
        )}
      </dl>
      {(parameters.length > 0 || logged.length > 0 || tags.length > 0) && (
        <div className="chips-rows">
          {parameters.length > 0 && (
            <div className="chips" aria-label="Parameters">
              <span className="chips-label">Parameters</span>
              {parameters.map(([name, value]) => (
                <span className="chip" key={name}>
                  <span className="muted">{name}</span> <span className="mono">{JSON.stringify(value)}</span>
                </span>
              ))}
            </div>
          )}
          {tags.length > 0 && (
            <div className="chips" aria-label="Tags">
              <span className="chips-label">Tags</span>
              {tags.map(([name, value]) => (
                <span className="chip" key={name}>
                  <span className="muted">{name}</span> <span className="mono">{String(value)}</span>
                </span>
              ))}
            </div>
          )}
          {logged.length > 0 && (
            <div className="chips" aria-label="Metrics">
              <span className="chips-label">Metrics</span>
              {logged.map(([name, value]) => (
                <span className="chip" key={name}>
                  <span className="muted">{name}</span> <span className="mono">{value}</span>
                </span>
              ))}
            </div>
          )}
        </div>
      )}
    </header>
  );
}
