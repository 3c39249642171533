import { describe, expect, it } from "vitest";
import { layoutGraph, NODE_WIDTH } from "./layout";
import { delta, showValue } from "./values";

describe("layoutGraph", () => {
  it("puts each step to the right of the steps it depends on", () => {
    const placed = layoutGraph(["train", "prep", "eval"], [
      { source: "prep", target: "train" },
      { source: "train", target: "eval" },
      { source: "prep", target: "missing" },
    ]);
    const x = Object.fromEntries(placed.map((p) => [p.id, p.x]));
    expect(x.train! - x.prep!).toBeGreaterThanOrEqual(NODE_WIDTH);
    expect(x.eval! - x.train!).toBeGreaterThanOrEqual(NODE_WIDTH);
  });
});

describe("values", () => {
  it("shows values and signed deltas", () => {
    expect(showValue(null)).toBe("—");
    expect(showValue(0.1 + 0.2)).toBe("0.3");
    expect(showValue("fast")).toBe("fast");
    expect(delta(0.1, 0.2)).toBe("+0.1");
    expect(delta(3, 1)).toBe("−2");
    expect(delta(1, 1)).toBe("");
    expect(delta("a", 1)).toBe("");
  });
});
