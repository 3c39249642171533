import { describe, expect, it } from "vitest";
import { chartsByMetric, RUN_LABEL, type RunMetricSeries } from "./metricsAcrossSteps";

const series = (name: string, values: number[]) => ({ name, steps: values.map((_, i) => i), times: null, values });
const set = (s: ReturnType<typeof series>[], scalars: Record<string, unknown> = {}) => ({ series: s, scalars, images: {}, other: {} });

describe("chartsByMetric", () => {
  it("groups by metric name, a line per step, a colour per step across charts", () => {
    const metrics: RunMetricSeries = {
      run: set([], { best: 0.9 }),
      steps: {
        "train-a": set([series("loss", [3, 2]), series("acc", [0.5, 0.6])], { final: 1 }),
        "train-b": set([series("loss", [4, 1])], { final: 2 }),
        quiet: set([]),
      },
    };
    const steps = [
      { key: "quiet", name: "quiet" },
      { key: "train-a", name: "train" },
      { key: "train-b", name: "train" },
    ];
    const { charts, scalars, labels } = chartsByMetric(metrics, steps, "step");
    expect(charts.map((c) => c.name)).toEqual(["acc", "loss"]);
    const loss = charts.find((c) => c.name === "loss")!;
    expect(loss.lines.map((l) => l.label)).toEqual(["train-a", "train-b"]);
    expect(loss.lines[1]!.ys).toEqual([4, 1]);
    expect(charts[0]!.lines[0]!.color).toBe(loss.lines[0]!.color);
    expect(loss.lines[0]!.color).not.toBe(loss.lines[1]!.color);
    expect(labels).toEqual([RUN_LABEL, "train-a", "train-b"]);
    expect(scalars).toEqual({ best: { [RUN_LABEL]: 0.9 }, final: { "train-a": 1, "train-b": 2 } });
  });

  it("names a step by its name when no other step has it", () => {
    const metrics: RunMetricSeries = { run: set([]), steps: { k1: set([series("loss", [1])]) } };
    const { charts, labels } = chartsByMetric(metrics, [{ key: "k1", name: "train" }], "step");
    expect(charts[0]!.lines[0]!.label).toBe("train");
    expect(labels).toEqual([]); // it logged no number once: no column in the table of those
  });
});
