// An experiment's runs as a table: which columns there are, how a row is filtered and sorted, and how the table's
// state reads from and writes to the URL (so a filtered, sorted view can be shared). Plain functions, no React.
import type { Schemas } from "../api/client";

export type RunRow = Schemas["RunWithMetrics"];

/** A column: a fixed one, a parameter (`param:lr`) or a metric (`metric:train/loss`). */
export type ColumnId = "status" | "id" | "started" | "duration" | `param:${string}` | `metric:${string}`;
export type Direction = "asc" | "desc";
export interface Sort {
  column: ColumnId;
  direction: Direction;
}

export interface Filters {
  statuses: string[];
  text: string;
  since: string;
}

export interface TableState {
  filters: Filters;
  sort: Sort;
  /** The metrics shown as columns, in order; null until the user picks (then the defaults apply). */
  metrics: string[] | null;
}

export const DEFAULT_SORT: Sort = { column: "started", direction: "desc" };
// The metrics shown before any are picked: the runs' own, else the first few of the steps'.
const DEFAULT_METRIC_COUNT = 4;

/** Every parameter name among the runs, sorted. */
export function parameterNames(runs: readonly RunRow[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.parameters)) names.add(name);
  return [...names].sort();
}

/** The metric columns shown: those picked that exist, else the runs' own metrics, else the first steps'. */
export function shownMetrics(picked: string[] | null, available: readonly string[]): string[] {
  if (picked !== null) return picked.filter((name) => available.includes(name));
  const own = available.filter((name) => !name.includes("/"));
  return (own.length > 0 ? own : available).slice(0, DEFAULT_METRIC_COUNT);
}

const AGE = /^(\d+)\s*([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The earliest creation time (ms) `since` lets through: an age (`30m`, `2h`, `7d`, `1w`) or a date; null for
 * none or for text that is neither. */
export function sinceCutoff(since: string, now: number): number | null {
  const text = since.trim();
  if (!text) return null;
  const age = AGE.exec(text);
  if (age) return now - Number(age[1]) * (UNIT_MS[age[2] ?? "d"] ?? 0);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

/** Text for a value in a cell or a search: numbers as they are, objects (a DataPath) as `datastore/path`. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") {
    const path = value as { datastore?: unknown; path?: unknown };
    if (typeof path.datastore === "string" && typeof path.path === "string") return `${path.datastore}/${path.path}`;
    return JSON.stringify(value);
  }
  return String(value);
}

/** A metric's value in a cell: numbers to 4 significant digits (whole numbers whole), others as text. */
export function metricText(value: unknown): string {
  if (typeof value !== "number") return valueText(value);
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** Whether a run passes the filters: one of the statuses (any when none), created at or after `since`, and
 * every word of `text` found in its id, a `name=value` of its parameters or tags, or a tag's key. */
export function matches(run: RunRow, filters: Filters, now: number): boolean {
  if (filters.statuses.length > 0 && !filters.statuses.includes(run.status)) return false;
  const cutoff = sinceCutoff(filters.since, now);
  if (cutoff !== null) {
    const created = run.created ? Date.parse(run.created) : NaN;
    if (Number.isNaN(created) || created < cutoff) return false;
  }
  const words = filters.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [
    run.id,
    ...Object.entries(run.parameters).map(([k, v]) => `${k}=${valueText(v)}`),
    ...Object.entries(run.tags).map(([k, v]) => `${k}=${valueText(v)}`),
  ]
    .join("\n")
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}

// The order of statuses when sorting by status: what needs a look first.
const STATUS_RANK: Record<string, number> = {
  Failed: 0,
  Running: 1,
  Preparing: 2,
  Queued: 3,
  NotStarted: 4,
  Canceled: 5,
  Finished: 6,
};

/** The value a column sorts by: a number where there is one, else text; undefined when the run has none. */
export function sortValue(run: RunRow, column: ColumnId): number | string | undefined {
  if (column === "status") return STATUS_RANK[run.status] ?? 7;
  if (column === "id") return run.id;
  if (column === "started") {
    const at = Date.parse(run.started ?? run.created ?? "");
    return Number.isNaN(at) ? undefined : at;
  }
  if (column === "duration") return run.duration_seconds ?? undefined;
  const value = column.startsWith("param:")
    ? run.parameters[column.slice("param:".length)]
    : run.metrics[column.slice("metric:".length)];
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return valueText(value);
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** The runs sorted by a column; runs without a value come last whichever the direction, ties newest first. */
export function sortRuns(runs: readonly RunRow[], sort: Sort): RunRow[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  const keyed = runs.map((run, index) => ({ run, index, value: sortValue(run, sort.column) }));
  keyed.sort((x, y) => {
    if (x.value === undefined || y.value === undefined) {
      if (x.value === y.value) return x.index - y.index;
      return x.value === undefined ? 1 : -1;
    }
    return sign * compare(x.value, y.value) || x.index - y.index;
  });
  return keyed.map((k) => k.run);
}

/** The runs to show: filtered, then sorted. */
export function visibleRuns(runs: readonly RunRow[], state: TableState, now: number): RunRow[] {
  return sortRuns(
    runs.filter((run) => matches(run, state.filters, now)),
    state.sort,
  );
}

/** A column's sort after a click on its header: a new column sorts descending, the same one flips. */
export function nextSort(current: Sort, column: ColumnId): Sort {
  if (current.column !== column) return { column, direction: column === "id" ? "asc" : "desc" };
  return { column, direction: current.direction === "asc" ? "desc" : "asc" };
}

function isColumnId(text: string): text is ColumnId {
  return ["status", "id", "started", "duration"].includes(text) || /^(param|metric):./.test(text);
}

/** The table's state as the URL's query keeps it: `status=Failed,Running&q=lr%3D0.1&since=7d&sort=metric:acc&dir=asc
 * &metrics=acc,loss` (`metrics=` with nothing after it: none picked). */
export function readState(params: URLSearchParams): TableState {
  const list = (key: string) => (params.get(key) ?? "").split(",").filter(Boolean);
  const column = params.get("sort") ?? "";
  const direction = params.get("dir");
  return {
    filters: { statuses: list("status"), text: params.get("q") ?? "", since: params.get("since") ?? "" },
    sort: isColumnId(column)
      ? { column, direction: direction === "asc" ? "asc" : "desc" }
      : DEFAULT_SORT,
    metrics: params.has("metrics") ? list("metrics") : null,
  };
}

/** The query that `readState` reads back as `state`; defaults are left out, so a plain view has a plain URL. */
export function writeState(state: TableState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.filters.statuses.length > 0) params.set("status", state.filters.statuses.join(","));
  if (state.filters.text) params.set("q", state.filters.text);
  if (state.filters.since) params.set("since", state.filters.since);
  if (state.sort.column !== DEFAULT_SORT.column || state.sort.direction !== DEFAULT_SORT.direction) {
    params.set("sort", state.sort.column);
    params.set("dir", state.sort.direction);
  }
  if (state.metrics !== null) params.set("metrics", state.metrics.join(","));
  return params;
}

/** The compare page's URL for these runs. */
export function compareUrl(runIds: readonly string[]): string {
  return `/compare?runs=${runIds.map(encodeURIComponent).join(",")}`;
}
