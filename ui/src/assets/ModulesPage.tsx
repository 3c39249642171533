import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ActiveStatus } from "../components/ActiveStatus";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { formatAgo, formatDateTime } from "../time";
import { AssetTabs } from "./AssetTabs";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { assetPath, type Module } from "./assets";
import "./assets.css";

/** `/modules`: each module (a named, reusable step) with its default version, how many versions it has and its
 * status. */
export function ModulesPage() {
  const modules = useQuery({ queryKey: ["modules"], queryFn: () => unwrap(api.GET("/api/modules")) });
  const now = useNow(30_000);
  const columns: GridColumn<Module>[] = [
    {
      label: "Name",
      width: "minmax(200px, 2fr)",
      cell: (m) => (
        <span className="clip" title={m.description ?? m.name}>
          <Link to={assetPath("modules", m.name)} className="cell-title">
            {m.name}
          </Link>
          {m.description && <span className="muted"> · {m.description}</span>}
        </span>
      ),
    },
    {
      label: "Default",
      width: "90px",
      cell: (m) => (m.default_version ? <span className="version default">v{m.default_version}</span> : <span className="muted">—</span>),
    },
    { label: "Versions", width: "90px", numeric: true, cell: (m) => m.versions },
    { label: "Status", width: "120px", cell: (m) => <ActiveStatus status={m.status} /> },
    {
      label: "Created",
      width: "130px",
      cell: (m) => (
        <span className="muted" title={formatDateTime(m.created_at)}>
          {formatAgo(m.created_at, now)}
        </span>
      ),
    },
  ];
  return (
    <>
      <AssetTabs />
      <div className="page-header">
        <div>
          <h1>Modules</h1>
          <p>Named, reusable steps: each version a published script with typed input and output ports and params.</p>
        </div>
      </div>
      <section className="card" aria-label="Modules">
        <div className="card-header">
          <h2>Modules {modules.data && <span className="count">{modules.data.length}</span>}</h2>
        </div>
        {!modules.data ? (
          <QueryState error={modules.error} />
        ) : modules.data.length === 0 ? (
          <NoModules />
        ) : (
          <AssetGrid rows={modules.data} columns={columns} rowKey={(m) => m.id} label="Modules" />
        )}
      </section>
    </>
  );
}

const PUBLISH = `from duto.pipeline import Module
from duto.pipeline.graph import InputPortDef, OutputPortDef
train = Module.create(ws, "train", "trains a model")
train.publish_python_script(
    "train.py", "first version", source_directory="modules/train",
    inputs=[InputPortDef("data", ["AnyDirectory"])],
    outputs=[OutputPortDef("model", is_directory=True)],
    params={"lr": 0.1})`;

/** What an empty list of modules says to do: the Python that makes one and publishes its first version. */
function NoModules() {
  return (
    <EmptyState title="No modules yet">
      <p>Make a module and publish its first version (the default) in Python:</p>
      <pre>
        <code>{PUBLISH}</code>
      </pre>
      <p>
        then use it in any pipeline as <code>ModuleStep(module=train, inputs_map={"{...}"})</code>.
      </p>
    </EmptyState>
  );
}
