import { describe, expect, it } from "vitest";
import { layoutGraph, NODE_WIDTH } from "./layout";
import {
  bestOf,
  delta,
  differsFromBaseline,
  formatNumber,
  groupRows,
  kindOf,
  lowerIsBetter,
  rowDecimals,
  shortName,
  showValue,
  tableRows,
} from "./values";

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

  it("rounds the numbers of a row alike", () => {
    expect(rowDecimals([0.91234567, 0.8876])).toBe(4);
    expect([0.91234567, 0.8876].map((v) => formatNumber(v, 4))).toEqual(["0.9123", "0.8876"]);
    expect(rowDecimals([3, 12, null])).toBe(0);
    expect(formatNumber(12, 0)).toBe("12");
    expect(rowDecimals([1234.5, 1300.25])).toBe(0);
    expect(rowDecimals([0.91231, 0.91234]), "numbers that differ never read the same").toBe(5);
    expect(rowDecimals([2.5, 3])).toBe(1);
    expect(formatNumber(3, 1)).toBe("3.0");
    expect(rowDecimals([0.1, 0.2]), "as written, not padded").toBe(1);
    expect(rowDecimals([0.77, 0.77])).toBe(2);
    expect(formatNumber(0.0000012, 4)).toBe("1.200e-6");
    expect(formatNumber(1.5e12, 0)).toBe("1.500e+12");
  });

  it("picks the best of a row: lowest for loss-like names, highest otherwise, or as asked", () => {
    expect(lowerIsBetter("train/val_loss")).toBe(true);
    expect(lowerIsBetter("eval/error_rate")).toBe(true);
    expect(lowerIsBetter("rmse")).toBe(true);
    expect(lowerIsBetter("train/accuracy")).toBe(false);
    expect(lowerIsBetter("train/accuracy", "lower")).toBe(true);
    expect(lowerIsBetter("loss", "higher")).toBe(false);
    expect(bestOf([0.5, 0.3, 0.4], true)).toEqual([1]);
    expect(bestOf([0.5, 0.3, 0.5], false)).toEqual([0, 2]);
    expect(bestOf([0.5, "n/a", null], false), "one number is no contest").toEqual([]);
    expect(bestOf([1, 1], false), "all equal: nothing to pick").toEqual([]);
  });

  it("marks the values that differ from the baseline's", () => {
    const values = [{ a: [1] }, { a: [1] }, { a: [2] }, null];
    expect(values.map((_, i) => differsFromBaseline(values, i))).toEqual([false, false, true, true]);
  });

  it("tells tables, lists, images and text apart", () => {
    expect(kindOf({ digit: [0, 1], f1: [0.9, 1] })).toBe("table");
    expect(tableRows({ digit: [0, 1, 2], f1: [0.9] })).toBe(3);
    expect(kindOf([1, 2])).toBe("list");
    expect(kindOf("/api/runs/r/steps/s/images/cm", true)).toBe("image");
    expect(kindOf("adam")).toBe("text");
    expect(kindOf(null)).toBe("missing");
    expect(kindOf({ nested: { x: 1 } })).toBe("other");
  });

  it("groups metrics by their step, the run's own first", () => {
    const rows = [{ name: "score" }, { name: "train/loss" }, { name: "train/acc" }, { name: "eval/auc" }];
    expect(groupRows(rows).map((g) => [g.name, g.rows.map((r) => shortName(r.name))])).toEqual([
      ["run", ["score"]],
      ["train", ["loss", "acc"]],
      ["eval", ["auc"]],
    ]);
  });
});
