import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useLiveRunLists } from "../api/workspaceEvents";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { StatusBadge } from "../components/StatusBadge";
import { formatAgo, formatDateTime } from "../time";
import { type Endpoint, endpointPath, runsTag } from "./endpoints";
import { ActiveStatus } from "../components/ActiveStatus";

/** `/endpoints`: each pipeline endpoint with its default version, how many versions it has, whether it is
 * enabled, and its last run (live). */
export function EndpointsPage() {
  const endpoints = useQuery({
    queryKey: ["endpoints"],
    queryFn: () => unwrap(api.GET("/api/endpoints", { params: { query: { active_only: false } } })),
  });
  const pipelines = useQuery({
    queryKey: ["pipelines"],
    queryFn: () => unwrap(api.GET("/api/pipelines", { params: { query: { active_only: false } } })),
  });
  const pipelineName = new Map((pipelines.data ?? []).map((p) => [p.id, p.name]));
  const poll = useLiveRunLists();
  const now = useNow(30_000);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Endpoints</h1>
          <p>An endpoint keeps one URL while the published pipeline behind it changes: versions 0, 1, 2… and a default.</p>
        </div>
      </div>
      <section className="card" aria-label="Endpoints">
        <div className="card-header">
          <h2>Endpoints {endpoints.data && <span className="count">{endpoints.data.length}</span>}</h2>
        </div>
        {!endpoints.data ? (
          <QueryState error={endpoints.error} />
        ) : endpoints.data.length === 0 ? (
          <NoEndpoints />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Default version</th>
                <th className="num">Versions</th>
                <th>Status</th>
                <th>Last run</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.data.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link to={endpointPath(e)} className="cell-title">
                      {e.name}
                    </Link>
                    {e.description && <span className="sub muted">{e.description}</span>}
                  </td>
                  <td>
                    <DefaultVersion endpoint={e} pipelineName={pipelineName} />
                  </td>
                  <td className="num">{e.versions.length}</td>
                  <td>
                    <ActiveStatus status={e.status} />
                  </td>
                  <td>
                    <LastRun endpointId={e.id} now={now} poll={poll} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

// Broken over lines to fit home's narrow cards too.
const NEW_ENDPOINT = `PipelineEndpoint.publish(
    ws, name="train",
    pipeline=published,
    description="nightly training")`;

/** What an empty list of endpoints says to do: the SDK call that makes one, and the command. */
export function NoEndpoints() {
  return (
    <EmptyState title="No pipeline endpoints yet">
      <p>Make one from a published pipeline in Python; its version 0 becomes the default:</p>
      <pre>
        <code>{NEW_ENDPOINT}</code>
      </pre>
      <p>or from a shell:</p>
      <pre>
        <code>{"duto endpoints create train \\\n    --pipeline PIPELINE_ID"}</code>
      </pre>
    </EmptyState>
  );
}

function DefaultVersion({ endpoint, pipelineName }: { endpoint: Endpoint; pipelineName: Map<string, string> }) {
  const version = endpoint.versions.find((v) => v.version === endpoint.default_version);
  if (!version) return <span className="muted">—</span>;
  return (
    <span className="run-cell">
      <span className="version default">v{version.version}</span>
      <Link to={`/pipelines/${encodeURIComponent(version.pipeline_id)}`} title={`published pipeline ${version.pipeline_id}`}>
        {pipelineName.get(version.pipeline_id) ?? version.pipeline_id.slice(0, 8)}
      </Link>
    </span>
  );
}

/** The newest run triggered through the endpoint: its status, id and when it started. */
function LastRun({ endpointId, now, poll }: { endpointId: string; now: number; poll: number | false }) {
  const runs = useQuery({
    queryKey: ["runs", { tag: runsTag(endpointId), limit: 1 }],
    queryFn: () => unwrap(api.GET("/api/runs", { params: { query: { tag: [runsTag(endpointId)], limit: 1 } } })),
    refetchInterval: poll,
  });
  const run = runs.data?.[0];
  if (!runs.data) return <span className="muted">{runs.error ? "could not load" : "…"}</span>;
  if (!run) return <span className="muted">none yet</span>;
  const started = run.started ?? run.created;
  return (
    <span className="run-cell">
      <StatusBadge status={run.status} reused={run.reused} />
      <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">
        {run.id.slice(0, 8)}
      </Link>
      <span className="muted" title={formatDateTime(started)}>
        {formatAgo(started, now)}
      </span>
    </span>
  );
}
