// Many steps of one name pattern (`shard_0001`..`shard_9999`) drawn as one group node, so that a run of ten
// thousand steps opens as a graph a person can read; a group the user expands shows its steps again.

export interface StepNodeData {
  key: string;
  name: string;
  id: string;
  status: string;
  is_reused: boolean;
  /** when it started and ended (ISO texts), for the duration its node shows; null until known */
  started?: string | null;
  ended?: string | null;
}

export interface StepEdgeData {
  source: string;
  target: string;
  data: string[];
}

export interface StepItem {
  kind: "step";
  id: string;
  step: StepNodeData;
}

export interface GroupItem {
  kind: "group";
  id: string;
  prefix: string;
  label: string;
  steps: StepNodeData[];
  /** how many of its steps are in each status */
  statuses: Record<string, number>;
  reused: number;
}

export type GraphItem = StepItem | GroupItem;

export interface GroupedGraph {
  items: GraphItem[];
  edges: StepEdgeData[];
  /** the item each step key is drawn in */
  itemOf: Map<string, string>;
}

export interface GroupOptions {
  /** group only when the run has more steps than this */
  above: number;
  /** a prefix needs at least this many steps to become a group */
  minSize: number;
  /** prefixes the user expanded */
  expanded: ReadonlySet<string>;
}

export const DEFAULT_GROUPING: GroupOptions = { above: 1500, minSize: 20, expanded: new Set() };

/** The name without its trailing number: `shard_0042` -> `shard_`, `fold-3` -> `fold-`; null when it ends in none. */
export function namePrefix(name: string): string | null {
  const match = /^(.*?)\d+$/.exec(name);
  return match && match[1] ? match[1] : null;
}

export function groupId(prefix: string): string {
  return `group:${prefix}`;
}

/** The run's steps with every large family of numbered names folded into one group node, and the edges between
 * what is drawn (an edge inside a group goes; edges between the same two items become one, with the data names
 * of all of them). */
export function groupSteps(
  steps: readonly StepNodeData[],
  edges: readonly StepEdgeData[],
  options: Partial<GroupOptions> = {},
): GroupedGraph {
  const o = { ...DEFAULT_GROUPING, ...options };
  const families = new Map<string, StepNodeData[]>();
  if (steps.length > o.above) {
    for (const step of steps) {
      const prefix = namePrefix(step.name);
      if (prefix !== null && !o.expanded.has(prefix)) {
        const family = families.get(prefix);
        if (family) family.push(step);
        else families.set(prefix, [step]);
      }
    }
  }
  const items: GraphItem[] = [];
  const itemOf = new Map<string, string>();
  const emitted = new Set<string>();
  for (const step of steps) {
    const prefix = namePrefix(step.name);
    const family = prefix === null ? undefined : families.get(prefix);
    if (prefix === null || !family || family.length < o.minSize) {
      items.push({ kind: "step", id: step.key, step });
      itemOf.set(step.key, step.key);
      continue;
    }
    const id = groupId(prefix);
    itemOf.set(step.key, id);
    if (emitted.has(id)) continue;
    emitted.add(id);
    items.push(summarize(id, prefix, family));
  }
  const merged = new Map<string, StepEdgeData>();
  for (const edge of edges) {
    const source = itemOf.get(edge.source);
    const target = itemOf.get(edge.target);
    if (source === undefined || target === undefined || source === target) continue;
    const id = `${source}\u0000${target}`;
    const known = merged.get(id);
    if (!known) merged.set(id, { source, target, data: [...edge.data] });
    else for (const name of edge.data) if (!known.data.includes(name)) known.data.push(name);
  }
  return { items, edges: [...merged.values()], itemOf };
}

/** A group of `steps` with the counts of their statuses. */
export function summarize(id: string, prefix: string, steps: StepNodeData[]): GroupItem {
  const statuses: Record<string, number> = {};
  let reused = 0;
  for (const step of steps) {
    statuses[step.status] = (statuses[step.status] ?? 0) + 1;
    if (step.is_reused) reused++;
  }
  return { kind: "group", id, prefix, label: `${prefix}*`, steps, statuses, reused };
}

const SEVERITY = ["Failed", "Running", "Preparing", "Queued", "NotStarted", "Canceled", "Finished"];

/** The one status a group shows: any failure, else whatever still goes on, else how it ended. */
export function groupStatus(statuses: Record<string, number>): string {
  for (const status of SEVERITY) if ((statuses[status] ?? 0) > 0) return status;
  return Object.keys(statuses)[0] ?? "NotStarted";
}
