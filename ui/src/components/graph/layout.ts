// A layered layout of a directed acyclic graph, top to bottom: longest-path layering, an edge that spans layers
// broken at each layer it crosses by a narrow waypoint that takes its place in that layer (so that it is routed
// between the nodes, not through them), then a few barycenter sweeps to order each layer, then coordinates. Each sweep is linear in nodes and edges (plus a sort per layer),
// so a thousand-step fan-out or chain lays out in milliseconds where dagre takes seconds.

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** horizontal space between two nodes of a layer */
  gap: number;
  /** vertical space between two layers */
  layerGap: number;
  /** barycenter sweeps, alternating down and up */
  sweeps: number;
  /** the width a long edge takes in each layer it crosses */
  laneWidth: number;
}

export interface Layout {
  /** the top-left corner of each node */
  positions: Map<string, { x: number; y: number }>;
  /** the nodes of each layer, left to right */
  layers: string[][];
  /** each node's layer */
  rank: Map<string, number>;
  /** the points a long edge (one spanning layers, keyed `source->target`) passes, top to bottom: the top and the
   * bottom of its lane in each layer it crosses */
  routes: Map<string, { x: number; y: number }[]>;
  width: number;
  height: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 220, nodeHeight: 64, gap: 32, layerGap: 72, sweeps: 4, laneWidth: 8 };

/** Lay `ids` out in layers so that every edge points down; edges naming unknown nodes are ignored, and nodes on
 * a cycle (a spec has none) go below the others. */
