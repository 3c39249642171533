// A logged metric series as a chart line: x by step index or by seconds since its first point, sorted by x.
import type { Schemas } from "../api/client";
import type { ChartSettings, Line } from "./MetricChart";

export type MetricSeries = Schemas["MetricSeries"];

/** Colours for lines of different runs, readable on light and dark surfaces alike. */
export const LINE_COLORS = ["#2f6fde", "#e0692b", "#1d9a5b", "#b23fb8", "#c9a000", "#0f9bb0", "#d64561", "#6a5acd"];

/** Whether a series can be drawn against time (a list of numbers has no times). */
export function hasTimes(series: MetricSeries): boolean {
  return Array.isArray(series.times) && series.times.length === series.values.length;
}

/** The series' points as a line over the x axis asked for, in ascending x (ties keep their logged order). */
export function toLine(series: MetricSeries, axis: ChartSettings["xAxis"], label: string, color: string): Line {
  const times = series.times;
  const start = times?.[0] ?? 0;
  const xs = axis === "time" && times && hasTimes(series) ? times.map((t) => t - start) : series.steps;
  let ascending = true;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! < xs[i - 1]!) {
      ascending = false;
      break;
    }
  }
  if (ascending) return { label, color, xs, ys: series.values };
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  return { label, color, xs: order.map((i) => xs[i]!), ys: order.map((i) => series.values[i]!) };
}
