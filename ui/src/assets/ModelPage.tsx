import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { CopyButton } from "../components/CopyButton";
import { QueryState, useNow } from "../components/QueryState";
import { formatDateTime } from "../time";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { AssetHeader, Digest, ProducedBy, Tags, versionColumns } from "./AssetParts";
import { chosenVersion, type ModelVersion, newestFirst } from "./assets";
import { datasetHref, modelLineage } from "./lineage";
import { LineageGraph } from "./LineageGraph";
import { UnregisterButton } from "./UnregisterButton";
import "./assets.css";

/** `/models/:name`: a registered model's versions; the one picked (`?version=`, else the latest) with its
 * framework, properties, tags and file; and its lineage: the step that registered it and the datasets it came from. */
export function ModelPage() {
  const { name = "" } = useParams();
  const [search] = useSearchParams();
  const models = useQuery({
    queryKey: ["models", name],
    queryFn: () => unwrap(api.GET("/api/models", { params: { query: { name } } })),
  });
  const now = useNow(30_000);
  const versions = useMemo(() => newestFirst(models.data ?? []), [models.data]);
  const chosen = chosenVersion(versions, search.get("version"));
  // The lineage of the datasets it came from tells which its step read (and who produced them).
  const names = [...new Set(chosen?.datasets.map((d) => d.name) ?? [])];
  const lineages = useQueries({
    queries: names.map((dataset) => ({
      queryKey: ["dataset-lineage", dataset],
      queryFn: () => unwrap(api.GET("/api/datasets/{name}/lineage", { params: { path: { name: dataset } } })),
    })),
  });
  const read = lineages.every((l) => l.data || l.error);
  // `useQueries` answers a new list each render: when each lineage was read says when the graph changes.
  const stamp = lineages.map((l) => l.dataUpdatedAt).join(" ");
  const graph = useMemo(
    () => (chosen && read ? modelLineage(chosen, lineages.flatMap((l) => l.data ?? [])) : null),
    [chosen, read, stamp]
  );

  if (!models.data || !chosen) {
    return (
      <section className="card">
        {models.data ? (
          <p className="loading error-text" role="alert">
            No model is registered as “{name}”. <Link to="/models">See the registered models.</Link>
          </p>
        ) : (
          <QueryState error={models.error} />
        )}
      </section>
    );
  }
  const columns: GridColumn<ModelVersion>[] = [
    ...versionColumns(now),
    { label: "Produced by", width: "minmax(120px, 1fr)", cell: (v) => <ProducedBy by={v.produced_by} /> },
    { label: "Tags", width: "minmax(100px, 1fr)", cell: (v) => <Tags tags={v.tags} /> },
    { label: "Fingerprint", width: "130px", cell: (v) => <Digest digest={v.digest} length={12} /> },
  ];
  const properties = Object.entries(chosen.properties);
  return (
    <>
      <AssetHeader
        list="/models"
        listLabel="Models"
        title={
          <>
            {chosen.name} <span className="version default">v{chosen.version}</span>
          </>
        }
        description={chosen.description ?? `A registered model with ${versions.length} version${versions.length === 1 ? "" : "s"}.`}
      />
      <div className="two-columns">
        <section className="card" aria-label="Versions">
          <div className="card-header">
            <h2>
              Versions <span className="count">{versions.length}</span>
            </h2>
          </div>
          <AssetGrid rows={versions} columns={columns} rowKey={(v) => String(v.version)} label="Versions" chosen={String(chosen.version)} />
        </section>
        <section className="card" aria-label="Version details">
          <div className="card-header">
            <h2>Version {chosen.version}</h2>
            <UnregisterButton kind="model" name={chosen.name} version={chosen.version} versions={versions.length} />
          </div>
          <dl className="facts">
            <dt>Framework</dt>
            <dd>{chosen.framework ?? <span className="muted">—</span>}</dd>
            <dt>File</dt>
            <dd className="mono">{chosen.file_name}</dd>
            <dt>Fingerprint</dt>
            <dd>
              <span className="url-cell">
                <Digest digest={chosen.digest} />
                <CopyButton text={chosen.digest} />
              </span>
            </dd>
            <dt>Properties</dt>
            <dd>
              {properties.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                <table className="table compact">
                  <tbody>
                    {properties.map(([k, v]) => (
                      <tr key={k}>
                        <td className="mono">{k}</td>
                        <td className="mono">{v}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </dd>
            <dt>Tags</dt>
            <dd>
              <Tags tags={chosen.tags} />
            </dd>
            <dt>Registered</dt>
            <dd>{formatDateTime(chosen.created_at)}</dd>
            <dt>Produced by</dt>
            <dd>
              <ProducedBy by={chosen.produced_by} />
            </dd>
            <dt>Datasets</dt>
            <dd>
              {chosen.datasets.length === 0 ? (
                <span className="muted">none recorded</span>
              ) : (
                chosen.datasets.map((d) => (
                  <div key={d.id}>
                    <Link to={datasetHref(d)}>{d.name}</Link> <span className="version">v{d.version}</span>
                  </div>
                ))
              )}
            </dd>
            <dt>Use it</dt>
            <dd>
              <code className="mono">{`Model.get_model_path("${chosen.name}", version=${chosen.version})`}</code>
            </dd>
          </dl>
        </section>
      </div>
      <section className="card lineage-card" aria-label="Lineage">
        <div className="card-header">
          <h2>Lineage of v{chosen.version}</h2>
          <span className="sub muted">the step that registered it and the datasets it was made from; click one to open it</span>
        </div>
        <div className="card-body">
          {!graph ? (
            <p className="loading">Loading…</p>
          ) : graph.nodes.length <= 1 ? (
            <p className="muted">
              This version was registered by hand, with no datasets. Registered from a step's script with{" "}
              <code>run.register_model(...)</code>, a version keeps its run and the datasets the step read.
            </p>
          ) : (
            <LineageGraph graph={graph} />
          )}
        </div>
      </section>
    </>
  );
}
