import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import { Link } from "react-router-dom";
import { StatusBadge } from "../components/StatusBadge";
import { elapsedSeconds, formatAgo, formatDateTime, formatDuration } from "../time";
import { type ColumnId, metricText, nextSort, type RunRow, type Sort, valueText } from "./runTable";

const ROW_HEIGHT = 36;

interface Column {
  id: ColumnId;
  label: string;
  width: number;
  numeric?: boolean;
  title?: string;
}

/** The runs as rows of a table that renders only those in view, so thousands scroll smoothly; each header
 * sorts by its column, each row has a checkbox to pick it for comparing and links to its run. */
export function RunsGrid({
  runs,
  parameters,
  metrics,
  sort,
  onSort,
  selected,
  onSelect,
  now,
}: {
  runs: readonly RunRow[];
  parameters: readonly string[];
  metrics: readonly string[];
  sort: Sort;
  onSort: (sort: Sort) => void;
  selected: readonly string[];
  onSelect: (ids: string[]) => void;
  now: number;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const columns: Column[] = [
    { id: "status", label: "Status", width: 116 },
    { id: "id", label: "Run", width: 96 },
    { id: "started", label: "Started", width: 118 },
    { id: "duration", label: "Duration", width: 92, numeric: true },
    ...parameters.map((p): Column => ({ id: `param:${p}`, label: p, width: 116, title: `parameter ${p}` })),
    ...metrics.map((m): Column => ({ id: `metric:${m}`, label: m, width: 132, numeric: true, title: `metric ${m}` })),
  ];
  const template = `40px ${columns.map((c) => `${c.width}px`).join(" ")} minmax(0, 1fr)`;
  const width = 40 + columns.reduce((sum, c) => sum + c.width, 0);
  const chosen = new Set(selected);
  const allChosen = runs.length > 0 && runs.every((r) => chosen.has(r.id));
  const toggle = (id: string) => onSelect(chosen.has(id) ? selected.filter((s) => s !== id) : [...selected, id]);
  // A rule before the first parameter and the first metric, as the column groups start.
  const groupStarts = new Set([4, 4 + parameters.length].filter((i) => i < columns.length));

  return (
    <div className="grid-scroll" ref={scroller} role="table" aria-label="Runs" aria-rowcount={runs.length + 1}>
      <div className="grid-row grid-head" role="row" style={{ gridTemplateColumns: template, minWidth: width }}>
        <div role="columnheader" className="grid-check">
          <input
            type="checkbox"
            aria-label="Select every run shown"
            checked={allChosen}
            onChange={() => onSelect(allChosen ? [] : runs.map((r) => r.id))}
          />
        </div>
        {columns.map((column, index) => {
          const sorted = sort.column === column.id;
          return (
            <div
              key={column.id}
              role="columnheader"
              aria-sort={sorted ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}
              className={`${column.numeric ? "num" : ""} ${groupStarts.has(index) ? "group-start" : ""}`}
            >
              <button
                type="button"
                className="sort"
                title={column.title ?? `Sort by ${column.label}`}
                onClick={() => onSort(nextSort(sort, column.id))}
              >
                <span className="sort-label">{column.label}</span>
                <span aria-hidden="true" className="sort-mark">
                  {sorted ? (sort.direction === "asc" ? "▲" : "▼") : ""}
                </span>
              </button>
            </div>
          );
        })}
        <div role="columnheader" className="muted-head">
          Tags
        </div>
      </div>
      <div style={{ height: rows.getTotalSize(), position: "relative", minWidth: width }}>
        {rows.getVirtualItems().map((item) => {
          const run = runs[item.index];
          if (!run) return null;
          const started = run.started ?? run.created;
          const seconds = run.duration_seconds ?? (run.started ? elapsedSeconds(run.started, run.ended, now) : null);
          return (
            <div
              key={run.id}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={chosen.has(run.id)}
              className={`grid-row ${chosen.has(run.id) ? "chosen" : ""}`}
              style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
            >
              <div role="cell" className="grid-check">
                <input
                  type="checkbox"
                  aria-label={`Select run ${run.id.slice(0, 8)}`}
                  checked={chosen.has(run.id)}
                  onChange={() => toggle(run.id)}
                />
              </div>
              <div role="cell">
                <StatusBadge status={run.status} reused={run.reused} />
              </div>
              <div role="cell">
                <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">
                  {run.id.slice(0, 8)}
                </Link>
              </div>
              <div role="cell" className="muted" title={formatDateTime(started)}>
                {formatAgo(started, now)}
              </div>
              <div role="cell" className="num">
                {formatDuration(seconds)}
              </div>
              {parameters.map((p, index) => (
                <div
                  role="cell"
                  key={p}
                  className={`mono clip ${index === 0 ? "group-start" : ""}`}
                  title={valueText(run.parameters[p])}
                >
                  {valueText(run.parameters[p])}
                </div>
              ))}
              {metrics.map((m, index) => (
                <div
                  role="cell"
                  key={m}
                  className={`num mono ${index === 0 ? "group-start" : ""}`}
                  title={valueText(run.metrics[m])}
                >
                  {metricText(run.metrics[m])}
                </div>
              ))}
              <div role="cell" className="clip muted">
                {Object.entries(run.tags)
                  .map(([k, v]) => `${k}=${valueText(v)}`)
                  .join("  ")}
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
