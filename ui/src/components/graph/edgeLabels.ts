// Where the graph writes the names of the data its edges carry, so that no two labels overlap where many edges
// meet one step. Every edge leaves the bottom middle of its source and enters the top middle of its target as a
// vertical cubic curve; a label sits on its edge near the end where the edges spread apart (near the source in a
// fan-in, near the target in a fan-out), slides along the curve when it would cover another, and the labels into
// one step that still cannot all be placed become one "10 inputs" label whose tooltip lists them. The same data
// sent to several steps is named once, just below the step that writes it.

export interface Point {
  x: number;
  y: number;
}

export interface LabelledEdge {
  source: string;
  target: string;
  data: string[];
}

export interface EdgeLabel {
  /** the label's centre, in flow coordinates */
  x: number;
  y: number;
  text: string;
  /** every data name it stands for, one a line, for its tooltip */
  title: string;
  width: number;
  height: number;
}

export interface LabelPlan {
  /** each placed label, keyed by its edge's id (`edgeId`) */
  byEdge: Map<string, EdgeLabel>;
  /** one label per step whose inputs were too many to name apart, keyed by the step */
  merged: Map<string, EdgeLabel>;
  /** one label per step that sends the same data to several steps, just below it, keyed by the step */
  fanned: Map<string, EdgeLabel>;
}

export interface LabelOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** the width of one character of the labels' monospace font, in flow pixels */
  charWidth: number;
  height: number;
  /** a label longer than this many characters is cut with an ellipsis (the tooltip has it whole) */
  maxChars: number;
  /** labels into one step past this many are merged straight away: a dozen names say less than a count */
  mergeAbove: number;
}

export const DEFAULT_LABELS: LabelOptions = { nodeWidth: 220, nodeHeight: 64, charWidth: 6.7, height: 18, maxChars: 28, mergeAbove: 12 };

export function edgeId(e: { source: string; target: string }): string {
  return `${e.source}->${e.target}`;
}

/** The ends and control points of the curve from `source`'s bottom middle to `target`'s top middle (nodes at
 * their top-left corners), or, for a long edge, of its first (`end` "source") or last (`end` "target") stretch to
 * or from its route's waypoints. */
export function edgeCurve(
  source: Point,
  target: Point,
  size: { nodeWidth: number; nodeHeight: number },
  route: readonly Point[] = [],
  end: "source" | "target" = "source",
): [Point, Point, Point, Point] {
  const from = { x: source.x + size.nodeWidth / 2, y: source.y + size.nodeHeight };
  const to = { x: target.x + size.nodeWidth / 2, y: target.y };
  if (!route.length) return stretch(from, to);
  return end === "source" ? stretch(from, route[0]!) : stretch(route[route.length - 1]!, to);
}

/** The vertical cubic curve from `from` down to `to`: it leaves and arrives upright, so stretches join smoothly. */
export function stretch(from: Point, to: Point): [Point, Point, Point, Point] {
  const drop = to.y - from.y;
  // downward: halfway; upward (an edge on a cycle, which a spec has none of): a loop out of the way
  const bend = drop >= 0 ? drop / 2 : 0.25 * 25 * Math.sqrt(-drop);
  return [from, { x: from.x, y: from.y + bend }, { x: to.x, y: to.y - bend }, to];
}

/** The SVG path from `from` through `route` to `to`, one smooth vertical curve per stretch. */
export function routePath(from: Point, route: readonly Point[], to: Point): string {
  const points = [from, ...route, to];
  let path = `M${from.x},${from.y}`;
  for (let i = 1; i < points.length; i++) {
    const [, c1, c2, end] = stretch(points[i - 1]!, points[i]!);
    path += ` C${c1.x},${c1.y} ${c2.x},${c2.y} ${end.x},${end.y}`;
  }
  return path;
}

/** The point at `t` (0 at the source, 1 at the target) of a cubic curve. */
export function pointAt([p0, p1, p2, p3]: readonly [Point, Point, Point, Point], t: number): Point {
  const u = 1 - t;
  const a = u * u * u;
  const b = 3 * u * u * t;
  const c = 3 * u * t * t;
  const d = t * t * t;
  return { x: a * p0.x + b * p1.x + c * p2.x + d * p3.x, y: a * p0.y + b * p1.y + c * p2.y + d * p3.y };
}

