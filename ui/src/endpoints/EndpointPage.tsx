import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { CopyButton } from "../components/CopyButton";
import { QueryState } from "../components/QueryState";
import { type TriggerTarget, TriggerForm } from "../pipelines/TriggerForm";
import type { Pipeline } from "../pipelines/trigger";
import { useAllows } from "../session/scope";
import { formatDateTime } from "../time";
import { EndpointRuns } from "./EndpointRuns";
import { ActiveStatus } from "../components/ActiveStatus";
import { EndpointVersions } from "./EndpointVersions";
import { chosenVersion, type Endpoint, newestFirst, versionUrl } from "./endpoints";
import "./endpoints.css";

type Change = { default: string } | { enable: boolean };

/** `/endpoints/:name`: a pipeline endpoint's versions (each a published pipeline) and which is the default, a
 * trigger form for the version picked (kept in the URL as `?version=`) with its `curl` line, and the runs
 * triggered through it (live); setting the default, enabling and disabling for an admin. */
export function EndpointPage() {
  const { name = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const endpoint = useQuery({
    queryKey: ["endpoint", name],
    queryFn: () => unwrap(api.GET("/api/endpoints/{id}", { params: { path: { id: name } } })),
  });
  const pipelines = useQuery({
    queryKey: ["pipelines"],
    queryFn: () => unwrap(api.GET("/api/pipelines", { params: { query: { active_only: false } } })),
  });
  const canTrigger = useAllows("submit");
  const isAdmin = useAllows("admin");
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: (what: Change) => {
      const path = { params: { path: { id: endpoint.data?.id ?? name } } };
      if ("default" in what) return unwrap(api.PUT("/api/endpoints/{id}/default", { ...path, body: { version: what.default } }));
      return unwrap(what.enable ? api.POST("/api/endpoints/{id}/enable", path) : api.POST("/api/endpoints/{id}/disable", path));
    },
    onSuccess: (changed) => {
      client.setQueryData(["endpoint", name], changed);
      void client.invalidateQueries({ queryKey: ["endpoints"] });
    },
  });

  if (!endpoint.data) {
    return (
      <section className="card">
        <QueryState error={endpoint.error} />
      </section>
    );
  }
  const e = endpoint.data;
  const active = e.status === "Active";
  const chosen = chosenVersion(e, search.get("version"));
  const pipeline = chosen && pipelines.data?.find((p) => p.id === chosen.pipeline_id);
  const pick = (version: string) =>
    setSearch(version === e.default_version ? {} : { version }, { replace: true, preventScrollReset: true });
  return (
    <>
      <div className="page-header">
        <div>
          <p className="crumbs">
            <Link to="/endpoints">Endpoints</Link> /
          </p>
          <h1>
            {e.name}
            <ActiveStatus status={e.status} />
          </h1>
          <p>{e.description ?? "A pipeline endpoint: one URL over versions of published pipelines."}</p>
        </div>
        {isAdmin && (
          <div className="actions">
            <button
              type="button"
              className={`button ${active ? "danger" : ""}`}
              disabled={change.isPending}
              onClick={() => change.mutate({ enable: !active })}
            >
              {active ? "Disable" : "Enable"}
            </button>
          </div>
        )}
      </div>
      {change.error && (
        <p className="notice" role="alert">
          {change.error.message}
        </p>
      )}
      <div className="two-columns">
        {chosen && pipeline ? (
          <TriggerForm
            key={`${chosen.version} ${pipeline.id}`}
            pipeline={pipeline}
            canTrigger={canTrigger}
            target={endpointTarget(e, chosen.version, pipeline)}
            picker={<VersionPicker endpoint={e} chosen={chosen.version} pipelines={pipelines.data ?? []} pick={pick} />}
          />
        ) : (
          <section className="card" aria-label="Trigger">
            <QueryState error={pipelines.error} />
          </section>
        )}
        <div className="stack">
          <EndpointVersions
            endpoint={e}
            pipelines={pipelines.data}
            isAdmin={isAdmin}
            pending={change.isPending}
            makeDefault={(version) => change.mutate({ default: version })}
          />
          <section className="card" aria-label="Details">
            <dl className="facts">
              <dt>Id</dt>
              <dd className="mono">{e.id}</dd>
              <dt>URL</dt>
              <dd>
                <span className="url-cell">
                  <span className="mono clip" title={e.endpoint}>
                    {e.endpoint}
                  </span>
                  <CopyButton text={e.endpoint} label="Copy URL" />
                </span>
              </dd>
              <dt>Created</dt>
              <dd>{formatDateTime(e.created)}</dd>
            </dl>
          </section>
        </div>
      </div>
      <EndpointRuns endpoint={e} />
    </>
  );
}

/** A trigger through the endpoint: its default version at its own URL, another with `?pipelineVersion=`. */
function endpointTarget(endpoint: Endpoint, version: string, pipeline: Pipeline): TriggerTarget {
  const query = version === endpoint.default_version ? {} : { pipelineVersion: version };
  return {
    url: versionUrl(endpoint, version),
    post: (body) => api.POST("/api/endpoints/{id}/runs", { params: { path: { id: endpoint.id }, query }, body }),
    disabled:
      endpoint.status !== "Active"
        ? "The endpoint is disabled: enable it to trigger runs."
        : pipeline.status !== "Active"
          ? `Version ${version}'s published pipeline is disabled: enable it on its page.`
          : null,
  };
}

function VersionPicker({
  endpoint,
  chosen,
  pipelines,
  pick,
}: {
  endpoint: Endpoint;
  chosen: string;
  pipelines: Pipeline[];
  pick: (version: string) => void;
}) {
  const names = new Map(pipelines.map((p) => [p.id, p.name]));
  return (
    <div className="field version-picker">
      <label className="field-label" htmlFor="trigger-version">
        <span className="mono">Version</span>
      </label>
      <select id="trigger-version" className="input select" value={chosen} onChange={(event) => pick(event.target.value)}>
        {newestFirst(endpoint).map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} · {names.get(v.pipeline_id) ?? v.pipeline_id.slice(0, 8)}
            {v.version === endpoint.default_version ? " (default)" : ""}
          </option>
        ))}
      </select>
      <span className="muted hint">
        {chosen === endpoint.default_version
          ? "The endpoint's URL runs whichever version is the default when it is called."
          : `Pinned with ?pipelineVersion=${chosen}.`}
      </span>
    </div>
  );
}
