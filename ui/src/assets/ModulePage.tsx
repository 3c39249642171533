import { useQuery } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { ActiveStatus } from "../components/ActiveStatus";
import { QueryState, useNow } from "../components/QueryState";
import { formatAgo, formatDateTime } from "../time";
import { AssetGrid, type GridColumn } from "./AssetGrid";
import { AssetHeader, Digest } from "./AssetParts";
import { chosenModuleVersion, type ModuleVersion, modulesNewestFirst } from "./assets";
import "./assets.css";

/** `/modules/:name`: a module's versions and which is the default; the one picked (`?version=`, else the default)
 * with its script, its ports and their data types, and its params. */
export function ModulePage() {
  const { name = "" } = useParams();
  const [search] = useSearchParams();
  const module = useQuery({
    queryKey: ["module", name],
    queryFn: () => unwrap(api.GET("/api/modules/{name}", { params: { path: { name } } })),
  });
  const now = useNow(30_000);
  if (!module.data) {
    return (
      <section className="card">
        <QueryState error={module.error} />
      </section>
    );
  }
  const m = module.data;
  const versions = modulesNewestFirst(m);
  const chosen = chosenModuleVersion(m, search.get("version"));
  const columns: GridColumn<ModuleVersion>[] = [
    {
      label: "Version",
      width: "150px",
      cell: (v) => (
        <Link to={{ search: `?version=${encodeURIComponent(v.version)}` }} replace preventScrollReset className={`version ${v.version === m.default_version ? "default" : ""}`}>
          v{v.version}
          {v.version === m.default_version ? " · default" : ""}
        </Link>
      ),
    },
    { label: "Description", width: "minmax(120px, 1fr)", cell: (v) => v.description ?? <span className="muted">—</span> },
    { label: "Status", width: "110px", cell: (v) => <ActiveStatus status={v.status} /> },
    {
      label: "Published",
      width: "120px",
      cell: (v) => (
        <span className="muted" title={formatDateTime(v.created_at)}>
          {formatAgo(v.created_at, now)}
        </span>
      ),
    },
  ];
  return (
    <>
      <AssetHeader
        list="/modules"
        listLabel="Modules"
        title={
          <>
            {m.name}
            <ActiveStatus status={m.status} />
          </>
        }
        description={m.description ?? "A module: a named, reusable step with typed ports."}
      />
      <div className="two-columns">
        <section className="card" aria-label="Versions">
          <div className="card-header">
            <h2>
              Versions <span className="count">{versions.length}</span>
            </h2>
          </div>
          {versions.length === 0 ? (
            <p className="loading">
              No versions yet: publish one with <code>module.publish_python_script(...)</code>.
            </p>
          ) : (
            <AssetGrid rows={versions} columns={columns} rowKey={(v) => v.id} label="Versions" chosen={chosen?.id} />
          )}
        </section>
        {chosen && <VersionDetails version={chosen} isDefault={chosen.version === m.default_version} />}
      </div>
    </>
  );
}

/** One version: its script and snapshot, its input and output ports with their data types, and its params. */
function VersionDetails({ version: v, isDefault }: { version: ModuleVersion; isDefault: boolean }) {
  const params = Object.entries(v.params);
  return (
    <section className="card" aria-label="Version details">
      <div className="card-header">
        <h2>
          Version {v.version} {isDefault && <span className="version default">default</span>}
        </h2>
      </div>
      <dl className="facts">
        <dt>Script</dt>
        <dd className="mono">{v.script_name}</dd>
        <dt>Snapshot</dt>
        <dd>
          <Digest digest={v.snapshot} />
        </dd>
        <dt>Inputs</dt>
        <dd>
          {v.inputs.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <table className="table compact ports" aria-label="Input ports">
              <tbody>
                {v.inputs.map((p) => (
                  <tr key={p.name}>
                    <td className="mono">{p.name}</td>
                    <td>
                      {p.data_types.map((t) => (
                        <span key={t} className="port-type">
                          {t}{" "}
                        </span>
                      ))}
                    </td>
                    <td className="muted">{p.is_optional ? "optional" : "required"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </dd>
        <dt>Outputs</dt>
        <dd>
          {v.outputs.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <table className="table compact ports" aria-label="Output ports">
              <tbody>
                {v.outputs.map((p) => (
                  <tr key={p.name}>
                    <td className="mono">{p.name}</td>
                    <td>
                      <span className="port-type">{p.data_type}</span>
                    </td>
                    <td className="muted">{p.is_directory === null ? "" : p.is_directory ? "folder" : "file"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </dd>
        <dt>Params</dt>
        <dd>
          {params.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <table className="table compact ports" aria-label="Params">
              <tbody>
                {params.map(([k, value]) => (
                  <tr key={k}>
                    <td className="mono">{k}</td>
                    <td className="mono">{JSON.stringify(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </dd>
        <dt>Published</dt>
        <dd>{formatDateTime(v.created_at)}</dd>
        <dt>Id</dt>
        <dd className="mono">{v.id}</dd>
      </dl>
    </section>
  );
}