/** `shards`, `a, b`, `a, b +3`: the names of the data an edge carries, cut to `maxChars`. */
export function labelText(data: readonly string[], maxChars: number): string {
  const shown = data.length <= 2 ? data.join(", ") : `${data.slice(0, 2).join(", ")} +${data.length - 2}`;
  return shown.length <= maxChars ? shown : `${shown.slice(0, maxChars - 1)}…`;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const overlaps = (a: Box, b: Box) =>
  a.x - a.width / 2 < b.x + b.width / 2 && b.x - b.width / 2 < a.x + a.width / 2 && a.y - a.height / 2 < b.y + b.height / 2 && b.y - b.height / 2 < a.y + a.height / 2;

// Where along its edge a label may sit, best first: near the end where edges spread, then farther along.
const NEAR_SOURCE = [0.22, 0.36, 0.5, 0.64, 0.12];
const NEAR_TARGET = [0.78, 0.64, 0.5, 0.36, 0.88];

/** Place a label on every edge that carries data, none over another or over a step; see the module comment. */
export function placeLabels(
  edges: readonly LabelledEdge[],
  positions: ReadonlyMap<string, Point>,
  options: Partial<LabelOptions> = {},
  routes: ReadonlyMap<string, readonly Point[]> = new Map(),
): LabelPlan {
  const o = { ...DEFAULT_LABELS, ...options };
  const fanIn = new Map<string, LabelledEdge[]>();
  const fanOut = new Map<string, number>();
  for (const e of edges) {
    if (!e.data.length || !positions.has(e.source) || !positions.has(e.target)) continue;
    (fanIn.get(e.target) ?? fanIn.set(e.target, []).get(e.target)!).push(e);
    fanOut.set(e.source, (fanOut.get(e.source) ?? 0) + 1);
  }
  const byEdge = new Map<string, EdgeLabel>();
  const merged = new Map<string, EdgeLabel>();
  const fanned = new Map<string, EdgeLabel>();
  // Steps are taken room too: a label on a long edge must not land on a step it passes.
  const taken: Box[] = [...positions.values()].map((p) => ({ x: p.x + o.nodeWidth / 2, y: p.y + o.nodeHeight / 2, width: o.nodeWidth, height: o.nodeHeight }));
  const free = (box: Box) => !taken.some((t) => overlaps(t, box));
  const sized = (text: string, at: Point, title: string): EdgeLabel => ({
    x: at.x,
    y: at.y,
    text,
    title,
    width: Math.ceil(text.length * o.charWidth) + 10,
    height: o.height,
  });
  const mergedLabel = (target: string, into: LabelledEdge[]): EdgeLabel => {
    const at = positions.get(target)!;
    const names = [...new Set(into.flatMap((e) => e.data))];
    // just above the step, where its edges arrive together
    return sized(`${names.length} inputs`, { x: at.x + o.nodeWidth / 2, y: at.y - o.height / 2 - 4 }, names.join("\n"));
  };

  // The same data to several steps: one label under the writer, first, as it says the most.
  const sent = new Map<string, LabelledEdge[]>();
  for (const into of fanIn.values())
    for (const e of into) {
      const key = `${e.source}\u0000${e.data.join("\u0000")}`;
      (sent.get(key) ?? sent.set(key, []).get(key)!).push(e);
    }
  const named = new Set<LabelledEdge>();
  for (const out of sent.values()) {
    const at = positions.get(out[0]!.source)!;
    if (out.length < 2 || fanned.has(out[0]!.source)) continue;
    const label = sized(labelText(out[0]!.data, o.maxChars), { x: at.x + o.nodeWidth / 2, y: at.y + o.nodeHeight + o.height / 2 + 4 }, `${out[0]!.data.join("\n")}\nto ${out.length} steps`);
    fanned.set(out[0]!.source, label);
    taken.push(label);
    for (const e of out) named.add(e);
  }

  // The most crowded steps first, so that a step's many inputs claim room before a lone edge elsewhere does.
  const targets = [...fanIn.entries()]
    .map(([target, into]) => [target, into.filter((e) => !named.has(e))] as const)
    .filter(([, into]) => into.length > 0)
    .sort((a, b) => b[1].length - a[1].length);
  for (const [target, into] of targets) {
    if (into.length > o.mergeAbove) {
      const label = mergedLabel(target, into);
      merged.set(target, label);
      taken.push(label);
      continue;
    }
    const placed: [string, EdgeLabel][] = [];
    for (const e of [...into].sort((a, b) => positions.get(a.source)!.x - positions.get(b.source)!.x)) {
      const spreadAtSource = into.length >= (fanOut.get(e.source) ?? 1);
      const curve = edgeCurve(positions.get(e.source)!, positions.get(e.target)!, o, routes.get(edgeId(e)), spreadAtSource ? "source" : "target");
      const text = labelText(e.data, o.maxChars);
      const label = (spreadAtSource ? NEAR_SOURCE : NEAR_TARGET)
        .map((t) => sized(text, pointAt(curve, t), e.data.join("\n")))
        .find((candidate) => free(candidate));
      if (!label) break;
      placed.push([edgeId(e), label]);
      taken.push(label);
    }
    if (placed.length === into.length) for (const [id, label] of placed) byEdge.set(id, label);
    else {
      // some would cover others: name none apart, count them all in one label
      taken.splice(taken.length - placed.length, placed.length);
      const label = mergedLabel(target, into);
      merged.set(target, label);
      taken.push(label);
    }
  }
  return { byEdge, merged, fanned };
}
