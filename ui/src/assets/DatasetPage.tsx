import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { CopyButton } from "../components/CopyButton";
import { QueryState, useNow } from "../components/QueryState";
import { formatDateTime } from "../time";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { AssetHeader, Digest, ProducedBy, Tags, versionColumns } from "./AssetParts";
import { chosenVersion, datasetKind, type DatasetLineageVersion, definitionPaths, newestFirst } from "./assets";
import { buildLineage, datasetNodeId, modelHref, runHref } from "./lineage";
import { LineageGraph } from "./LineageGraph";
import { UnregisterButton } from "./UnregisterButton";
import "./assets.css";

/** `/datasets/:name`: a registered dataset's versions; the one picked (`?version=`, else the latest) with what it
 * reads, its fingerprint, tags and description; and its lineage: the step that produced it, the steps that read it,
 * the models made from it. */
export function DatasetPage() {
  const { name = "" } = useParams();
  const [search] = useSearchParams();
  const lineage = useQuery({
    queryKey: ["dataset-lineage", name],
    queryFn: () => unwrap(api.GET("/api/datasets/{name}/lineage", { params: { path: { name } } })),
  });
  const models = useQuery({ queryKey: ["models"], queryFn: () => unwrap(api.GET("/api/models")) });
  const now = useNow(30_000);
  const versions = useMemo(() => newestFirst(lineage.data ?? []), [lineage.data]);
  const chosen = chosenVersion(versions, search.get("version"));
  const graph = useMemo(() => {
    if (!chosen || (!models.data && !models.error)) return null;
    const made = new Set(chosen.models.map((m) => `${m.name}:${m.version}`));
    const fromIt = (models.data ?? []).filter((m) => made.has(`${m.name}:${m.version}`));
    return buildLineage({ datasets: [chosen], models: fromIt }, datasetNodeId(chosen));
  }, [chosen, models.data]);

  if (!lineage.data || !chosen) {
    return (
      <section className="card">
        <QueryState error={lineage.error} />
      </section>
    );
  }
  const columns: GridColumn<DatasetLineageVersion>[] = [
    ...versionColumns(now),
    { label: "Produced by", width: "minmax(150px, 1fr)", cell: (v) => <ProducedBy by={v.produced_by} /> },
    { label: "Read by", width: "90px", numeric: true, cell: (v) => v.consumed_by.length },
    { label: "Fingerprint", width: "130px", cell: (v) => <Digest digest={v.digest} length={12} /> },
  ];
  const paths = definitionPaths(chosen.definition);
  return (
    <>
      <AssetHeader
        list="/datasets"
        listLabel="Datasets"
        title={
          <>
            {chosen.name} <span className="version default">v{chosen.version}</span>
          </>
        }
        description={chosen.description ?? `A registered ${datasetKind(chosen.definition)} dataset with ${versions.length} version${versions.length === 1 ? "" : "s"}.`}
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
            <UnregisterButton kind="dataset" name={chosen.name} version={chosen.version} versions={versions.length} />
          </div>
          <dl className="facts">
            <dt>Kind</dt>
            <dd>{datasetKind(chosen.definition)}</dd>
            <dt>Reads</dt>
            <dd>
              {paths.length === 0 ? (
                <span className="muted">—</span>
              ) : (
                paths.map((p) => (
                  <div key={p} className="mono">
                    {p}
                  </div>
                ))
              )}
            </dd>
            {chosen.single_file && (
              <>
                <dt>File</dt>
                <dd className="mono">{chosen.single_file}</dd>
              </>
            )}
            <dt>Fingerprint</dt>
            <dd>
              <span className="url-cell">
                <Digest digest={chosen.digest} />
                <CopyButton text={chosen.digest} />
              </span>
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
            <dt>Read by</dt>
            <dd>
              {chosen.consumed_by.length === 0 ? (
                <span className="muted">no run yet</span>
              ) : (
                chosen.consumed_by.map((c) => (
                  <div key={`${c.pipeline_run_id} ${c.step_run_id ?? c.step_name} ${c.input_name}`}>
                    <Link to={runHref(c)}>{c.step_name}</Link> <span className="mono muted">{c.pipeline_run_id.slice(0, 8)}</span>{" "}
                    <span className="muted">as {c.input_name}</span>
                  </div>
                ))
              )}
            </dd>
            <dt>Models</dt>
            <dd>
              {chosen.models.length === 0 ? (
                <span className="muted">none made from it</span>
              ) : (
                chosen.models.map((m) => (
                  <div key={`${m.name}:${m.version}`}>
                    <Link to={modelHref(m)}>{m.name}</Link> <span className="version">v{m.version}</span>
                  </div>
                ))
              )}
            </dd>
            <dt>Definition</dt>
            <dd>
              <details>
                <summary className="muted">what a run reads it as</summary>
                <pre className="code-block">{JSON.stringify(chosen.definition, null, 2)}</pre>
              </details>
            </dd>
          </dl>
        </section>
      </div>
      <section className="card lineage-card" aria-label="Lineage">
        <div className="card-header">
          <h2>Lineage of v{chosen.version}</h2>
          <span className="sub muted">the step that produced it, the steps that read it, the models made from it; click one to open it</span>
        </div>
        <div className="card-body">
          {!graph ? (
            <p className="loading">Loading…</p>
          ) : graph.nodes.length <= 1 ? (
            <p className="muted">
              No run has produced or read this version yet. Use it in a step with{" "}
              <code>{`Dataset.get_by_name(ws, "${chosen.name}").as_named_input("${chosen.name}")`}</code> and the run will show here.
            </p>
          ) : (
            <LineageGraph graph={graph} />
          )}
        </div>
      </section>
    </>
  );
}
