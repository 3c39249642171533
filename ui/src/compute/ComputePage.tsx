import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, type Schemas, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { StatusBadge } from "../components/StatusBadge";
import { elapsedSeconds, formatDateTime, formatDuration } from "../time";

/** `/compute`: each compute target, how much of it is in use, and the steps running on it now (live). */
export function ComputePage() {
  const targets = useQuery({
    queryKey: ["compute"],
    queryFn: () => unwrap(api.GET("/api/compute")),
    refetchInterval: 2000,
  });
  const now = useNow(1000);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Compute</h1>
          <p>Where steps run: each target runs as many cores of steps at once as its capacity, across the workspace.</p>
        </div>
      </div>
      {!targets.data ? (
        <section className="card">
          <QueryState error={targets.error} />
        </section>
      ) : (
        <div className="stack">
          {targets.data.map((target) => (
            <Target key={target.name} target={target} now={now} />
          ))}
          {targets.data.length === 1 && (
            <p className="muted hint">
              Steps run on <code>local</code> unless told otherwise. Add a target with more room, and send steps to it
              with <code>compute_target="gpu"</code>:{" "}
              <code>ComputeTarget.create(ws, "gpu", LocalCompute.provisioning_configuration(max_concurrency=2))</code>
            </p>
          )}
        </div>
      )}
    </>
  );
}

function Target({ target, now }: { target: Schemas["ComputeTargetInfo"]; now: number }) {
  const share = target.capacity > 0 ? Math.min(1, target.in_use / target.capacity) : 1;
  return (
    <section className="card" aria-label={`Compute target ${target.name}`}>
      <div className="card-header">
        <h2>
          <span className="mono">{target.name}</span>
          <span className="sub">{target.type}</span>
        </h2>
        <span className="capacity" title={`${target.in_use} of ${target.capacity} cores in use`}>
          <span className={`meter ${share >= 1 ? "full" : ""}`} aria-hidden="true">
            <span style={{ width: `${share * 100}%` }} />
          </span>
          {target.in_use} / {target.capacity} in use
        </span>
      </div>
      {target.running.length === 0 ? (
        <EmptyState title="Idle">
          <p>No step runs here now.</p>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Step</th>
              <th>Run</th>
              <th>Experiment</th>
              <th>Status</th>
              <th className="num">Cores</th>
              <th className="num">Running for</th>
            </tr>
          </thead>
          <tbody>
            {target.running.map((step) => (
              <tr key={step.step_run_id}>
                <td className="mono">
                  <Link to={`/runs/${encodeURIComponent(step.run_id)}?step=${encodeURIComponent(step.step)}`}>
                    {step.step}
                  </Link>
                </td>
                <td>
                  <Link to={`/runs/${encodeURIComponent(step.run_id)}`} className="mono">
                    {step.run_id.slice(0, 8)}
                  </Link>
                </td>
                <td>
                  <Link to={`/experiments/${encodeURIComponent(step.experiment)}`}>{step.experiment}</Link>
                </td>
                <td>
                  <StatusBadge status={step.status} />
                </td>
                <td className="num">{step.cores}</td>
                <td className="num" title={formatDateTime(step.started)}>
                  {formatDuration(elapsedSeconds(step.started, null, now))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
