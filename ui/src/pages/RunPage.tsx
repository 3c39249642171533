import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { Link, Outlet, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { useRunEvents } from "../api/events";
import { EmptyState } from "../components/EmptyState";
import type { StepNodeData } from "../components/graph/groupSteps";
import { RunGraph } from "../components/graph/RunGraph";
import { RunLog } from "../components/log/RunLog";
import { RunHeader } from "../components/run/RunHeader";
import { RunMetrics } from "../components/run/RunMetrics";
import { patchRunStatus, patchStepStatus, runKey, useRunMetrics, useRunOutline } from "../components/run/queries";
import { useNow } from "../components/run/useNow";
import { withSearch } from "../components/step/stepView";
import { RunTimeline } from "../components/timeline/RunTimeline";
import { isActive } from "../status";
import "../styles/run.css";

const REFRESH_MS = 1000; // at most this often, the run's times are read again while its steps change

const VIEWS = [
  ["graph", "Graph"],
  ["timeline", "Timeline"],
  ["logs", "Logs"],
  ["metrics", "Metrics"],
] as const;
type View = (typeof VIEWS)[number][0];

/** `/runs/:id`: the run's header, then its steps as a graph, a timeline (`?view=timeline`), every step's log
 * (`?view=logs`) or every step's metrics (`?view=metrics`), followed live, and the open step beside them (or on its
 * own page, `?full=1`). The header, graph and timeline read the run's outline, one answer however many steps. */
export function RunPage() {
  const { id = "", step } = useParams();
  const [search, setSearch] = useSearchParams();
  const view: View = VIEWS.find(([v]) => v === search.get("view"))?.[0] ?? "graph";
  const navigate = useNavigate();
  const client = useQueryClient();
  const run = useRunOutline(id);
  const metrics = useRunMetrics(id);
  const live = run.data ? isActive(run.data.status) : false;
  const now = useNow(live ? 1000 : null);

  const refresh = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshSoon = useCallback(() => {
    if (refresh.current) return;
    refresh.current = setTimeout(() => {
      refresh.current = null;
      void client.invalidateQueries({ queryKey: runKey(id), exact: true });
    }, REFRESH_MS);
  }, [client, id]);
  useEffect(() => () => void (refresh.current && clearTimeout(refresh.current)), []);

  useRunEvents(id, live, {
    step_status: (event) => {
      if (!event.step_run_id || !event.status) return;
      patchStepStatus(client, id, event.step_run_id, event.status, Boolean(event.reused_from));
      refreshSoon();
    },
    run_status: (event) => {
      if (!event.status) return;
      patchRunStatus(client, id, event.status);
      if (!isActive(event.status)) void client.invalidateQueries({ queryKey: runKey(id) });
    },
    metric: () => void client.invalidateQueries({ queryKey: ["run", id, "metrics"] }),
  });

  const open = useCallback(
    (stepRunId: string) => navigate({ pathname: `/runs/${id}/steps/${stepRunId}`, search: search.toString() }),
    [navigate, id, search],
  );
  const openStep = useCallback((s: StepNodeData) => open(s.id), [open]);

  if (run.isPending) return <p className="muted">Loading the run…</p>;
  if (run.isError)
    return (
      <EmptyState title="This run could not be read">
        <p>{run.error.message}</p>
        <Link to="/">Back to the runs</Link>
      </EmptyState>
    );
  const openId = step ? (run.data.steps.find((s) => s.id === step || s.name === step)?.id ?? step) : undefined;
  if (step && search.get("full") === "1") {
    return (
      <div className="run-page step-page" data-testid="run-page">
        <Outlet context={{ run: run.data, now }} />
      </div>
    );
  }
  return (
    <div className="run-page" data-testid="run-page">
      <RunHeader run={run.data} metrics={metrics.data?.run ?? {}} />
      <div className="run-tabs" role="tablist">
        {VIEWS.map(([v, label]) => (
          <button
            key={v}
            type="button"
            role="tab"
            aria-selected={view === v}
            className={`tab${view === v ? " active" : ""}`}
            onClick={() => setSearch(withSearch(search, { view: v === "graph" ? null : v }))}
          >
            {label}
          </button>
        ))}
        <span className="muted run-tabs-hint">{view === "graph" ? "Arrow keys move between steps, Enter opens one" : ""}</span>
      </div>
      <div className={`run-body${step ? " with-panel" : ""}`}>
        <div className={`run-view view-${view}`}>
          {view === "graph" && <RunGraph nodes={run.data.steps} edges={run.data.edges} openId={openId} onOpen={openStep} />}
          {view === "timeline" && <RunTimeline run={run.data} now={now} openId={openId} onOpen={open} />}
          {view === "logs" && <RunLog runId={id} status={run.data.status} onOpen={open} />}
          {view === "metrics" && <RunMetrics runId={id} steps={run.data.steps} />}
        </div>
        <Outlet context={{ run: run.data, now }} />
      </div>
    </div>
  );
}
