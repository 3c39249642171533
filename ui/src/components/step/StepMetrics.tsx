import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { api, unwrap } from "../../api/client";
import { ChartControls, DEFAULT_SETTINGS } from "../../metrics/ChartControls";
import { MetricChart } from "../../metrics/MetricChart";
import { hasTimes, LINE_COLORS, toLine } from "../../metrics/series";
import { tableColumns } from "../../metrics/tables";
import { EmptyState } from "../EmptyState";
import "./step.css";

export interface StepPartProps {
  runId: string;
  stepId: string;
}

function show(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return typeof value === "string" ? value : JSON.stringify(value);
}

function MetricTable({ name, columns }: { name: string; columns: [string, unknown[]][] }) {
  const rows = columns[0]![1].length;
  return (
    <figure className="metric-table" data-testid="metric-table" data-metric={name}>
      <figcaption>{name}</figcaption>
      <table className="table compact">
        <thead>
          <tr>
            {columns.map(([column]) => (
              <th key={column}>{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: rows }, (_, row) => (
            <tr key={row}>
              {columns.map(([column, values]) => (
                <td key={column} className={typeof values[row] === "number" ? "num mono" : undefined}>
                  {show(values[row])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** What a step logged: a line chart per metric logged many times, its numbers logged once as a table, its
 * images, and its tables. */
export function StepMetrics({ runId, stepId }: StepPartProps) {
  const [settings, setSettings] = useState(DEFAULT_SETTINGS);
  const query = useQuery({
    queryKey: ["step-metrics", runId, stepId],
    queryFn: () =>
      unwrap(api.GET("/api/runs/{run_id}/steps/{step}/metrics", { params: { path: { run_id: runId, step: stepId } } })),
  });
  const lines = useMemo(
    () =>
      (query.data?.series ?? []).map((series) => ({
        name: series.name,
        lines: [toLine(series, hasTimes(series) ? settings.xAxis : "step", series.name, LINE_COLORS[0]!)],
      })),
    [query.data, settings.xAxis],
  );
  if (query.isPending) return <p className="muted">Loading metrics…</p>;
  if (query.isError) return <p className="notice">Metrics could not be read: {query.error.message}</p>;
  const { series, scalars, other } = query.data;
  const images = query.data.images ?? {};
  const scalarNames = Object.keys(scalars).sort();
  const imageNames = Object.keys(images).sort();
  const otherNames = Object.keys(other).sort();
  if (!series.length && !scalarNames.length && !otherNames.length && !imageNames.length) {
    return (
      <EmptyState title="No metrics logged">
        <p>
          Log one from the step with <code>Run.get_context().log("loss", value)</code>.
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="step-metrics">
      {series.length > 0 && (
        <>
          <ChartControls settings={settings} onChange={setSettings} canUseTime={series.some(hasTimes)} />
          <div className="chart-grid">
            {lines.map((chart) => (
              <MetricChart key={chart.name} title={chart.name} lines={chart.lines} settings={settings} />
            ))}
          </div>
        </>
      )}
      {scalarNames.length > 0 && (
        <table className="table compact" data-testid="metric-scalars">
          <thead>
            <tr>
              <th>Metric</th>
              <th className="num">Value</th>
            </tr>
          </thead>
          <tbody>
            {scalarNames.map((name) => (
              <tr key={name}>
                <td>{name}</td>
                <td className="num mono">{show(scalars[name])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {imageNames.map((name) => (
        <figure key={name} className="metric-image" data-testid="metric-image" data-metric={name}>
          <figcaption>{name}</figcaption>
          <img
            src={`/api/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/images/${encodeURIComponent(name)}`}
            alt={`${name}, an image the step logged`}
            loading="lazy"
          />
        </figure>
      ))}
      {otherNames.map((name) => {
        const columns = tableColumns(other[name]);
        return columns ? (
          <MetricTable key={name} name={name} columns={columns} />
        ) : (
          <details key={name} className="metric-other">
            <summary>{name}</summary>
            <pre>
              <code>{JSON.stringify(other[name], null, 2)}</code>
            </pre>
          </details>
        );
      })}
    </div>
  );
}
