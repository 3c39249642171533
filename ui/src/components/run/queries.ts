// The run page's server state: the run, its graph and its metrics, cached by TanStack Query under ["run", id, ...]
// so that a live event can patch them in place.
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";

export type RunDetail = Schemas["RunDetail"];
export type RunGraphData = Schemas["RunGraph"];

export const runKey = (id: string) => ["run", id] as const;
export const graphKey = (id: string) => ["run", id, "graph"] as const;

export function useRun(id: string) {
  return useQuery({
    queryKey: runKey(id),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}", { params: { path: { run_id: id } } })),
  });
}

export function useRunGraph(id: string) {
  return useQuery({
    queryKey: graphKey(id),
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/graph", { params: { path: { run_id: id } } })),
    staleTime: Infinity, // its shape never changes; statuses arrive as events
  });
}

export function useRunMetrics(id: string) {
  return useQuery({
    queryKey: ["run", id, "metrics"],
    queryFn: () => unwrap(api.GET("/api/runs/{run_id}/metrics", { params: { path: { run_id: id } } })),
  });
}

/** A step's new status, written into the cached graph and run without asking the server. */
export function patchStepStatus(client: QueryClient, runId: string, stepRunId: string, status: string, reused: boolean) {
  client.setQueryData<RunGraphData>(graphKey(runId), (graph) =>
    graph && {
      ...graph,
      nodes: graph.nodes.map((n) => (n.id === stepRunId ? { ...n, status, is_reused: n.is_reused || reused } : n)),
    },
  );
  client.setQueryData<RunDetail>(runKey(runId), (run) =>
    run && {
      ...run,
      steps: run.steps.map((s) => (s.id === stepRunId ? { ...s, status, is_reused: s.is_reused || reused } : s)),
    },
  );
}

/** The run's new status, in the cached run and graph. */
export function patchRunStatus(client: QueryClient, runId: string, status: string) {
  client.setQueryData<RunDetail>(runKey(runId), (run) => run && { ...run, status });
  client.setQueryData<RunGraphData>(graphKey(runId), (graph) => graph && { ...graph, status });
}
