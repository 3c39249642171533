import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ActiveStatus } from "../components/ActiveStatus";
import { CopyButton } from "../components/CopyButton";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { endpointPath } from "../endpoints/endpoints";
import { NoEndpoints } from "../endpoints/EndpointsPage";
import { formatAgo, formatDateTime } from "../time";

/** `/pipelines`: the published pipelines and the pipeline endpoints, with the URL each is triggered at. */
export function PipelinesPage() {
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Pipelines</h1>
          <p>Published pipelines start runs of a fixed snapshot of code; endpoints give several versions one URL.</p>
        </div>
      </div>
      <div className="stack">
        <PublishedPipelines />
        <Endpoints />
      </div>
    </>
  );
}

function PublishedPipelines() {
  const pipelines = useQuery({
    queryKey: ["pipelines"],
    queryFn: () => unwrap(api.GET("/api/pipelines", { params: { query: { active_only: false } } })),
  });
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
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
              <th>Status</th>
              <th>Id</th>
              <th>Published</th>
              <th>Endpoint URL</th>
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
                <UrlCell url={p.endpoint} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Endpoints() {
  const endpoints = useQuery({
    queryKey: ["endpoints"],
    queryFn: () => unwrap(api.GET("/api/endpoints", { params: { query: { active_only: false } } })),
  });
  return (
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
              <th>Status</th>
              <th>Versions</th>
              <th>Endpoint URL</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.data.map((e) => (
              <tr key={e.id}>
                <td>
                  <Link to={endpointPath(e)}>{e.name}</Link>
                  {e.description && <span className="sub muted">{e.description}</span>}
                </td>
                <td>
                  <ActiveStatus status={e.status} />
                </td>
                <td>
                  <span className="versions">
                    {e.versions.map((v) => (
                      <Link
                        key={v.version}
                        to={`/pipelines/${encodeURIComponent(v.pipeline_id)}`}
                        className={`version ${v.version === e.default_version ? "default" : ""}`}
                        title={`version ${v.version}: pipeline ${v.pipeline_id}${v.version === e.default_version ? " (the default)" : ""}`}
                      >
                        v{v.version}
                        {v.version === e.default_version && " · default"}
                      </Link>
                    ))}
                  </span>
                </td>
                <UrlCell url={e.endpoint} />
              </tr>
            ))}
          </tbody>
        </table>
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
