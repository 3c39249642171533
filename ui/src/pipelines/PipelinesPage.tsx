import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ActiveStatus } from "../components/ActiveStatus";
import { CopyButton } from "../components/CopyButton";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { endpointPath } from "../endpoints/endpoints";
import { endpointsByPipeline, useEndpoints } from "./endpointsOf";
import "./pipelines.css";
import { formatAgo, formatDateTime } from "../time";

/** `/pipelines`: the published pipelines, each with the URL it is triggered at and the endpoints that run it
 * (the endpoints themselves have their own pages, at /endpoints). */
export function PipelinesPage() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Pipelines</h1>
          <p>
            Published pipelines start runs of a fixed snapshot of code.{" "}
            <Link to="/endpoints">Endpoints</Link> give several versions of a pipeline one URL.
          </p>
        </div>
        <div className="actions">
          <Link className="button" to="/endpoints">
            Endpoints →
          </Link>
        </div>
      </div>
      <PublishedPipelines />
    </>
  );
}

function PublishedPipelines() {
  const pipelines = useQuery({
    queryKey: ["pipelines"],
    queryFn: () => unwrap(api.GET("/api/pipelines", { params: { query: { active_only: false } } })),
  });
  const endpoints = useEndpoints();
  const servedBy = endpointsByPipeline(endpoints.data ?? []);
  const now = useNow(60_000);
  return (
    <section className="card" aria-label="Published pipelines">
      <div className="card-header">
        <h2>
          Published pipelines {pipelines.data && <span className="count">{pipelines.data.length}</span>}
        </h2>
      </div>
      {!pipelines.data ? (
        <QueryState error={pipelines.error} />
      ) : pipelines.data.length === 0 ? (
        <EmptyState title="No published pipelines">
          <p>Publish a pipeline from Python, or a finished run from the command line:</p>
          <pre>
            <code>{`pipeline.publish("nightly-train", version="1")\nduto pipelines publish RUN_ID --name nightly-train`}</code>
          </pre>
        </EmptyState>
      ) : (
        <div className="pipelines-scroll">
        <table className="table pipelines-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
              <th>Status</th>
              <th>Id</th>
              <th>Published</th>
              <th>Endpoints</th>
              <th>Trigger URL</th>
            </tr>
          </thead>
          <tbody>
            {pipelines.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={`/pipelines/${encodeURIComponent(p.id)}`}>{p.name}</Link>
                  {p.description && <span className="sub muted">{p.description}</span>}
                </td>
                <td className="mono">{p.version ?? "—"}</td>
                <td>
                  <ActiveStatus status={p.status} />
                </td>
                <td className="mono" title={p.id}>
                  {p.id.slice(0, 8)}
                </td>
                <td className="muted" title={formatDateTime(p.created)}>
                  {formatAgo(p.created, now)}
                </td>
                <td data-testid="pipeline-endpoints">
                  {(servedBy.get(p.id) ?? []).length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <span className="versions">
                      {servedBy.get(p.id)!.map(({ endpoint, version, isDefault }) => (
                        <Link
                          key={`${endpoint.id} ${version}`}
                          to={endpointPath(endpoint)}
                          className={`version ${isDefault ? "default" : ""}`}
                          title={`endpoint ${endpoint.name}, version ${version}${isDefault ? " (its default)" : ""}`}
                        >
                          {endpoint.name} v{version}
                          {isDefault && " · default"}
                        </Link>
                      ))}
                    </span>
                  )}
                </td>
                <UrlCell url={p.endpoint} />
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}

/** A trigger URL, clipped to its cell, with a button that copies it whole. */
function UrlCell({ url }: { url: string }) {
  return (
    <td>
      <span className="url-cell">
        <span className="mono clip" title={url}>
          {url}
        </span>
        <CopyButton text={url} label="Copy URL" />
      </span>
    </td>
  );
}
