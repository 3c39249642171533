import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import { ChartControls, DEFAULT_SETTINGS } from "../../metrics/ChartControls";
import { MetricChart } from "../../metrics/MetricChart";
import { EmptyState } from "../EmptyState";
import { chartsByMetric, type StepName } from "./metricsAcrossSteps";

function show(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

export const runSeriesKey = (runId: string) => ["run", runId, "metrics", "series"] as const;

/** Every metric of the run in one place: a chart per metric name with a line per step that logged it, and the
 * numbers logged once as a table of metric by step. Read again when a metric event arrives (the run page's key). */
export function RunMetrics({ runId, steps }: { runId: string; steps: StepName[] }) {
  const [settings, setSettings] = useState(DEFAULT_SETTINGS);
  const query = useQuery({
    queryKey: runSeriesKey(runId),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/metrics/series", { params: { path: { run_id: runId } } })),
  });
  const drawn = useMemo(
    () => (query.data ? chartsByMetric(query.data, steps, settings.xAxis) : null),
    [query.data, steps, settings.xAxis],
  );
  if (query.isPending) return <p className="muted">Loading metrics…</p>;
  if (query.isError) return <p className="notice">Metrics could not be read: {query.error.message}</p>;
  const { charts, scalars, labels, canUseTime } = drawn!;
  const scalarNames = Object.keys(scalars).sort();
  if (!charts.length && !scalarNames.length) {
    return (
      <EmptyState title="No step of this run logged a metric">
        <p>
          Log one from a step with <code>Run.get_context().log("loss", value)</code>; its curve shows here, a line per
          step.
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="run-metrics" data-testid="run-metrics">
      {charts.length > 0 && (
        <>
          <ChartControls settings={settings} onChange={setSettings} canUseTime={canUseTime} />
          <div className="chart-grid wide">
            {charts.map((chart) => (
              <MetricChart key={chart.name} title={chart.name} lines={chart.lines} settings={settings} legend />
            ))}
          </div>
        </>
      )}
      {scalarNames.length > 0 && (
        <div className="table-scroll">
          <table className="table compact" data-testid="run-metric-scalars">
            <thead>
              <tr>
                <th>Metric</th>
                {labels.map((label) => (
                  <th key={label} className="num">
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {scalarNames.map((name) => (
                <tr key={name}>
                  <td>{name}</td>
                  {labels.map((label) => (
                    <td key={label} className="num mono">
                      {label in scalars[name]! ? show(scalars[name]![label]) : ""}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
