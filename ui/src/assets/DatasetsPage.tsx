import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { formatAgo, formatDateTime } from "../time";
import { AssetTabs } from "./AssetTabs";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { ProducedBy, Tags } from "./AssetParts";
import { assetPath, datasetKind, type DatasetVersion } from "./assets";
import "./assets.css";

/** `/datasets`: every registered dataset at its latest version: its kind, tags, when and by what it was last
 * registered. */
export function DatasetsPage() {
  const datasets = useQuery({ queryKey: ["datasets"], queryFn: () => unwrap(api.GET("/api/datasets")) });
  const now = useNow(30_000);
  const columns: GridColumn<DatasetVersion>[] = [
    {
      label: "Name",
      width: "minmax(180px, 1.4fr)",
      cell: (d) => (
        <span className="clip" title={d.description ?? d.name}>
          <Link to={assetPath("datasets", d.name)} className="cell-title">
            {d.name}
          </Link>
          {d.description && <span className="muted"> · {d.description}</span>}
        </span>
      ),
    },
    { label: "Latest", width: "80px", cell: (d) => <span className="version default">v{d.version}</span> },
    // Versions are numbered 1, 2, 3… and never removed, so the latest's number is how many there are.
    { label: "Versions", width: "90px", numeric: true, cell: (d) => d.version },
    { label: "Kind", width: "80px", cell: (d) => <span className="kind-word">{datasetKind(d.definition)}</span> },
    { label: "Tags", width: "minmax(120px, 1fr)", cell: (d) => <Tags tags={d.tags} /> },
    {
      label: "Last registered",
      width: "130px",
      cell: (d) => (
        <span className="muted" title={formatDateTime(d.created_at)}>
          {formatAgo(d.created_at, now)}
        </span>
      ),
    },
    { label: "Produced by", width: "minmax(140px, 1fr)", cell: (d) => <ProducedBy by={d.produced_by} /> },
  ];
  return (
    <>
      <AssetTabs />
      <div className="page-header">
        <div>
          <h1>Datasets</h1>
          <p>Registered datasets: each version pins the files it held, by content, and remembers the run that made it.</p>
        </div>
      </div>
      <section className="card" aria-label="Datasets">
        <div className="card-header">
          <h2>Datasets {datasets.data && <span className="count">{datasets.data.length}</span>}</h2>
        </div>
        {!datasets.data ? (
          <QueryState error={datasets.error} />
        ) : datasets.data.length === 0 ? (
          <NoDatasets />
        ) : (
          <AssetGrid rows={datasets.data} columns={columns} rowKey={(d) => d.name} label="Datasets" />
        )}
      </section>
    </>
  );
}

const REGISTER = `from duto import Dataset, Workspace
ws = Workspace.from_config()
ds = ws.get_default_datastore()
raw = Dataset.File.from_files((ds, "raw/**"))
raw.register(ws, name="raw", description="the raw CSVs")`;

const REGISTER_OUTPUT = `prepped = PipelineData("prepped", datastore=ds).as_dataset()
prepped = prepped.register(name="prepped", create_new_version=True)`;

/** What an empty list of datasets says to do: the Python that registers one, or a step output that does. */
function NoDatasets() {
  return (
    <EmptyState title="No registered datasets yet">
      <p>Register files on a datastore as a dataset in Python:</p>
      <pre>
        <code>{REGISTER}</code>
      </pre>
      <p>or have a step's output registered as a new version each time it runs:</p>
      <pre>
        <code>{REGISTER_OUTPUT}</code>
      </pre>
    </EmptyState>
  );
}
