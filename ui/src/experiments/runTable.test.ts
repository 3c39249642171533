import { describe, expect, it } from "vitest";
import {
  compareUrl,
  matches,
  metricText,
  nextSort,
  parameterNames,
  readState,
  type RunRow,
  shownMetrics,
  sinceCutoff,
  sortRuns,
  type TableState,
  visibleRuns,
  writeState,
} from "./runTable";

const NOW = Date.parse("2026-06-10T12:00:00Z");

function run(id: string, fields: Partial<RunRow> = {}): RunRow {
  return {
    id,
    experiment: "tune",
    status: "Finished",
    reason: null,
    created: "2026-06-10T11:00:00+00:00",
    started: "2026-06-10T11:00:01+00:00",
    ended: "2026-06-10T11:01:00+00:00",
    duration_seconds: 59,
    reused: false,
    tags: {},
    parameters: {},
    metrics: {},
    ...fields,
  };
}

const NO_FILTERS = { statuses: [], text: "", since: "" };

describe("filters", () => {
  it("let through runs of the chosen statuses only", () => {
    const failed = run("a", { status: "Failed" });
    expect(matches(failed, { ...NO_FILTERS, statuses: ["Failed", "Running"] }, NOW)).toBe(true);
    expect(matches(failed, { ...NO_FILTERS, statuses: ["Finished"] }, NOW)).toBe(false);
  });

  it("search every word among the parameters and tags as name=value", () => {
    const tuned = run("a", { parameters: { lr: 0.1, data: { datastore: "blob", path: "day/1" } }, tags: { team: "vision" } });
    expect(matches(tuned, { ...NO_FILTERS, text: "lr=0.1 vision" }, NOW)).toBe(true);
    expect(matches(tuned, { ...NO_FILTERS, text: "blob/day" }, NOW)).toBe(true);
    expect(matches(tuned, { ...NO_FILTERS, text: "lr=0.2" }, NOW)).toBe(false);
  });

  it("read since as an age or a date, and ignore text that is neither", () => {
    expect(sinceCutoff("2h", NOW)).toBe(NOW - 2 * 3_600_000);
    expect(sinceCutoff("1w", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(sinceCutoff("2026-06-01", NOW)).toBe(Date.parse("2026-06-01"));
    expect(sinceCutoff("soon", NOW)).toBeNull();
    const old = run("a", { created: "2026-06-01T00:00:00+00:00" });
    expect(matches(old, { ...NO_FILTERS, since: "1d" }, NOW)).toBe(false);
    expect(matches(run("b"), { ...NO_FILTERS, since: "1d" }, NOW)).toBe(true);
  });
});

describe("sorting", () => {
  const runs = [
    run("a", { metrics: { acc: 0.7 }, parameters: { lr: "10" } }),
    run("b", { metrics: {}, parameters: { lr: "9" } }),
    run("c", { metrics: { acc: 0.9 }, parameters: { lr: "0.5" } }),
  ];

  it("orders numbers as numbers and puts runs without the value last either way", () => {
    expect(sortRuns(runs, { column: "metric:acc", direction: "desc" }).map((r) => r.id)).toEqual(["c", "a", "b"]);
    expect(sortRuns(runs, { column: "metric:acc", direction: "asc" }).map((r) => r.id)).toEqual(["a", "c", "b"]);
  });

  it("orders numeric text by its number", () => {
    expect(sortRuns(runs, { column: "param:lr", direction: "asc" }).map((r) => r.id)).toEqual(["c", "b", "a"]);
  });

  it("puts failed runs first when sorting by status", () => {
    const mixed = [run("ok"), run("bad", { status: "Failed" }), run("going", { status: "Running" })];
    expect(sortRuns(mixed, { column: "status", direction: "asc" }).map((r) => r.id)).toEqual(["bad", "going", "ok"]);
  });

  it("flips the direction on a second click and starts a new column descending", () => {
    expect(nextSort({ column: "started", direction: "desc" }, "started")).toEqual({ column: "started", direction: "asc" });
    expect(nextSort({ column: "started", direction: "asc" }, "metric:acc")).toEqual({ column: "metric:acc", direction: "desc" });
  });

  it("filters before sorting", () => {
    const state: TableState = {
      filters: { ...NO_FILTERS, text: "lr=" },
      sort: { column: "param:lr", direction: "desc" },
      metrics: null,
    };
    expect(visibleRuns([...runs, run("d")], state, NOW).map((r) => r.id)).toEqual(["a", "b", "c"]);
  });
});

describe("columns", () => {
  it("list every parameter once, sorted", () => {
    expect(parameterNames([run("a", { parameters: { lr: 1, b: 2 } }), run("b", { parameters: { lr: 2, a: 1 } })])).toEqual([
      "a",
      "b",
      "lr",
    ]);
  });

  it("show the runs' own metrics until some are picked, and only picked ones that exist", () => {
    expect(shownMetrics(null, ["best", "train/loss"])).toEqual(["best"]);
    expect(shownMetrics(null, ["a/x", "b/y"])).toEqual(["a/x", "b/y"]);
    expect(shownMetrics(["train/loss", "gone"], ["best", "train/loss"])).toEqual(["train/loss"]);
    expect(shownMetrics([], ["best"])).toEqual([]);
  });
});

describe("the URL", () => {
  it("keeps the whole table state and reads it back", () => {
    const state: TableState = {
      filters: { statuses: ["Failed", "Running"], text: "lr=0.1", since: "7d" },
      sort: { column: "metric:train/loss", direction: "asc" },
      metrics: ["best", "train/loss"],
    };
    expect(readState(new URLSearchParams(writeState(state).toString()))).toEqual(state);
  });

  it("leaves the defaults out and reads nonsense as the defaults", () => {
    expect(writeState(readState(new URLSearchParams())).toString()).toBe("");
    expect(readState(new URLSearchParams("sort=nonsense&dir=sideways")).sort).toEqual({ column: "started", direction: "desc" });
  });

  it("names the runs to compare", () => {
    expect(compareUrl(["a1", "b2"])).toBe("/compare?runs=a1,b2");
  });
});

describe("metric cells", () => {
  it("show 4 significant digits, whole numbers whole, and tiny or huge ones in exponent form", () => {
    expect(metricText(0.912345)).toBe("0.9123");
    expect(metricText(12.5)).toBe("12.5");
    expect(metricText(1500)).toBe("1500");
    expect(metricText(0.0000123)).toBe("1.230e-5");
    expect(metricText(undefined)).toBe("");
    expect(metricText("n/a")).toBe("n/a");
  });
});
