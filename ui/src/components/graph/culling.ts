// Which edges a big graph draws: xyflow culls an edge only when the box between its ends is out of view, so the
// thousand edges of a fan-out (every one spans the screen) would all be drawn. These keep the edges whose two ends
// are near the view (within a screen of it), recomputed only when the view moves into another cell of a grid.

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

/** The edges with both ends (nodes `size` wide and high at their positions) inside `rect`. An edge to a node
 * farther away is left out until the view comes near it: in a fan-out of a thousand, the edges to the steps a
 * screen away and more are lines in the same few pixels. */
export function edgesNear<E extends { source: string; target: string }>(
  edges: readonly E[],
  positions: ReadonlyMap<string, { x: number; y: number }>,
  rect: Rect,
  size: { width: number; height: number },
): E[] {
  const inside = (id: string) => {
    const at = positions.get(id);
    return (
      at !== undefined && at.x + size.width >= rect.x && at.x <= rect.x + rect.width && at.y + size.height >= rect.y && at.y <= rect.y + rect.height
    );
  };
  return edges.filter((e) => inside(e.source) && inside(e.target));
}
