import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, type Schemas, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { StatusBadge } from "../components/StatusBadge";
import { useAllows } from "../session/scope";
import { formatAgo, formatDateTime } from "../time";
import { lastRuns, type Schedule, whenItFires } from "./scheduleWords";

// The scheduled runs read to find each schedule's last one, in one request.
const SCHEDULED_RUNS = 500;
const NEXT_SHOWN = 3;

/** `/schedules`: each schedule, what fires it, what it runs, its next due times and its last run. */
export function SchedulesPage() {
  const schedules = useQuery({
    queryKey: ["schedules"],
    queryFn: () => unwrap(api.GET("/api/schedules", { params: { query: { active_only: false } } })),
    refetchInterval: 10_000,
  });
  const pipelines = useQuery({
    queryKey: ["pipelines"],
    queryFn: () => unwrap(api.GET("/api/pipelines", { params: { query: { active_only: false } } })),
  });
  const endpoints = useQuery({
    queryKey: ["endpoints"],
    queryFn: () => unwrap(api.GET("/api/endpoints", { params: { query: { active_only: false } } })),
  });
  const scheduled = useQuery({
    queryKey: ["runs", { tag: "schedule_id" }],
    queryFn: () =>
      unwrap(api.GET("/api/runs", { params: { query: { tag: ["schedule_id"], limit: SCHEDULED_RUNS } } })),
    refetchInterval: 10_000,
  });
  const last = lastRuns(scheduled.data ?? []);
  const pipelineName = new Map((pipelines.data ?? []).map((p) => [p.id, p.name]));
  const endpointName = new Map((endpoints.data ?? []).map((e) => [e.id, e.name]));
  const isAdmin = useAllows("admin");
  const now = useNow(30_000);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Schedules</h1>
          <p>Runs of published pipelines on a recurrence, or when files under a watched path change.</p>
        </div>
      </div>
      <section className="card" aria-label="Schedules">
        {!schedules.data ? (
          <QueryState error={schedules.error} />
        ) : schedules.data.length === 0 ? (
          <EmptyState title="No schedules">
            <p>Schedule a published pipeline from Python; the running server fires it:</p>
            <pre>
              <code>{`recurrence = ScheduleRecurrence(frequency="Day", interval=1, hours=[2], minutes=[0])\nSchedule.create(ws, "nightly", pipeline_id, "nightly", recurrence=recurrence)`}</code>
            </pre>
          </EmptyState>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Schedule</th>
                <th>Runs</th>
                <th>When</th>
                <th>Status</th>
                <th>Next</th>
                <th>Last run</th>
                {isAdmin && <th aria-label="Actions" />}
              </tr>
            </thead>
            <tbody>
              {schedules.data.map((schedule) => (
                <ScheduleRow
                  key={schedule.id}
                  schedule={schedule}
                  target={
                    schedule.pipeline_endpoint_id
                      ? { name: endpointName.get(schedule.pipeline_endpoint_id), id: null, kind: "endpoint" }
                      : { name: pipelineName.get(schedule.pipeline_id ?? ""), id: schedule.pipeline_id, kind: "pipeline" }
                  }
                  lastRun={last.get(schedule.id)}
                  isAdmin={isAdmin}
                  now={now}
                />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function ScheduleRow({
  schedule,
  target,
  lastRun,
  isAdmin,
  now,
}: {
  schedule: Schedule;
  target: { name: string | undefined; id: string | null; kind: string };
  lastRun: Schemas["RunSummary"] | undefined;
  isAdmin: boolean;
  now: number;
}) {
  const client = useQueryClient();
  const setEnabled = useMutation({
    mutationFn: (enable: boolean) => {
      const path = { params: { path: { id: schedule.id } } };
      return unwrap(
        enable ? api.POST("/api/schedules/{id}/enable", path) : api.POST("/api/schedules/{id}/disable", path),
      );
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["schedules"] }),
  });
  const active = schedule.status === "Active";
  const next = active ? schedule.next_fire_times.slice(0, NEXT_SHOWN) : [];
  return (
    <tr>
      <td>
        <strong className="cell-title">{schedule.name}</strong>
        <span className="sub muted">into {schedule.experiment_name}</span>
      </td>
      <td>
        {target.id ? (
          <Link to={`/pipelines/${encodeURIComponent(target.id)}`}>{target.name ?? target.id.slice(0, 8)}</Link>
        ) : (
          <span>{target.name ?? "an endpoint"}</span>
        )}
        <span className="sub muted">{target.kind === "endpoint" ? "endpoint's default" : "published pipeline"}</span>
      </td>
      <td>{whenItFires(schedule)}</td>
      <td>
        <span className={`status ${active ? (schedule.stopped_reason ? "failed" : "finished") : "notstarted"}`}>
          {active && schedule.stopped_reason ? "Stopped" : schedule.status}
        </span>
        {schedule.stopped_reason && <span className="sub error-text">{schedule.stopped_reason}</span>}
      </td>
      <td>
        {next.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <ul className="plain">
            {next.map((at) => (
              <li key={at} className="mono" title={formatDateTime(at)}>
                {formatDateTime(at)}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        {lastRun ? (
          <span className="run-cell">
            <StatusBadge status={lastRun.status} reused={lastRun.reused} />
            <Link to={`/runs/${encodeURIComponent(lastRun.id)}`} className="mono">
              {lastRun.id.slice(0, 8)}
            </Link>
            <span className="muted">{formatAgo(lastRun.created, now)}</span>
          </span>
        ) : (
          <span className="muted">none yet</span>
        )}
      </td>
      {isAdmin && (
        <td>
          <button
            type="button"
            className="button small"
            disabled={setEnabled.isPending}
            onClick={() => setEnabled.mutate(!active)}
            aria-label={`${active ? "Disable" : "Enable"} ${schedule.name}`}
          >
            {active ? "Disable" : "Enable"}
          </button>
        </td>
      )}
    </tr>
  );
}
