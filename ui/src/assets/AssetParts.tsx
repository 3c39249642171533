import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { formatAgo, formatDateTime } from "../time";
import type { GridColumn } from "./AssetGrid";
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
      <span>{by.step_name ?? "run"}</span>
      <span className="mono muted">{by.pipeline_run_id.slice(0, 8)}</span>
    </Link>
  );
}

/** A content digest, shortened to `length` characters, whole on hover. */
export function Digest({ digest, length = 20 }: { digest: string; length?: number }) {
  return (
    <span className="mono digest" title={digest}>
      {digest.length > length ? `${digest.slice(0, length)}…` : digest}
    </span>
  );
}

/** The columns every asset's versions table starts with: its version (a link that picks it) and when it was
 * registered. */
export function versionColumns<T extends { version: number; created_at: string }>(now: number): GridColumn<T>[] {
  return [
    {
      label: "Version",
      width: "90px",
      cell: (v) => (
        <Link to={{ search: `?version=${v.version}` }} replace preventScrollReset className="version">
          v{v.version}
        </Link>
      ),
    },
    {
      label: "Registered",
      width: "120px",
      cell: (v) => (
        <span className="muted" title={formatDateTime(v.created_at)}>
          {formatAgo(v.created_at, now)}
        </span>
      ),
    },
  ];
}

/** An asset page's header: the way back to its list, its name (and what follows it) and what it is. */
export function AssetHeader({
  list,
  listLabel,
  title,
  description,
}: {
  list: string;
  listLabel: string;
  title: ReactNode;
  description: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <p className="crumbs">
          <Link to={list}>{listLabel}</Link> /
        </p>
        <h1>{title}</h1>
        <p>{description}</p>
      </div>
    </div>
  );
}
