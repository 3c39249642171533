import { describe, expect, it } from "vitest";
import { toLine } from "./series";

describe("toLine", () => {
  const series = { name: "loss", steps: [0, 10, 5], times: [100, 101.5, 103], values: [3, 2, 1] };

  it("sorts by step, keeping each value with its step", () => {
    expect(toLine(series, "step", "a", "#000")).toEqual({ label: "a", color: "#000", xs: [0, 5, 10], ys: [3, 1, 2] });
  });

  it("measures time from the first point, and falls back to steps without times", () => {
    expect(toLine(series, "time", "a", "#000").xs).toEqual([0, 1.5, 3]);
    expect(toLine({ ...series, times: null }, "time", "a", "#000").xs).toEqual([0, 5, 10]);
  });
});
