import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useTaggedRuns } from "../api/taggedRuns";
import { EmptyState } from "../components/EmptyState";
import { LiveMark } from "../components/LiveMark";
import { QueryState, useNow } from "../components/QueryState";
import { RunHeaderCells, RunRow } from "../components/RunRow";
import { valueText } from "../experiments/runTable";
import { useAllows } from "../session/scope";
import { formatDateTime } from "../time";
import { TriggerForm } from "./TriggerForm";
import { parametersOf } from "./trigger";
import { endpointPath } from "../endpoints/endpoints";
import { type EndpointVersion, endpointsByPipeline, useEndpoints } from "./endpointsOf";
import "./pipelines.css";

/** `/pipelines/:id`: a published pipeline's parameters, its trigger (with the `curl` line) and its runs;
 * enable and disable for an admin. */
export function PipelinePage() {
  const { id = "" } = useParams();
  const pipeline = useQuery({
    queryKey: ["pipeline", id],
    queryFn: () => unwrap(api.GET("/api/pipelines/{id}", { params: { path: { id } } })),
  });
  const endpoints = useEndpoints();
  const canTrigger = useAllows("submit");
  const isAdmin = useAllows("admin");
  const client = useQueryClient();
  const setEnabled = useMutation({
    mutationFn: (enable: boolean) =>
      unwrap(
        enable
          ? api.POST("/api/pipelines/{id}/enable", { params: { path: { id } } })
          : api.POST("/api/pipelines/{id}/disable", { params: { path: { id } } }),
      ),
    onSuccess: (changed) => {
      client.setQueryData(["pipeline", id], changed);
      void client.invalidateQueries({ queryKey: ["pipelines"] });
    },
  });

  if (!pipeline.data) {
    return (
      <section className="card">
        <QueryState error={pipeline.error} />
      </section>
    );
  }
  const p = pipeline.data;
  const active = p.status === "Active";
  return (
    <>
      <div className="page-header">
        <div>
          <p className="crumbs">
            <Link to="/pipelines">Pipelines</Link> /
          </p>
          <h1>
            {p.name}
            {p.version && <span className="muted"> v{p.version}</span>}
            <span className={`status ${active ? "finished" : "notstarted"}`}>{p.status}</span>
          </h1>
          <p>{p.description ?? "A published pipeline."}</p>
          <ServedBy versions={endpointsByPipeline(endpoints.data ?? []).get(p.id) ?? []} />
        </div>
        {isAdmin && (
          <div className="actions">
            <button
              type="button"
              className={`button ${active ? "danger" : ""}`}
              disabled={setEnabled.isPending}
              onClick={() => setEnabled.mutate(!active)}
            >
              {active ? "Disable" : "Enable"}
            </button>
          </div>
        )}
      </div>
      {setEnabled.error && (
        <p className="notice" role="alert">
          {setEnabled.error.message}
        </p>
      )}
      <div className="two-columns">
        <TriggerForm pipeline={p} canTrigger={canTrigger} />
        <div className="stack">
          <section className="card" aria-label="Parameters">
            <div className="card-header">
              <h2>
                Parameters <span className="count">{Object.keys(p.parameters).length}</span>
              </h2>
            </div>
            {Object.keys(p.parameters).length === 0 ? (
              <EmptyState title="No parameters">
                <p>
                  A <code>PipelineParameter("lr", default_value=0.1)</code> in a step's arguments makes one.
                </p>
              </EmptyState>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Type</th>
                    <th>Default</th>
                  </tr>
                </thead>
                <tbody>
                  {parametersOf(p).map((parameter) => (
                    <tr key={parameter.name}>
                      <td className="mono">{parameter.name}</td>
                      <td className="muted">{parameter.type}</td>
                      <td className="mono">{valueText(parameter.default)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="card" aria-label="Details">
            <dl className="facts">
              <dt>Id</dt>
              <dd className="mono">{p.id}</dd>
              <dt>Published</dt>
              <dd title={formatDateTime(p.created)}>{formatDateTime(p.created)}</dd>
              <dt>Steps</dt>
              <dd className="mono">{p.steps.join(", ")}</dd>
              <dt>From run</dt>
              <dd>
                {p.source_run_id ? (
                  <Link to={`/runs/${encodeURIComponent(p.source_run_id)}`} className="mono">
                    {p.source_run_id.slice(0, 8)}
                  </Link>
                ) : (
                  <span className="muted">published from code</span>
                )}
              </dd>
              <dt>On a failed step</dt>
              <dd>{p.continue_on_step_failure ? "the other steps go on" : "the run stops"}</dd>
            </dl>
          </section>
        </div>
      </div>
      <PipelineRuns id={p.id} />
    </>
  );
}

function PipelineRuns({ id }: { id: string }) {
  const tag = `pipeline_id=${id}`;
  const { runs, poll } = useTaggedRuns(tag);
  const now = useNow(1000);
  return (
    <section className="card section-gap" aria-label="Runs of this pipeline">
      <div className="card-header">
        <h2>Runs {runs.data && <span className="count">{runs.data.length}</span>}</h2>
        <LiveMark poll={poll} />
      </div>
      {!runs.data ? (
        <QueryState error={runs.error} />
      ) : runs.data.length === 0 ? (
        <EmptyState title="No runs of this pipeline yet">
          <p>Trigger one above, or from Python:</p>
          <pre>
            <code>{`PublishedPipeline.get(ws, "${id.slice(0, 8)}").submit(ws, "my-experiment")`}</code>
          </pre>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <RunHeaderCells />
              <th>Parameters</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((run) => (
              <RunRow key={run.id} run={run} now={now}>
                <td className="mono muted clip">
                  {Object.entries(run.parameters)
                    .map(([k, v]) => `${k}=${valueText(v)}`)
                    .join("  ")}
                </td>
              </RunRow>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The endpoints that run this pipeline, each a link to its page. */
function ServedBy({ versions }: { versions: EndpointVersion[] }) {
  if (versions.length === 0) return null;
  return (
    <p className="served-by" data-testid="pipeline-endpoints">
      Run by{" "}
      {versions.map(({ endpoint, version, isDefault }, i) => (
        <span key={`${endpoint.id} ${version}`}>
          {i > 0 && ", "}
          <Link to={endpointPath(endpoint)}>{endpoint.name}</Link> v{version}
          {isDefault && " (default)"}
        </span>
      ))}
      {" · "}
      <Link to="/endpoints">all endpoints</Link>
    </p>
  );
}
