import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { formatAgo, formatDateTime } from "../time";
import { AssetTabs } from "./AssetTabs";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { ProducedBy, Tags } from "./AssetParts";
import { assetPath, type ModelSummary, summarizeModels } from "./assets";
import "./assets.css";

/** `/models`: every registered model at its latest version: its framework, tags, how many versions, when and by
 * what it was last registered. */
export function ModelsPage() {
  const models = useQuery({ queryKey: ["models"], queryFn: () => unwrap(api.GET("/api/models")) });
  const summaries = useMemo(() => summarizeModels(models.data ?? []), [models.data]);
  const now = useNow(30_000);
  const columns: GridColumn<ModelSummary>[] = [
    {
      label: "Name",
      width: "minmax(180px, 1.4fr)",
      cell: ({ name, latest }) => (
        <span className="clip" title={latest.description ?? name}>
          <Link to={assetPath("models", name)} className="cell-title">
            {name}
          </Link>
          {latest.description && <span className="muted"> · {latest.description}</span>}
        </span>
      ),
    },
    { label: "Latest", width: "80px", cell: ({ latest }) => <span className="version default">v{latest.version}</span> },
    { label: "Versions", width: "90px", numeric: true, cell: (m) => m.versions },
    { label: "Framework", width: "110px", cell: ({ latest }) => latest.framework ?? <span className="muted">—</span> },
    { label: "Tags", width: "minmax(120px, 1fr)", cell: ({ latest }) => <Tags tags={latest.tags} /> },
    {
      label: "Last registered",
      width: "130px",
      cell: ({ latest }) => (
        <span className="muted" title={formatDateTime(latest.created_at)}>
          {formatAgo(latest.created_at, now)}
        </span>
      ),
    },
    { label: "Produced by", width: "minmax(140px, 1fr)", cell: ({ latest }) => <ProducedBy by={latest.produced_by} /> },
  ];
  return (
    <>
      <AssetTabs />
      <div className="page-header">
        <div>
          <h1>Models</h1>
          <p>Registered models: each version keeps its file or folder, stored, and the run and datasets that made it.</p>
        </div>
      </div>
      <section className="card" aria-label="Models">
        <div className="card-header">
          <h2>Models {models.data && <span className="count">{summaries.length}</span>}</h2>
        </div>
        {!models.data ? (
          <QueryState error={models.error} />
        ) : summaries.length === 0 ? (
          <NoModels />
        ) : (
          <AssetGrid rows={summaries} columns={columns} rowKey={(m) => m.name} label="Models" />
        )}
      </section>
    </>
  );
}

const IN_A_STEP = `from duto import Run
run = Run.get_context()
run.register_model("churn", model_path="outputs/model.pkl",
                   model_framework="ScikitLearn")`;

const BY_HAND = `from duto import Model, Workspace
Model.register(Workspace.from_config(), model_path="model.pkl",
               model_name="churn", model_framework="ScikitLearn")`;

/** What an empty list of models says to do: register one from a step (its run and datasets are recorded), or by
 * hand. */
function NoModels() {
  return (
    <EmptyState title="No registered models yet">
      <p>Register a model from inside a step's script: its run, and the registered datasets the step read, are kept with it:</p>
      <pre>
        <code>{IN_A_STEP}</code>
      </pre>
      <p>or register a file by hand:</p>
      <pre>
        <code>{BY_HAND}</code>
      </pre>
    </EmptyState>
  );
}
