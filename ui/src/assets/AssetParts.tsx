import { Link } from "react-router-dom";
import type { RunRef } from "./lineage";
import { runHref } from "./lineage";

/** Tags as `key=value` chips; "—" when there are none. */
export function Tags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="tag-list">
      {entries.map(([k, v]) => (
        <span className="tag" key={k} title={`${k}=${v}`}>
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** Who made a version: its step and run, linked to the run page at that step; "registered by hand" otherwise. */
export function ProducedBy({ by }: { by: RunRef | null | undefined }) {
  if (!by) return <span className="muted">registered by hand</span>;
  return (
    <Link to={runHref(by)} title={`run ${by.pipeline_run_id}`} className="run-cell">
      {by.step_name && <span>{by.step_name}</span>}
      <span className="mono muted">{by.pipeline_run_id.slice(0, 8)}</span>
    </Link>
  );
}

/** A content digest, shortened, whole on hover. */
export function Digest({ digest }: { digest: string }) {
  return (
    <span className="mono" title={digest}>
      {digest.length > 20 ? `${digest.slice(0, 20)}…` : digest}
    </span>
  );
}
