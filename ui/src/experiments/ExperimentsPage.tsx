import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { StatusBadge } from "../components/StatusBadge";
import { formatAgo, formatDateTime } from "../time";

/** `/experiments`: every experiment with its run count and its last run. */
export function ExperimentsPage() {
  const experiments = useQuery({
    queryKey: ["experiments"],
    queryFn: () => unwrap(api.GET("/api/experiments")),
    refetchInterval: 5000,
  });
  const now = useNow(30_000);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Experiments</h1>
          <p>Runs grouped by the experiment they were submitted under.</p>
        </div>
      </div>
      <section className="card" aria-label="Experiments">
        {!experiments.data ? (
          <QueryState error={experiments.error} />
        ) : experiments.data.length === 0 ? (
          <EmptyState title="No experiments yet">
            <p>An experiment appears with its first run. Submit one from Python:</p>
            <pre>
              <code>Experiment(ws, "my-experiment").submit(pipeline)</code>
            </pre>
          </EmptyState>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>Experiment</th>
                <th className="num">Runs</th>
                <th>Last run</th>
                <th>Status</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {experiments.data.map((experiment) => (
                <tr key={experiment.name}>
                  <td>
                    <Link to={`/experiments/${encodeURIComponent(experiment.name)}`}>{experiment.name}</Link>
                  </td>
                  <td className="num">{experiment.run_count}</td>
                  <td>
                    {experiment.last_run ? (
                      <Link to={`/runs/${encodeURIComponent(experiment.last_run.id)}`} className="mono">
                        {experiment.last_run.id.slice(0, 8)}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{experiment.last_run && <StatusBadge status={experiment.last_run.status} />}</td>
                  <td title={formatDateTime(experiment.last_run?.created)} className="muted">
                    {formatAgo(experiment.last_run?.created, now)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
