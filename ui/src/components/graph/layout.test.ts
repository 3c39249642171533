import { describe, expect, it } from "vitest";
import { layeredLayout, startingNodes } from "./layout";

function chain(count: number) {
  const ids = Array.from({ length: count }, (_, i) => `step_${i}`);
  const edges = ids.slice(1).map((id, i) => ({ source: ids[i]!, target: id }));
  return { ids, edges };
}

function fanOut(count: number) {
  const ids = ["source", ...Array.from({ length: count - 1 }, (_, i) => `shard_${i}`)];
  const edges = ids.slice(1).map((id) => ({ source: "source", target: id }));
  return { ids, edges };
}

function crossings(layers: string[][], edges: { source: string; target: string }[]): number {
  const at = new Map<string, [number, number]>();
  layers.forEach((layer, r) => layer.forEach((id, i) => at.set(id, [r, i])));
  const spans = edges.map((e) => [at.get(e.source)!, at.get(e.target)!] as const);
  let count = 0;
  for (let a = 0; a < spans.length; a++)
    for (let b = a + 1; b < spans.length; b++) {
      const [[ra, sa], [, ta]] = spans[a]!;
      const [[rb, sb], [, tb]] = spans[b]!;
      if (ra === rb && (sa - sb) * (ta - tb) < 0) count++;
    }
  return count;
}

describe("layeredLayout", () => {
  it("puts every node below the nodes it depends on, a layer per longest path", () => {
    const edges = [
      { source: "a", target: "b" },
      { source: "b", target: "c" },
      { source: "a", target: "c" },
      { source: "d", target: "c" },
    ];
    const layout = layeredLayout(["a", "b", "c", "d"], edges);
    expect(Object.fromEntries(layout.rank)).toEqual({ a: 0, d: 0, b: 1, c: 2 });
    for (const e of edges) expect(layout.positions.get(e.target)!.y).toBeGreaterThan(layout.positions.get(e.source)!.y);
  });

  it("orders layers to undo crossings", () => {
    // a->y and b->x cross when the second layer keeps its given order.
    const edges = [
      { source: "a", target: "y" },
      { source: "b", target: "x" },
    ];
    const layout = layeredLayout(["a", "b", "x", "y"], edges);
    expect(crossings(layout.layers, edges)).toBe(0);
  });

  it("never overlaps two nodes of a layer", () => {
    const { ids, edges } = fanOut(50);
    const layout = layeredLayout(ids, edges, { nodeWidth: 100, gap: 10 });
    const xs = layout.layers[1]!.map((id) => layout.positions.get(id)!.x).sort((p, q) => p - q);
    xs.slice(1).forEach((x, i) => expect(x - xs[i]!).toBeGreaterThanOrEqual(110));
    expect(layout.positions.get("source")!.x).toBeCloseTo(layout.width / 2 - 50);
  });

  it("ignores edges to unknown nodes and survives a cycle", () => {
    const layout = layeredLayout(["a", "b"], [
      { source: "a", target: "b" },
      { source: "b", target: "a" },
      { source: "a", target: "nowhere" },
    ]);
    expect(layout.positions.size).toBe(2);
    expect(new Set(layout.rank.values()).size).toBe(2);
  });

  it.each([
    ["fan-out", fanOut(1000)],
    ["chain", chain(1000)],
    ["fan-out of 10,000", fanOut(10000)],
  ])("lays out a %s well under a second", (_, { ids, edges }) => {
    const started = performance.now();
    const layout = layeredLayout(ids, edges);
    const took = performance.now() - started;
    expect(layout.positions.size).toBe(ids.length);
    expect(took).toBeLessThan(1000);
    console.info(`layout of ${ids.length} steps: ${took.toFixed(1)} ms`);
  });
});

describe("startingNodes", () => {
  it("takes the top layer and the middle of the wide one below it, up to the count", () => {
    const shards = Array.from({ length: 99 }, (_, i) => `shard_${i}`);
    const laid = layeredLayout(["source", ...shards], shards.map((s) => ({ source: "source", target: s })));
    const first = startingNodes(laid, 7, 6);
    expect(first[0]).toBe("source");
    expect(first).toHaveLength(7);
    const middle = laid.width / 2;
    for (const id of first.slice(1)) expect(Math.abs(laid.positions.get(id)!.x - middle)).toBeLessThan(4 * 252);
  });

  it("goes down a chain until it has the count or the layers, so that a long chain opens at a zoom that reads", () => {
    const ids = Array.from({ length: 50 }, (_, i) => `step_${i}`);
    const laid = layeredLayout(ids, ids.slice(1).map((id, i) => ({ source: ids[i]!, target: id })));
    expect(startingNodes(laid, 5, 6, 10)).toEqual(ids.slice(0, 5));
    expect(startingNodes(laid)).toEqual(ids.slice(0, 4));
  });

  it("routes an edge that spans layers through a lane beside the nodes it passes, not through them", () => {
    // a -> b -> c -> d, and a -> d past b and c
    const edges = [
      { source: "a", target: "b" },
      { source: "b", target: "c" },
      { source: "c", target: "d" },
      { source: "a", target: "d" },
    ];
    const layout = layeredLayout(["a", "b", "c", "d"], edges);
    expect([...layout.routes.keys()]).toEqual(["a->d"]);
    const route = layout.routes.get("a->d")!;
    // the top and bottom of its lane in each of the two layers it crosses, top to bottom
    expect(route.map((p) => p.y)).toEqual([136, 200, 272, 336]);
    for (const id of ["b", "c"]) {
      const at = layout.positions.get(id)!;
      for (const p of route) expect(p.x < at.x || p.x > at.x + 220).toBe(true);
    }
    // the lanes are layers of their own for the sweeps, never for the keyboard
    expect(layout.layers).toEqual([["a"], ["b"], ["c"], ["d"]]);
  });
});
