import { useTaggedRuns } from "../api/taggedRuns";
import { EmptyState } from "../components/EmptyState";
import { LiveMark } from "../components/LiveMark";
import { QueryState, useNow } from "../components/QueryState";
import { RunHeaderCells, RunRow } from "../components/RunRow";
import { valueText } from "../experiments/runTable";
import { type Endpoint, runsTag, VERSION_TAG } from "./endpoints";

/** The runs triggered through an endpoint (those tagged with its id), newest first, each with the version it
 * ran; refreshed as runs start and change status. */
export function EndpointRuns({ endpoint }: { endpoint: Endpoint }) {
  const tag = runsTag(endpoint.id);
  const { runs, poll } = useTaggedRuns(tag);
  const now = useNow(1000);
  return (
    <section className="card section-gap" aria-label="Runs through this endpoint">
      <div className="card-header">
        <h2>Runs {runs.data && <span className="count">{runs.data.length}</span>}</h2>
        <LiveMark poll={poll} />
      </div>
      {!runs.data ? (
        <QueryState error={runs.error} />
      ) : runs.data.length === 0 ? (
        <EmptyState title="No runs through this endpoint yet">
          <p>Trigger one above, or from Python:</p>
          <pre>
            <code>{`PipelineEndpoint.get(ws, name=${JSON.stringify(endpoint.name)}).submit("my-experiment")`}</code>
          </pre>
        </EmptyState>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <RunHeaderCells />
              <th>Version</th>
              <th>Parameters</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.map((run) => (
              <RunRow key={run.id} run={run} now={now}>
                <td className="mono">{run.tags[VERSION_TAG] !== undefined ? `v${String(run.tags[VERSION_TAG])}` : "—"}</td>
                <td className="mono muted clip">
                  {Object.entries(run.parameters)
                    .map(([k, v]) => `${k}=${valueText(v)}`)
                    .join("  ")}
                </td>
              </RunRow>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
