// A layered layout of a directed acyclic graph, top to bottom: longest-path layering, then a few barycenter
// sweeps to order each layer, then coordinates. Each sweep is linear in nodes and edges (plus a sort per layer),
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
}

export interface Layout {
  /** the top-left corner of each node */
  positions: Map<string, { x: number; y: number }>;
  /** the nodes of each layer, left to right */
  layers: string[][];
  /** each node's layer */
  rank: Map<string, number>;
  width: number;
  height: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 220, nodeHeight: 64, gap: 32, layerGap: 72, sweeps: 4 };

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

  // Where a node sits in its layer, centred on 0, so that layers of different widths compare.
  const position = new Float64Array(n);
  const place = (layer: number[]) => {
    const middle = (layer.length - 1) / 2;
    layer.forEach((v, i) => (position[v] = i - middle));
  };
  layers.forEach(place);
  const barycenter = new Float64Array(n);
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

  const widest = layers.reduce((most, layer) => Math.max(most, layer.length), 0);
  const width = Math.max(0, widest * o.nodeWidth + (widest - 1) * o.gap);
  const positions = new Map<string, { x: number; y: number }>();
  const rankOf = new Map<string, number>();
  const named: string[][] = layers.map((layer, r) => {
    const span = layer.length * o.nodeWidth + (layer.length - 1) * o.gap;
    const left = (width - span) / 2;
    return layer.map((v, i) => {
      const id = ids[v]!;
      positions.set(id, { x: left + i * (o.nodeWidth + o.gap), y: r * (o.nodeHeight + o.layerGap) });
      rankOf.set(id, r);
      return id;
    });
  });
  const height = layers.length === 0 ? 0 : layers.length * o.nodeHeight + (layers.length - 1) * o.layerGap;
  return { positions, layers: named, rank: rankOf, width, height };
}

/** The nodes a big graph first shows, enough to read: from the top layer down, the `perLayer` nearest the middle
 * of each layer, until there are `count`. (Fitting a thousand-wide layer would draw every node as a speck.) */
export function startingNodes(layout: Layout, count = 24, perLayer = 6): string[] {
  const middle = layout.width / 2;
  const centre = (id: string) => Math.abs((layout.positions.get(id)?.x ?? 0) + DEFAULT_LAYOUT.nodeWidth / 2 - middle);
  const chosen: string[] = [];
  for (const layer of layout.layers) {
    const nearest = layer.length <= perLayer ? layer : [...layer].sort((a, b) => centre(a) - centre(b)).slice(0, perLayer);
    chosen.push(...nearest.slice(0, count - chosen.length));
    if (chosen.length >= count) break;
  }
  return chosen;
}
