// Which edges a big graph hands to xyflow: those whose bounding box meets the view's cell (the view with a screen
// of margin each side), recomputed only when the view moves into another cell of a grid, so that panning within a
// cell costs no new edge list and an edge that crosses the view is drawn even when both its ends are out of it.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The cell of the view: a key that changes only when the view crosses a cell (a screen at the zoom rounded down
 * to a power of two), and the rect of that cell with a cell of margin on each side, in flow coordinates. */
export function viewCell(transform: readonly [number, number, number], width: number, height: number): { key: string; rect: Rect } {
  const [tx, ty, k] = transform;
  const zoom = 2 ** Math.floor(Math.log2(k));
  const w = Math.max(width, 1) / zoom;
  const h = Math.max(height, 1) / zoom;
  const ix = Math.floor(-tx / k / w);
  const iy = Math.floor(-ty / k / h);
  return { key: `${zoom}:${ix}:${iy}`, rect: { x: (ix - 1) * w, y: (iy - 1) * h, width: 4 * w, height: 4 * h } };
}

/** The edges whose bounding box (the box around both their nodes, `size` wide and high at their positions, and
 * the lanes of their `routes`) meets `rect`: a long edge whose two ends are both out of view is still drawn where it crosses the view. */
export function edgesNear<E extends { source: string; target: string }>(
  edges: readonly E[],
  positions: ReadonlyMap<string, { x: number; y: number }>,
  rect: Rect,
  size: { width: number; height: number },
  routes: ReadonlyMap<string, readonly { x: number }[]> = new Map(),
): E[] {
  return edges.filter((e) => {
    const a = positions.get(e.source);
    const b = positions.get(e.target);
    if (a === undefined || b === undefined) return false;
    // a routed edge bulges out to its lanes: its box holds them too (lane points are middles, not corners)
    const lanes = routes.get(`${e.source}->${e.target}`)?.map((p) => p.x - size.width / 2) ?? [];
    const left = Math.min(a.x, b.x, ...lanes);
    const right = Math.max(a.x, b.x, ...lanes) + size.width;
    const top = Math.min(a.y, b.y);
    const bottom = Math.max(a.y, b.y) + size.height;
    return right >= rect.x && left <= rect.x + rect.width && bottom >= rect.y && top <= rect.y + rect.height;
  });
}
