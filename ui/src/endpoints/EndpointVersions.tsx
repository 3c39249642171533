import { Link } from "react-router-dom";
import { useNow } from "../components/QueryState";
import type { Pipeline } from "../pipelines/trigger";
import { formatAgo, formatDateTime } from "../time";
import { type Endpoint, newestFirst } from "./endpoints";
import "./endpoints.css";

/** An endpoint's versions, newest first: the published pipeline each names (a link to its page), when it was
 * published and whether it is disabled, and which version is the default (an admin may make another the
 * default). */
export function EndpointVersions({
  endpoint,
  pipelines,
  isAdmin,
  pending,
  makeDefault,
}: {
  endpoint: Endpoint;
  pipelines: Pipeline[] | undefined;
  isAdmin: boolean;
  pending: boolean;
  makeDefault: (version: string) => void;
}) {
  const byId = new Map((pipelines ?? []).map((p) => [p.id, p]));
  const now = useNow(60_000);
  return (
    <section className="card" aria-label="Versions">
      <div className="card-header">
        <h2>
          Versions <span className="count">{endpoint.versions.length}</span>
        </h2>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Published pipeline</th>
            <th>
              <span className="visually-hidden">Default</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {newestFirst(endpoint).map((v) => {
            const pipeline = byId.get(v.pipeline_id);
            const isDefault = v.version === endpoint.default_version;
            return (
              <tr key={v.version}>
                <td>
                  <span className={`version ${isDefault ? "default" : ""}`}>v{v.version}</span>
                </td>
                <td>
                  <Link to={`/pipelines/${encodeURIComponent(v.pipeline_id)}`} title={`published pipeline ${v.pipeline_id}`}>
                    {pipeline?.name ?? v.pipeline_id.slice(0, 8)}
                  </Link>
                  {pipeline?.version && <span className="muted"> v{pipeline.version}</span>}
                  {pipeline && (
                    <span className="sub muted" title={formatDateTime(pipeline.created)}>
                      published {formatAgo(pipeline.created, now)}
                      {pipeline.status !== "Active" && " · disabled"}
                    </span>
                  )}
                </td>
                <td className="version-action">
                  {isDefault ? (
                    <span className="muted">default</span>
                  ) : (
                    isAdmin && (
                      <button
                        type="button"
                        className="button small"
                        disabled={pending}
                        onClick={() => makeDefault(v.version)}
                        aria-label={`Make v${v.version} the default`}
                      >
                        Make default
                      </button>
                    )
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!isAdmin && (
        <p className="card-body muted hint">Changing the default version, or disabling the endpoint, needs an admin token.</p>
      )}
    </section>
  );
}
