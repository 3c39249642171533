import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useLiveRunLists } from "../api/workspaceEvents";
import { EmptyState } from "../components/EmptyState";
import { LiveMark } from "../components/LiveMark";
import { RunHeaderCells, RunRow } from "../components/RunRow";
import { endpointPath } from "../endpoints/endpoints";
import { NoEndpoints } from "../endpoints/EndpointsPage";
import { formatDateTime, formatDuration } from "../time";
import "./home.css";

const RECENT_RUNS = 20;

/** The workspace at a glance: recent runs of every experiment (live: refreshed when a run starts or changes
 * status, as the workspace's events tell), and what is published and scheduled. */
export function Home() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Home</h1>
          <p>Recent runs of every experiment, and what this workspace publishes and schedules.</p>
        </div>
      </div>
      <RecentRuns />
      <div className="home-grid">
        <Pipelines />
        <Endpoints />
        <Schedules />
      </div>
    </>
  );
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function Section({ title, count, end, children }: { title: string; count?: number; end?: ReactNode; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <div className="card-header">
        <h2>
          {title}
          {count !== undefined && <span className="count">{count}</span>}
        </h2>
        {end}
      </div>
      {children}
    </section>
  );
}

/** A section's link to the page that lists all of what it shows a glance of. */
function AllLink({ to, what }: { to: string; what: string }) {
  return (
    <Link className="all-link" to={to} aria-label={`All ${what}`}>
      All {what} →
    </Link>
  );
}

function Loading({ error }: { error: Error | null }) {
  return error ? (
    <p className="loading error-text" role="alert">
      Could not load this: {error.message}
    </p>
  ) : (
    <p className="loading">Loading…</p>
  );
}

function RecentRuns() {
  const poll = useLiveRunLists();
  const runs = useQuery({
    queryKey: ["runs", { limit: RECENT_RUNS }],
    queryFn: () => unwrap(api.GET("/api/runs", { params: { query: { limit: RECENT_RUNS } } })),
    refetchInterval: poll,
  });
  const now = useNow(1000);
  return (
    <Section
      title="Recent runs"
      end={
        <span className="section-end">
          <LiveMark poll={poll} />
          <AllLink to="/experiments" what="experiments" />
        </span>
      }
    >
      {!runs.data ? (
        <Loading error={runs.error} />
      ) : runs.data.length === 0 ? (
        <EmptyState title="No runs yet">
          <p>Submit a pipeline and its run shows up here as it goes:</p>
          <pre>
            <code>duto run my_pipeline.py --experiment my-experiment</code>
          </pre>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <RunHeaderCells />
            </tr>
          </thead>
          <tbody>
            {runs.data.map((run) => (
              <RunRow key={run.id} run={run} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function Pipelines() {
  const pipelines = useQuery({
    queryKey: ["pipelines", { active_only: true }],
    queryFn: () => unwrap(api.GET("/api/pipelines")),
  });
  return (
    <Section title="Published pipelines" count={pipelines.data?.length} end={<AllLink to="/pipelines" what="pipelines" />}>
      {!pipelines.data ? (
        <Loading error={pipelines.error} />
      ) : pipelines.data.length === 0 ? (
        <EmptyState title="Nothing published">
          <p>Publish a pipeline to trigger it over REST:</p>
          <pre>
            <code>{"duto pipelines publish my_pipeline.py \\\n    --name my-pipeline"}</code>
          </pre>
        </EmptyState>
      ) : (
        <ul className="list">
          {pipelines.data.map((pipeline) => (
            <li key={pipeline.id}>
              <span>
                <Link to={`/pipelines/${encodeURIComponent(pipeline.id)}`}>{pipeline.name}</Link>
                <span className="sub">
                  {pipeline.version ? `version ${pipeline.version} · ` : ""}
                  {pipeline.steps.length} {pipeline.steps.length === 1 ? "step" : "steps"}
                </span>
              </span>
              <span className="mono muted">{pipeline.id.slice(0, 8)}</span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Endpoints() {
  const endpoints = useQuery({
    queryKey: ["endpoints", { active_only: true }],
    queryFn: () => unwrap(api.GET("/api/endpoints")),
  });
  return (
    <Section title="Endpoints" count={endpoints.data?.length} end={<AllLink to="/endpoints" what="endpoints" />}>
      {!endpoints.data ? (
        <Loading error={endpoints.error} />
      ) : endpoints.data.length === 0 ? (
        <NoEndpoints />
      ) : (
        <ul className="list">
          {endpoints.data.map((endpoint) => (
            <li key={endpoint.id}>
              <span>
                <Link to={endpointPath(endpoint)}>{endpoint.name}</Link>
                <span className="sub">
                  default v{endpoint.default_version} · {endpoint.versions.length}{" "}
                  {endpoint.versions.length === 1 ? "version" : "versions"}
                </span>
              </span>
              <span className="mono muted">{endpoint.id.slice(0, 8)}</span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Schedules() {
  const schedules = useQuery({
    queryKey: ["schedules"],
    queryFn: () => unwrap(api.GET("/api/schedules")),
  });
  const now = useNow(30_000);
  return (
    <Section title="Schedules" count={schedules.data?.length} end={<AllLink to="/schedules" what="schedules" />}>
      {!schedules.data ? (
        <Loading error={schedules.error} />
      ) : schedules.data.length === 0 ? (
        <EmptyState title="Nothing scheduled">
          <p>
            Run a published pipeline on a timetable or when data lands, with <code>Schedule.create</code> in Python
            (see the schedules guide); <code>duto schedules list</code> shows them.
          </p>
        </EmptyState>
      ) : (
        <ul className="list">
          {schedules.data.map((schedule) => (
            <li key={schedule.id}>
              <span>
                <Link to="/schedules">{schedule.name}</Link>
                <span className="sub">{schedule.recurrence_text ?? "when data lands"}</span>
              </span>
              <span className="muted" title={formatDateTime(schedule.next_fire_times[0])}>
                {schedule.next_fire_times[0] ? `next ${formatIn(schedule.next_fire_times[0], now)}` : schedule.status}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function formatIn(iso: string, now: number): string {
  const seconds = (Date.parse(iso) - now) / 1000;
  if (Number.isNaN(seconds)) return iso;
  return seconds <= 0 ? "now" : `in ${formatDuration(seconds)}`;
}
