import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { EmptyState } from "../components/EmptyState";
import { QueryState, useNow } from "../components/QueryState";
import { ColumnPicker } from "./ColumnPicker";
import { RunFilters } from "./RunFilters";
import { RunsGrid } from "./RunsGrid";
import { compareUrl, parameterNames, readState, shownMetrics, type TableState, visibleRuns, writeState } from "./runTable";

/** `/experiments/:name`: the experiment's runs as a table with its parameters and chosen metrics as columns,
 * filtered and sorted as the URL says, a few of them picked to compare. */
export function ExperimentPage() {
  const { name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => readState(params), [params]);
  const setState = (next: TableState) => setParams(writeState(next), { replace: true });
  const [selected, setSelected] = useState<string[]>([]);
  const navigate = useNavigate();
  const now = useNow(5000);

  const table = useQuery({
    queryKey: ["experiment-runs", name],
    queryFn: () => unwrap(api.GET("/api/experiments/{name}/runs", { params: { path: { name } } })),
    refetchInterval: 10_000,
  });
  const runs = table.data?.runs;
  const parameters = useMemo(() => parameterNames(runs ?? []), [runs]);
  const available = table.data?.metric_names ?? [];
  const metrics = shownMetrics(state.metrics, available);
  const shown = useMemo(() => visibleRuns(runs ?? [], state, now), [runs, state, now]);

  return (
    <>
      <div className="page-header">
        <div>
          <p className="crumbs">
            <Link to="/experiments">Experiments</Link> /
          </p>
          <h1>{name}</h1>
          {table.data && (
            <p>
              {table.data.runs.length} runs{table.data.truncated && " (the newest; older ones are left out)"} ·{" "}
              {shown.length} shown
            </p>
          )}
        </div>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={selected.length < 2}
            title={selected.length < 2 ? "Select two runs or more to compare them" : undefined}
            onClick={() => navigate(compareUrl(selected))}
          >
            Compare{selected.length > 0 && ` (${selected.length})`}
          </button>
        </div>
      </div>
      {!table.data ? (
        <section className="card">
          <QueryState error={table.error} />
        </section>
      ) : table.data.runs.length === 0 ? (
        <section className="card">
          <EmptyState title="No runs in this experiment">
            <p>Submit a pipeline under this experiment's name:</p>
            <pre>
              <code>{`Experiment(ws, "${name}").submit(pipeline)`}</code>
            </pre>
          </EmptyState>
        </section>
      ) : (
        <section className="card" aria-label="Runs">
          <div className="toolbar">
            <RunFilters filters={state.filters} onChange={(filters) => setState({ ...state, filters })} />
            <ColumnPicker
              available={available}
              shown={metrics}
              onChange={(picked) => setState({ ...state, metrics: picked })}
            />
          </div>
          {shown.length === 0 ? (
            <EmptyState title="No run matches these filters">
              <p>
                <button type="button" className="button small" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                  Clear the filters
                </button>
              </p>
            </EmptyState>
          ) : (
            <RunsGrid
              runs={shown}
              parameters={parameters}
              metrics={metrics}
              sort={state.sort}
              onSort={(sort) => setState({ ...state, sort })}
              selected={selected}
              onSelect={setSelected}
              now={now}
            />
          )}
        </section>
      )}
    </>
  );
}
