import { Link, useOutletContext, useParams } from "react-router-dom";
import { StepData } from "../assets/StepData";
import { StepLog } from "../components/log/StepLog";
import { useStep, type RunOutline } from "../components/run/queries";
import { StatusBadge } from "../components/StatusBadge";
import { StepEnvironment, StepMetrics, StepOutputs, StepWhy } from "../components/step";
import { elapsedSeconds, formatDateTime, formatDuration } from "../time";

/** The open step beside the graph (`/runs/:id/steps/:step`, by step-run id or a name only it has): its summary,
 * its log (live while it runs), what it logged, its outputs, why it ran, and its environment. */
export function StepPanel() {
  const { step: wanted = "" } = useParams();
  const { run, now } = useOutletContext<{ run: RunOutline; now: number }>();
  const named = run.steps.filter((s) => s.name === wanted);
  const step = run.steps.find((s) => s.id === wanted) ?? (named.length === 1 ? named[0] : undefined);
  // The outline has the step's status and times, live; the rest is the step's own document.
  const whole = useStep(run.id, step?.id).data;
  if (!step) {
    return (
      <aside className="step-panel card" data-testid="step-panel">
        <p className="notice">
          {named.length > 1 ? `Several steps are named ${wanted}; open one from the graph.` : `This run has no step ${wanted}.`}
        </p>
        <Link to={`/runs/${run.id}`}>Close</Link>
      </aside>
    );
  }
  const facts: [string, React.ReactNode][] = [
    ["Started", <span title={formatDateTime(step.started)}>{step.started ? new Date(step.started).toLocaleTimeString() : "—"}</span>],
    ["Duration", formatDuration(step.is_reused ? null : elapsedSeconds(step.started, step.ended, now))],
    ["Exit code", whole?.exit_code ?? "—"],
    ["Compute", <span className="mono">{whole?.compute_target ?? "—"}</span>],
  ];
  const made = whole?.module;
  if (made) {
    // A step made from a module version: which module, and which of its versions ran.
    facts.push(["Module", <Link data-testid="step-module" to={`/modules/${encodeURIComponent(String(made.module))}?version=${encodeURIComponent(String(made.version))}`}>{`${String(made.module)} v${String(made.version)}`}</Link>]);
  }
  return (
    <aside className="step-panel card" data-testid="step-panel" aria-label={`Step ${step.name}`}>
      <header className="step-panel-header">
        <div>
          <h2 data-testid="panel-step-name">{step.name}</h2>
          <span className="mono muted step-id" title="the step run's id">
            {step.id}
          </span>
        </div>
        <Link className="button quiet" to={`/runs/${run.id}`} aria-label="Close the step">
          ✕
        </Link>
      </header>
      <div className="step-panel-status">
        <StatusBadge status={step.status} />
        {step.is_reused && <span className="reused-badge">Reused</span>}
      </div>
      <dl className="facts compact">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {whole?.reason && <p className="step-reason">{whole.reason}</p>}
      <section className="panel-section">
        <h3>Log</h3>
        <StepLog runId={run.id} stepId={step.id} status={step.status} />
      </section>
      <section className="panel-section">
        <h3>Metrics</h3>
        <StepMetrics runId={run.id} stepId={step.id} />
      </section>
      <section className="panel-section">
        <h3>Outputs</h3>
        <StepOutputs runId={run.id} stepId={step.id} />
      </section>
      <section className="panel-section">
        <h3>Data</h3>
        <StepData stepRunId={step.id} />
      </section>
      <section className="panel-section">
        <h3>Why it ran</h3>
        <StepWhy runId={run.id} stepId={step.id} />
      </section>
      <section className="panel-section">
        <h3>Environment</h3>
        <StepEnvironment runId={run.id} stepId={step.id} />
      </section>
    </aside>
  );
}
