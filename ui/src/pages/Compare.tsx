import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, type Schemas, unwrap } from "../api/client";
import { CompareGraph } from "../compare/CompareGraph";
import { ValueTable } from "../compare/ValueTable";
import { StepWhy } from "../components/step/StepWhy";
import { EmptyState } from "../components/EmptyState";
import { StatusBadge } from "../components/StatusBadge";
import { ChartControls, DEFAULT_SETTINGS } from "../metrics/ChartControls";
import { type Line, MetricChart } from "../metrics/MetricChart";
import { hasTimes, LINE_COLORS, type MetricSeries, toLine } from "../metrics/series";
import { ReasonDiff } from "../why/ReasonDiff";
import "../compare/compare.css";

const GROUPS = ["code", "data", "arguments", "environment"] as const;

function runColor(i: number): string {
  return LINE_COLORS[i % LINE_COLORS.length]!;
}

/** Each metric series of a run by the name the compare page gives it: the run's own, and a step's as step/name. */
function seriesByName(all: Schemas["RunMetricSeries"]): Map<string, MetricSeries> {
  const named = new Map<string, MetricSeries>();
  for (const series of all.run.series) named.set(series.name, series);
  for (const [step, set] of Object.entries(all.steps)) {
    for (const series of set.series) named.set(`${step}/${series.name}`, series);
  }
  return named;
}

function StepDifferences({ step, runs }: { step: Schemas["StepComparison"]; runs: Schemas["RunSummary"][] }) {
  return (
    <div className="step-differences" data-testid="step-differences" data-step={step.key}>
      <h3>
        Step <span className="mono">{step.name}</span>
      </h3>
      {step.runs.map((change, i) => {
        const run = runs[i]!;
        if (i === 0) return null;
        const reasons = GROUPS.flatMap((g) => change[g] ?? []);
        return (
          <div key={run.id} className="run-difference">
            <h4>
              <span className="swatch" style={{ background: runColor(i) }} aria-hidden />
              Run <span className="mono">{run.id.slice(0, 8)}</span> against the baseline:{" "}
              <span className={`change-word ${change.change}`}>{change.change}</span>
            </h4>
            {reasons.length > 0 && <ReasonDiff reasons={reasons} />}
            {change.why && <p className="muted">{change.why}</p>}
            {change.change !== "removed" && change.change !== "absent" && (
              <details className="why-details">
                <summary>Why this step ran in run {run.id.slice(0, 8)} (duto why)</summary>
                <StepWhy runId={run.id} stepId={step.key} />
              </details>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** Runs side by side: parameters, metrics and their curves, and the baseline's graph with what differs. */
export function Compare() {
  const [params] = useSearchParams();
  const ids = (params.get("runs") ?? "").split(",").filter(Boolean);
  const [settings, setSettings] = useState(DEFAULT_SETTINGS);
  const [picked, setPicked] = useState<string | null>(null);
  const comparison = useQuery({
    queryKey: ["compare", ids.join(",")],
    queryFn: () => unwrap(api.GET("/api/compare", { params: { query: { runs: [ids.join(",")] } } })),
    enabled: ids.length >= 2,
  });
  const runIds = comparison.data?.runs.map((r) => r.id) ?? [];
  const series = useQueries({
    queries: runIds.map((id) => ({
      queryKey: ["run-series", id],
      queryFn: () =>
        unwrap(api.GET("/api/runs/{run_id}/metrics/series", { params: { path: { run_id: id } } })),
    })),
  });
  const seriesReady = series.length > 0 && series.every((q) => q.data);
  const charts = useMemo(() => {
    if (!seriesReady) return [];
    const perRun = series.map((q) => seriesByName(q.data!));
    const names = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
    return names.map((name) => {
      const lines: Line[] = [];
      perRun.forEach((named, i) => {
        const found = named.get(name);
        if (found) {
          const axis = hasTimes(found) ? settings.xAxis : "step";
          lines.push(toLine(found, axis, runIds[i]!.slice(0, 8), runColor(i)));
        }
      });
      return { name, lines };
    });
    // Keyed on when each run's series last came, not on the query objects, which are new every render.
  }, [seriesReady, series.map((q) => q.dataUpdatedAt).join(), settings.xAxis]);

  if (ids.length < 2) {
    return (
      <EmptyState title="Pick two runs or more to compare">
        <p>
          Open <code>/compare?runs=RUN_A,RUN_B</code>, or compare from the command line with{" "}
          <code>duto runs diff RUN_A RUN_B</code>.
        </p>
      </EmptyState>
    );
  }
  if (comparison.isPending) return <p className="muted">Comparing…</p>;
  if (comparison.isError) return <p className="notice">The runs could not be compared: {comparison.error.message}</p>;
  const { runs, parameters, metrics, steps, edges } = comparison.data;
  const differing = steps.filter((s) => s.differs);
  const selected = steps.find((s) => s.key === picked) ?? differing[0] ?? null;
  return (
    <div className="compare-page">
      <div className="page-header">
        <div>
          <h1>Compare runs</h1>
          <p>
            {runs.length} runs, each against the first (the baseline): {differing.length} of {steps.length} steps
            differ.
          </p>
        </div>
      </div>
      <ul className="run-chips" aria-label="Runs">
        {runs.map((run, i) => (
          <li key={run.id} className="run-chip">
            <span className="swatch" style={{ background: runColor(i) }} aria-hidden />
            <Link className="mono" to={`/runs/${run.id}`}>
              {run.id.slice(0, 8)}
            </Link>
            <span className="muted">{run.experiment}</span>
            <StatusBadge status={run.status} reused={run.reused} />
            {i === 0 && <span className="baseline-tag">baseline</span>}
          </li>
        ))}
      </ul>
      <div className="compare-columns">
        <ValueTable title="Parameters" rows={parameters} runs={runs} empty="None of these runs has parameters." />
        <ValueTable title="Metrics" rows={metrics} runs={runs} metrics empty="None of these runs logged metrics." />
      </div>
      <section className="card" aria-label="Steps">
        <header className="card-header">
          <h2>
            Steps <span className="count">{steps.length}</span>
            {differing.length > 0 && <span className="differ-count">≠ {differing.length} differ</span>}
          </h2>
          <span className="muted">the baseline's graph; pick a step to see what differs</span>
        </header>
        <CompareGraph steps={steps} edges={edges} selected={selected?.key ?? null} onSelect={setPicked} />
        {selected ? (
          <StepDifferences step={selected} runs={runs} />
        ) : (
          <p className="empty">Every step is the same in all these runs: same code, data, parameters, environment.</p>
        )}
      </section>
      <section className="card" aria-label="Metric curves">
        <header className="card-header">
          <h2>
            Metric curves <span className="count">{charts.length}</span>
          </h2>
          {charts.length > 0 && <ChartControls settings={settings} onChange={setSettings} />}
        </header>
        {!seriesReady ? (
          <p className="empty">Loading curves…</p>
        ) : charts.length === 0 ? (
          <p className="empty">No metric of these runs was logged more than once.</p>
        ) : (
          <div className="chart-grid padded">
            {charts.map((chart) => (
              <MetricChart key={chart.name} title={chart.name} lines={chart.lines} settings={settings} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
