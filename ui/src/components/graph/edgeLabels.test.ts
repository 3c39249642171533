import { describe, expect, it } from "vitest";
import { layeredLayout } from "./layout";
import { edgeCurve, edgeId, labelText, placeLabels, pointAt, routePath, type EdgeLabel } from "./edgeLabels";

const overlap = (a: EdgeLabel, b: EdgeLabel) =>
  Math.abs(a.x - b.x) * 2 < a.width + b.width && Math.abs(a.y - b.y) * 2 < a.height + b.height;

function fanIn(count: number, name: (i: number) => string) {
  const ids = ["join", ...Array.from({ length: count }, (_, i) => `part_${i}`)];
  const edges = ids.slice(1).map((id, i) => ({ source: id, target: "join", data: [name(i)] }));
  return { ids, edges, layout: layeredLayout(ids, edges) };
}

describe("placeLabels", () => {
  it("names every edge of a fan-in of 10 with no two labels overlapping, each on its own edge", () => {
    const { edges, layout } = fanIn(10, (i) => `features_${i}`);
    const plan = placeLabels(edges, layout.positions);
    expect(plan.merged.size).toBe(0);
    const labels = edges.map((e) => plan.byEdge.get(edgeId(e))!);
    expect(labels.map((l) => l.text)).toEqual(edges.map((e) => e.data[0]));
    for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) expect(overlap(a, b)).toBe(false);
    // on its edge: the label's centre is a point of the curve, nearer the source (where the ten edges are apart)
    for (const e of edges) {
      const label = plan.byEdge.get(edgeId(e))!;
      const curve = edgeCurve(layout.positions.get(e.source)!, layout.positions.get(e.target)!, { nodeWidth: 220, nodeHeight: 64 });
      const onCurve = Array.from({ length: 101 }, (_, k) => pointAt(curve, k / 100)).some(
        (p) => Math.hypot(p.x - label.x, p.y - label.y) < 0.5,
      );
      expect(onCurve).toBe(true);
      expect(label.y).toBeLessThan((curve[0].y + curve[3].y) / 2);
    }
  });

  it("merges a fan-in of 10 whose names are too long to sit apart into one '10 inputs' label listing them", () => {
    const { edges, layout } = fanIn(10, (i) => `a_rather_long_name_of_the_features_written_by_shard_${i}`);
    // steps packed closer than the labels are wide: side by side they would collide
    const plan = placeLabels(edges, layout.positions, { maxChars: 60 });
    expect(plan.byEdge.size).toBe(0);
    const merged = plan.merged.get("join")!;
    expect(merged.text).toBe("10 inputs");
    expect(merged.title.split("\n")).toEqual(edges.map((e) => e.data[0]));
    // just above the step it counts the inputs of
    const at = layout.positions.get("join")!;
    expect(merged.y).toBeLessThan(at.y);
    expect(merged.y).toBeGreaterThan(at.y - 72);
  });

  it("merges straight away past mergeAbove inputs", () => {
    const { edges, layout } = fanIn(10, (i) => `f${i}`);
    expect(placeLabels(edges, layout.positions, { mergeAbove: 9 }).merged.get("join")?.text).toBe("10 inputs");
  });

  it("names the same data sent to several steps once, under its writer; different data near each target", () => {
    const ids = ["source", "a", "b", "c"];
    const out = ids.slice(1).map((id) => ({ source: "source", target: id, data: ["shards"] }));
    const spread = layeredLayout(ids, out);
    const plan = placeLabels(out, spread.positions);
    expect(plan.byEdge.size).toBe(0);
    const under = plan.fanned.get("source")!;
    expect([under.text, under.title]).toEqual(["shards", "shards\nto 3 steps"]);
    expect(under.y).toBeGreaterThan(spread.positions.get("source")!.y + 64);

    const apart = ids.slice(1).map((id) => ({ source: "source", target: id, data: [`for_${id}`] }));
    const each = placeLabels(apart, layeredLayout(ids, apart).positions);
    for (const e of apart) expect(each.byEdge.get(edgeId(e))!.y).toBeGreaterThan(spread.positions.get(e.target)!.y - 72 / 2);
  });

  it("draws a routed edge through its lanes as one smooth path", () => {
    expect(routePath({ x: 0, y: 0 }, [{ x: 50, y: 100 }, { x: 50, y: 164 }], { x: 0, y: 264 })).toBe(
      "M0,0 C0,50 50,50 50,100 C50,132 50,132 50,164 C50,214 0,214 0,264",
    );
  });

  it("keeps a label off the steps a long edge passes by", () => {
    // a -> b -> c, and a -> c past b: a's and b's edges into c must not put a label on b
    const ids = ["a", "b", "c"];
    const edges = [
      { source: "a", target: "b", data: ["x"] },
      { source: "b", target: "c", data: ["y"] },
      { source: "a", target: "c", data: ["z"] },
    ];
    const { positions, routes } = layeredLayout(ids, edges);
    const plan = placeLabels(edges, positions, {}, routes);
    for (const label of [...plan.byEdge.values(), ...plan.merged.values()])
      for (const at of positions.values())
        expect(Math.abs(label.x - (at.x + 110)) * 2 < label.width + 220 && Math.abs(label.y - (at.y + 32)) * 2 < label.height + 64).toBe(false);
  });
});

describe("labelText", () => {
  it("names two and counts the rest, cut to a length", () => {
    expect(labelText(["a", "b", "c", "d"], 28)).toBe("a, b +2");
    expect(labelText(["x".repeat(40)], 10)).toBe(`${"x".repeat(9)}…`);
  });
});
