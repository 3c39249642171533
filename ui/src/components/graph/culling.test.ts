import { describe, expect, it } from "vitest";
import { edgesNear, viewCell } from "./culling";

describe("viewCell", () => {
  it("keeps its key while the view moves inside a cell, and covers the view with a margin", () => {
    const a = viewCell([0, 0, 1], 1000, 800);
    const b = viewCell([-300, -100, 1], 1000, 800);
    expect(b.key).toBe(a.key);
    expect(a.rect).toEqual({ x: -1000, y: -800, width: 4000, height: 3200 });
    expect(viewCell([-1200, 0, 1], 1000, 800).key).not.toBe(a.key);
    // zoomed out to 0.3, the cell is a screen at 0.25: four screens of flow wide
    expect(viewCell([0, 0, 0.3], 1000, 800).rect.width).toBe(16000);
  });
});

describe("edgesNear", () => {
  it("keeps the edges with both ends in the rect", () => {
    const positions = new Map([
      ["a", { x: 0, y: 0 }],
      ["b", { x: 500, y: 0 }],
      ["c", { x: 9000, y: 0 }],
    ]);
    const edges = [
      { source: "a", target: "b" },
      { source: "b", target: "c" },
    ];
    // c is 9,000 px off: the edge to it goes
    const kept = edgesNear(edges, positions, { x: -100, y: -100, width: 1000, height: 1000 }, { width: 220, height: 64 });
    expect(kept).toEqual([{ source: "a", target: "b" }]);
  });
});
