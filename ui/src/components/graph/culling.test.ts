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
  const size = { width: 220, height: 64 };
  const view = { x: 0, y: 0, width: 1000, height: 1000 };

  it("draws a long edge whose two ends are both out of view but which crosses it", () => {
    // a above the view, b below it: neither end is in view, the edge between them runs through it
    const positions = new Map([
      ["a", { x: 400, y: -5000 }],
      ["b", { x: 400, y: 6000 }],
      ["c", { x: 5000, y: 6000 }],
    ]);
    const edges = [
      { source: "a", target: "b" },
      { source: "b", target: "c" },
    ];
    expect(edgesNear(edges, positions, view, size)).toEqual([{ source: "a", target: "b" }]);
  });

  it("draws an edge from a step in view to one far off, and leaves out one wholly beside the view", () => {
    const positions = new Map([
      ["a", { x: 0, y: 0 }],
      ["b", { x: 9000, y: 200 }],
      ["c", { x: -3000, y: 0 }],
      ["d", { x: -3000, y: 900 }],
    ]);
    const edges = [
      { source: "a", target: "b" },
      { source: "c", target: "d" },
      { source: "a", target: "missing" },
    ];
    expect(edgesNear(edges, positions, view, size)).toEqual([{ source: "a", target: "b" }]);
  });

  it("keeps an edge whose box only touches the view's corner", () => {
    const positions = new Map([
      ["a", { x: -500, y: -500 }],
      ["b", { x: -220, y: -64 }],
    ]);
    expect(edgesNear([{ source: "a", target: "b" }], positions, view, size)).toHaveLength(1);
    positions.set("b", { x: -221, y: -64 });
    expect(edgesNear([{ source: "a", target: "b" }], positions, view, size)).toHaveLength(0);
  });
});
