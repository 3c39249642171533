// The run's metrics for its Metrics tab: every series any step (or the run itself) logged, grouped by metric name,
// one line per step, so the whole run's curves are in one place.
import type { Schemas } from "../../api/client";
import type { ChartSettings, Line } from "../../metrics/MetricChart";
import { hasTimes, LINE_COLORS, toLine } from "../../metrics/series";

export type RunMetricSeries = Schemas["RunMetricSeries"];

export interface StepName {
  key: string;
  name: string;
}

export interface MetricCharts {
  charts: { name: string; lines: Line[] }[];
  /** metric name -> step label -> value, for numbers logged once. */
  scalars: Record<string, Record<string, unknown>>;
  /** the labels of the steps (and the run) that logged a number once, in the run's order: the scalar table's
   * columns. */
  labels: string[];
  canUseTime: boolean;
}

export const RUN_LABEL = "(run)";

/** Charts by metric name (sorted), a line per step in the run's order, each step a colour of its own across every
 * chart; a name several steps share is told apart by its key. */
export function chartsByMetric(metrics: RunMetricSeries, steps: StepName[], axis: ChartSettings["xAxis"]): MetricCharts {
  const shared = new Set(steps.filter((s, i) => steps.findIndex((t) => t.name === s.name) !== i).map((s) => s.name));
  const sources: { label: string; set: Schemas["MetricSet"] }[] = [];
  if (metrics.run.series.length || Object.keys(metrics.run.scalars).length) sources.push({ label: RUN_LABEL, set: metrics.run });
  for (const step of steps) {
    const set = metrics.steps[step.key];
    if (set && (set.series.length || Object.keys(set.scalars).length)) {
      sources.push({ label: shared.has(step.name) ? step.key : step.name, set });
    }
  }
  const byName = new Map<string, Line[]>();
  const scalars: Record<string, Record<string, unknown>> = {};
  let canUseTime = false;
  sources.forEach(({ label, set }, i) => {
    const color = LINE_COLORS[i % LINE_COLORS.length]!;
    for (const series of set.series) {
      canUseTime ||= hasTimes(series);
      const line = toLine(series, hasTimes(series) ? axis : "step", label, color);
      byName.set(series.name, [...(byName.get(series.name) ?? []), line]);
    }
    for (const [name, value] of Object.entries(set.scalars)) (scalars[name] ??= {})[label] = value;
  });
  const charts = [...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, lines]) => ({ name, lines }));
  const labels = sources.filter((s) => Object.keys(s.set.scalars).length > 0).map((s) => s.label);
  return { charts, scalars, labels, canUseTime };
}
