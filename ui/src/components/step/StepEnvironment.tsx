import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import type { StepPartProps } from "./StepMetrics";
import "./step.css";

/** The environment the step ran in: Python, the packages its built environment holds, its variables. */
export function StepEnvironment({ runId, stepId }: StepPartProps) {
  const [filter, setFilter] = useState("");
  const query = useQuery({
    queryKey: ["step-environment", runId, stepId],
    queryFn: () =>
      unwrap(
        api.GET("/api/runs/{run_id}/steps/{step}/environment", { params: { path: { run_id: runId, step: stepId } } }),
      ),
  });
  if (query.isPending) return <p className="muted">Loading…</p>;
  if (query.isError) return <p className="notice">The environment could not be read: {query.error.message}</p>;
  const env = query.data;
  const packages = Object.entries(env.packages ?? {}).filter(([name]) => name.includes(filter.toLowerCase()));
  const variables = Object.entries(env.variables);
  return (
    <div className="step-environment" data-testid="step-environment">
      <dl className="facts">
        <dt>Environment</dt>
        <dd className="mono">{env.name ?? "duto's own interpreter"}</dd>
        <dt>Python</dt>
        <dd className="mono">{env.python ?? "—"}</dd>
        {env.docker_image && (
          <>
            <dt>Docker image</dt>
            <dd className="mono">{env.docker_image}</dd>
          </>
        )}
        <dt>Packages</dt>
        <dd>{env.packages ? Object.keys(env.packages).length : "not recorded: duto did not build this environment"}</dd>
      </dl>
      {env.packages && (
        <>
          <input
            className="input"
            placeholder="Filter packages"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            aria-label="Filter packages"
          />
          <div className="scroll-box">
            <table className="table compact">
              <tbody>
                {packages.map(([name, version]) => (
                  <tr key={name}>
                    <td className="mono">{name}</td>
                    <td className="mono muted">{version}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {variables.length > 0 && (
        <table className="table compact">
          <thead>
            <tr>
              <th>Variable</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {variables.map(([name, value]) => (
              <tr key={name}>
                <td className="mono">{name}</td>
                <td className="mono">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