export function layeredLayout(ids: readonly string[], edges: readonly LayoutEdge[], options: Partial<LayoutOptions> = {}): Layout {
  const o = { ...DEFAULT_LAYOUT, ...options };
  const n = ids.length;
  const index = new Map<string, number>();
  ids.forEach((id, i) => index.set(id, i));
  const preds: number[][] = Array.from({ length: n }, () => []);
  const succs: number[][] = Array.from({ length: n }, () => []);
  for (const e of edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    succs[s]!.push(t);
    preds[t]!.push(s);
  }

  // Longest path from the sources, in topological order (Kahn).
  const rank = new Int32Array(n);
  const waiting = new Int32Array(n);
  for (let i = 0; i < n; i++) waiting[i] = preds[i]!.length;
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) queue.push(i);
  const placed = new Uint8Array(n);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    placed[v] = 1;
    for (const w of succs[v]!) {
      if (rank[v]! + 1 > rank[w]!) rank[w] = rank[v]! + 1;
      if (--waiting[w]! === 0) queue.push(w);
    }
  }
  let deepest = 0;
  for (let i = 0; i < n; i++) if (placed[i] && rank[i]! > deepest) deepest = rank[i]!;
  for (let i = 0; i < n; i++) if (!placed[i]) rank[i] = ++deepest;

  const layers: number[][] = [];
  for (const v of queue.length === n ? queue : [...queue, ...Array.from({ length: n }, (_, i) => i).filter((i) => !placed[i])]) {
    (layers[rank[v]!] ??= []).push(v);
  }
  for (let r = 0; r < layers.length; r++) layers[r] ??= [];

  // Long edges: a chain of waypoints (indices from n on), one per layer crossed, in place of the direct edge, so
  // that the sweeps order the waypoints with the nodes.
  const long: { edge: LayoutEdge; lane: number[] }[] = [];
  for (let s = 0; s < n; s++) {
    for (const t of succs[s]!.filter((t) => rank[t]! - rank[s]! > 1)) {
      succs[s] = succs[s]!.filter((x) => x !== t);
      preds[t] = preds[t]!.filter((x) => x !== s);
      const lane: number[] = [];
      let above = s;
      for (let r = rank[s]! + 1; r < rank[t]!; r++) {
        const w = preds.length;
        preds.push([above]);
        succs.push([]);
        succs[above]!.push(w);
        layers[r]!.push(w);
        lane.push(w);
        above = w;
      }
      succs[above]!.push(t);
      preds[t]!.push(above);
      long.push({ edge: { source: ids[s]!, target: ids[t]! }, lane });
    }
  }
  const count = preds.length;

  // Where a node sits in its layer, centred on 0, so that layers of different widths compare.
  const position = new Float64Array(count);
  const place = (layer: number[]) => {
    const middle = (layer.length - 1) / 2;
    layer.forEach((v, i) => (position[v] = i - middle));
  };
  layers.forEach(place);
  const barycenter = new Float64Array(count);
  const sortBy = (layer: number[], neighbours: number[][]) => {
    for (const v of layer) {
      const near = neighbours[v]!;
      if (near.length === 0) {
        barycenter[v] = position[v]!;
        continue;
      }
      let sum = 0;
      for (const u of near) sum += position[u]!;
      barycenter[v] = sum / near.length;
    }
    layer.sort((a, b) => barycenter[a]! - barycenter[b]! || position[a]! - position[b]!);
    place(layer);
  };
  for (let sweep = 0; sweep < o.sweeps; sweep++) {
    if (sweep % 2 === 0) for (let r = 1; r < layers.length; r++) sortBy(layers[r]!, preds);
    else for (let r = layers.length - 2; r >= 0; r--) sortBy(layers[r]!, succs);
  }

  const itemWidth = (v: number) => (v < n ? o.nodeWidth : o.laneWidth);
  const span = (layer: number[]) => layer.reduce((sum, v) => sum + itemWidth(v), 0) + Math.max(0, layer.length - 1) * o.gap;
  const width = layers.reduce((most, layer) => Math.max(most, span(layer)), 0);
  const positions = new Map<string, { x: number; y: number }>();
  const laneX = new Float64Array(count);
  const rankOf = new Map<string, number>();
  const named: string[][] = layers.map((layer, r) => {
    let x = (width - span(layer)) / 2;
    const real: string[] = [];
    for (const v of layer) {
      if (v < n) {
        const id = ids[v]!;
        positions.set(id, { x, y: r * (o.nodeHeight + o.layerGap) });
        rankOf.set(id, r);
        real.push(id);
      } else laneX[v] = x + o.laneWidth / 2 - o.nodeWidth / 2; // as a node's left edge, so its middle is the lane
      x += itemWidth(v) + o.gap;
    }
    return real;
  });
  const routes = new Map<string, { x: number; y: number }[]>();
  for (const { edge, lane } of long) {
    const top = rank[index.get(edge.source)!]! + 1;
    routes.set(
      `${edge.source}->${edge.target}`,
      lane.flatMap((w, i) => {
        const x = laneX[w]! + o.nodeWidth / 2;
        const y = (top + i) * (o.nodeHeight + o.layerGap);
        return [
          { x, y },
          { x, y: y + o.nodeHeight },
        ];
      }),
    );
  }
  const height = layers.length === 0 ? 0 : layers.length * o.nodeHeight + (layers.length - 1) * o.layerGap;
  return { positions, layers: named, rank: rankOf, routes, width, height };
}

/** The nodes a big graph first shows, enough to read: from the top layer down, the `perLayer` nearest the middle
 * of each layer, until there are `count` or `layers` layers are taken. (Fitting a thousand-wide layer would draw
 * every node as a speck, and fitting two dozen layers of a chain would too.) */
export function startingNodes(layout: Layout, count = 24, perLayer = 6, layers = 4): string[] {
  const middle = layout.width / 2;
  const centre = (id: string) => Math.abs((layout.positions.get(id)?.x ?? 0) + DEFAULT_LAYOUT.nodeWidth / 2 - middle);
  const chosen: string[] = [];
  for (const layer of layout.layers.slice(0, layers)) {
    const nearest = layer.length <= perLayer ? layer : [...layer].sort((a, b) => centre(a) - centre(b)).slice(0, perLayer);
    chosen.push(...nearest.slice(0, count - chosen.length));
    if (chosen.length >= count) break;
  }
  return chosen;
}
