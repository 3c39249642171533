import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useOutletContext, useParams, useSearchParams } from "react-router-dom";
import { StepData } from "../assets/StepData";
import { StepLog } from "../components/log/StepLog";
import { useStep, type RunOutline } from "../components/run/queries";
import { shortId } from "../components/run/trigger";
import { StatusBadge } from "../components/StatusBadge";
import { StepEnvironment, StepMetrics, StepOutputs, StepWhy } from "../components/step";
import {
  clampWidth,
  PANEL_DEFAULT,
  PANEL_WIDTH_KEY,
  readPanelWidth,
  STEP_TABS,
  type StepTab,
  stepTabOf,
  withSearch,
} from "../components/step/stepView";
import { elapsedSeconds, formatDateTime, formatDuration } from "../time";

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined; // storage refused (a privacy setting): the width is not remembered
  }
}

/** The panel's width and the handle that changes it: dragged, or with the arrow keys when focused; kept in
 * localStorage. */
function usePanelWidth() {
  const [width, setWidth] = useState(() => readPanelWidth(storage(), window.innerWidth));
  const dragging = useRef<{ x: number; width: number } | null>(null);
  const keep = useCallback((next: number) => {
    const clamped = clampWidth(next, window.innerWidth);
    setWidth(clamped);
    storage()?.setItem(PANEL_WIDTH_KEY, String(clamped));
  }, []);
  useEffect(() => {
    const move = (e: PointerEvent) => dragging.current && setWidth(clampWidth(dragging.current.width + dragging.current.x - e.clientX, window.innerWidth));
    const up = (e: PointerEvent) => {
      if (!dragging.current) return;
      keep(dragging.current.width + dragging.current.x - e.clientX);
      dragging.current = null;
      document.body.classList.remove("resizing");
    };
    const fit = () => setWidth((was) => clampWidth(was, window.innerWidth)); // a narrower window keeps the run's view
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("resize", fit);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("resize", fit);
    };
  }, [keep]);
  const handle = (
    <div
      className="panel-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the step panel"
      aria-valuenow={width}
      tabIndex={0}
      data-testid="panel-handle"
      onPointerDown={(e) => {
        e.preventDefault();
        dragging.current = { x: e.clientX, width };
        document.body.classList.add("resizing");
      }}
      onKeyDown={(e) => {
        if (e.key === "ArrowLeft") keep(width + 32);
        else if (e.key === "ArrowRight") keep(width - 32);
      }}
      onDoubleClick={() => keep(PANEL_DEFAULT)}
    />
  );
  return { width, handle };
}

interface TabProps {
  tab: StepTab;
  runId: string;
  stepId: string;
  status: string;
  started: string | null | undefined;
}

function TabBody({ tab, runId, stepId, status, started }: TabProps) {
  if (tab === "metrics") return <StepMetrics runId={runId} stepId={stepId} />;
  if (tab === "outputs") return <StepOutputs runId={runId} stepId={stepId} />;
  if (tab === "environment") return <StepEnvironment runId={runId} stepId={stepId} />;
  if (tab === "why") return <StepWhy runId={runId} stepId={stepId} />;
  if (tab === "data") return <StepData runId={runId} stepRunId={stepId} started={started} />;
  return <StepLog runId={runId} stepId={stepId} status={status} />;
}

/** The open step (`/runs/:id/steps/:step`, by step-run id or a name only it has): beside the run's view in a panel
 * that can be widened, or on a page of its own with `?full=1`; its summary, then a tab (`?tab=`: log, metrics,
 * outputs, environment, why) so that a link names what it shows. */
export function StepPanel() {
  const { step: wanted = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const { run, now } = useOutletContext<{ run: RunOutline; now: number }>();
  const { width, handle } = usePanelWidth();
  const full = search.get("full") === "1";
  const tab = stepTabOf(search);
  const named = run.steps.filter((s) => s.name === wanted);
  const step = run.steps.find((s) => s.id === wanted) ?? (named.length === 1 ? named[0] : undefined);
  // The outline has the step's status and times, live; the rest is the step's own document.
  const whole = useStep(run.id, step?.id).data;
  const closeTo = { pathname: `/runs/${run.id}`, search: withSearch(search, { tab: null, full: null }).toString() };
  if (!step) {
    return (
      <aside className="step-panel card" data-testid="step-panel">
        <p className="notice">
          {named.length > 1 ? `Several steps are named ${wanted}; open one from the graph.` : `This run has no step ${wanted}.`}
        </p>
        <Link to={closeTo}>Close</Link>
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
  const fullTo = { search: withSearch(search, { full: full ? null : "1" }).toString() };
  return (
    <aside
      className={`step-panel card${full ? " full" : ""}`}
      data-testid="step-panel"
      aria-label={`Step ${step.name}`}
      style={full ? undefined : { width }}
    >
      {!full && handle}
      {full && (
        <div className="crumbs">
          <Link to="/">Runs</Link>
          <span aria-hidden="true">/</span>
          <Link to={`/experiments/${encodeURIComponent(run.experiment)}`}>{run.experiment}</Link>
          <span aria-hidden="true">/</span>
          <Link to={closeTo} className="mono" title={run.id}>
            {shortId(run.id)}
          </Link>
        </div>
      )}
      <header className="step-panel-header">
        <div className="step-title">
          <h2 data-testid="panel-step-name">{step.name}</h2>
          <StatusBadge status={step.status} />
          {step.is_reused && <span className="reused-badge">Reused</span>}
        </div>
        <div className="step-panel-tools">
          <Link
            className="button quiet small"
            to={fullTo}
            data-testid="step-full-toggle"
            title={full ? "Show the step beside the run's graph" : "Open the step on a page of its own"}
          >
            {full ? "Beside the run" : "Full page"}
          </Link>
          <Link className="button quiet small" to={closeTo} aria-label="Close the step">
            ✕
          </Link>
        </div>
      </header>
      <dl className={full ? "run-facts" : "facts compact"}>
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
        <div>
          <dt>Step run</dt>
          <dd className="mono step-id" title="the step run's id">
            {step.id}
          </dd>
        </div>
      </dl>
      {whole?.reason && <p className="step-reason">{whole.reason}</p>}
      <div className="run-tabs step-tabs" role="tablist" aria-label="The step's parts">
        {STEP_TABS.map(([key, label]) => (
          <button
            key={key}
            type="button"
            role="tab"
            aria-selected={tab === key}
            className={`tab${tab === key ? " active" : ""}`}
            onClick={() => setSearch(withSearch(search, { tab: key === "log" ? null : key }))}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="step-tab-body" role="tabpanel" aria-label={tab}>
        <TabBody tab={tab} runId={run.id} stepId={step.id} status={step.status} started={step.started} />
      </div>
    </aside>
  );
}
